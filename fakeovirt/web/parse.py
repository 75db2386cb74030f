"""Reading requests as the engine reads them: bodies (XML or JSON), flags and integers.

Bodies: XML is first read by expat alone, building nothing (`_xml`): a malformed body is
refused with expat's words, a well-formed one without a DOCTYPE is built by ElementTree,
and one with a DOCTYPE (or an encoding expat cannot read) goes to defusedxml (no DTDs, no
entities: no billion laughs, no XXE); JSON is read with the standard decoder into the same
element tree; then `schema.check_request`
reads the tree as the engine's JAXB does (any member order, values checked), and the tree
is mapped to the core's request dataclasses. Query parameters follow the engine's
`ParametersHelper`: a value it cannot read is treated as absent, never refused.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from xml.parsers import expat

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from fakeovirt.core import messages as msg
from fakeovirt.core.backups import BackupRequest
from fakeovirt.core.errors import BadRequest
from fakeovirt.core.snapshots import SnapshotRequest
from fakeovirt.core.transfers import TransferRequest

from .codec import decode_json
from .refusals import RawFault, SyntaxIncorrect, incomplete
from .schema import check_request

__all__ = [
    "integer_parameter",
    "parse_backup",
    "parse_body",
    "parse_flag",
    "parse_from",
    "parse_max",
    "parse_snapshot",
    "parse_transfer",
]

_TRUE = {"t", "true", "y", "yes", "1"}
_FALSE = {"f", "false", "n", "no", "0"}
_JAVA_INT = re.compile(r"[+-]?\d+")
_BODY_TYPES = ("application/xml", "application/json")  # the resources' @Consumes


def parse_body(
    body: bytes, expected: str, *, optional: bool = False, content_type: str | None = None
) -> ET.Element | None:
    """The request's root element `<expected>`, read as the engine reads it.

    `content_type` is the request's media type: `application/json` selects JSON, XML is
    read for `application/xml` and when it is absent; any other type is a 415, as the
    engine's resources consume only those two (`JaxrsGenerator.MEDIA_TYPES`)."""
    if content_type and content_type not in _BODY_TYPES:
        raise RawFault(415, f"Cannot consume content type {content_type}", "Unsupported Media Type")
    if not body.strip():
        if optional:
            return None
        raise SyntaxIncorrect(f"expected a <{expected}> document, got nothing")
    if content_type == "application/json":
        root = decode_json(body, expected)
    else:
        root = _xml(body)
        if root.tag != expected:
            raise BadRequest(msg.WRONG_ROOT.format(expected=expected, got=root.tag))
    return check_request(root)


def _xml(body: bytes) -> ET.Element:
    """`body` as defusedxml reads it, or the same `SyntaxIncorrect`, in a fraction of the
    time: expat reads it first with no handler but the DOCTYPE's, building nothing (a
    malformed body of 50,000 nested elements is refused in a few milliseconds, not a tenth
    of a second). Without a DOCTYPE nothing defusedxml guards against can occur (entities
    are declared in one), so a well-formed body is built by ElementTree's C parser, on the
    same expat with the same namespace handling; a body with a DOCTYPE goes to defusedxml,
    which refuses it as before. Expat words a malformation alike either way."""
    if _well_formed_without_doctype(body):
        try:
            return ET.fromstring(body)
        except ET.ParseError:  # pragma: no cover - expat agrees with itself
            pass
    try:
        root: ET.Element = SafeET.fromstring(body, forbid_dtd=True)
    except DefusedXmlException as error:
        raise SyntaxIncorrect(f"forbidden XML construct ({error})") from None
    except (ET.ParseError, LookupError, ValueError) as error:
        # LookupError: an unknown encoding; ValueError: one expat cannot read (a multi-byte
        # one such as Shift_JIS, or a codec that is no text encoding)
        raise _malformed(error) from None
    return root


def _malformed(error: Exception) -> SyntaxIncorrect:
    return SyntaxIncorrect(f"malformed XML ({error})")


class _Doctype(Exception):
    """A DOCTYPE met by `_well_formed_without_doctype`: defusedxml has the word."""


def _stop_at_doctype(*_: object) -> None:
    raise _Doctype


def _well_formed_without_doctype(body: bytes) -> bool:
    """True when expat reads `body` to its end without a DOCTYPE; False when defusedxml
    must have the word (a DOCTYPE, an encoding expat cannot read: defusedxml raises it too,
    or words it its own way); raises `SyntaxIncorrect` with expat's words for the first
    malformation. Expat is created and fed as ElementTree's parser does it (namespaces split
    at `}`; fed, then closed), so an error is found where, and worded as, ElementTree's
    parser finds it."""
    parser = expat.ParserCreate(None, "}")
    parser.StartDoctypeDeclHandler = _stop_at_doctype
    try:
        parser.Parse(body, False)
        parser.Parse(b"", True)
    except expat.ExpatError as error:
        raise _malformed(error) from None
    except Exception:  # a DOCTYPE (`_Doctype`), an unknown encoding (`LookupError`) ...
        return False
    return True


def parse_flag(
    query: Mapping[str, str], name: str, *, empty: bool = True
) -> tuple[bool, str | None]:
    """A boolean query flag as the engine reads it: `(value, bad_value_or_None)`."""
    if name not in query:
        return False, None
    raw = query[name].strip().lower()
    if raw == "":
        return empty, None
    if raw in _TRUE:
        return True, None
    if raw in _FALSE:
        return False, None
    return False, query[name]


def integer_parameter(query: Mapping[str, str], name: str) -> int | None:
    """An integer query parameter as `ParametersHelper.getIntegerParameter` reads it: Java's
    `Integer.parseInt`; absent, empty, not a number or beyond 32 bits is None (ignored)."""
    raw = query.get(name)
    if raw is None or not _JAVA_INT.fullmatch(raw):
        return None
    value = int(raw)
    return value if -(2**31) <= value < 2**31 else None


def parse_max(query: Mapping[str, str]) -> int | None:
    """`max` as the engine reads it (None: no limit given); what a negative value means
    depends on the collection (`web/listing.py`)."""
    return integer_parameter(query, "max")


def parse_from(query: Mapping[str, str]) -> int | None:
    """`from` (events newer than that index); an unreadable value is ignored."""
    return integer_parameter(query, "from")


def _text(element: ET.Element, name: str) -> str | None:
    child = element.find(name)
    if child is None or child.text is None or not child.text.strip():
        return None
    return child.text.strip()


def _ref(element: ET.Element, name: str) -> str | None:
    child = element.find(name)
    return child.get("id") if child is not None else None


def parse_backup(
    body: bytes, query: Mapping[str, str], *, content_type: str | None = None
) -> BackupRequest:
    root = parse_body(body, "backup", content_type=content_type)
    assert root is not None
    disks = root.find("disks")
    disk_ids = None
    if disks is not None:
        disk_ids = tuple(d.get("id") or "" for d in disks.findall("disk"))
        if any(not d for d in disk_ids):
            raise BadRequest(msg.BAD_BODY.format(reason="every <disk> in <disks> needs an id"))
    consistency, bad_consistency = parse_flag(query, "require_consistency")
    use_active, bad_active = parse_flag(query, "use_active")
    legacy, bad_legacy = parse_flag(query, "legacy", empty=False)
    bad = next(
        (
            (name, value)
            for name, value in (
                ("require_consistency", bad_consistency),
                ("use_active", bad_active),
                ("legacy", bad_legacy),
            )
            if value is not None
        ),
        None,
    )
    description = root.find("description")
    return BackupRequest(
        disk_ids=disk_ids,
        backup_id=root.get("id") or None,
        from_checkpoint_id=_text(root, "from_checkpoint_id"),
        description=description.text or "" if description is not None else None,
        require_consistency=consistency,
        use_active=use_active,
        legacy=legacy,
        bad_flag=bad,
    )


def parse_transfer(body: bytes, *, content_type: str | None = None) -> TransferRequest:
    root = parse_body(body, "image_transfer", content_type=content_type)
    assert root is not None
    timeout = _text(root, "inactivity_timeout")
    shallow = _text(root, "shallow")
    disk_id = _ref(root, "disk") or _ref(root, "image")
    image_id = _ref(root, "snapshot")
    if not disk_id and not image_id:  # no signature of ImageTransfersService.add matches
        raise RawFault(400, msg.TRANSFER_NO_SIGNATURE, msg.INPUT_VALIDATION_FAILED)
    return TransferRequest(
        disk_id=disk_id or None,
        image_id=image_id or None,
        backup_id=_ref(root, "backup"),
        direction=_text(root, "direction") or "upload",
        format=_text(root, "format"),
        inactivity_timeout=int(timeout) if timeout is not None else None,
        timeout_policy=_text(root, "timeout_policy"),
        shallow=shallow == "true",
        host_id=_ref(root, "host"),
    )


# -- snapshots -------------------------------------------------------------------------------
def parse_snapshot(body: bytes, *, content_type: str | None = None) -> SnapshotRequest:
    """`<snapshot>` as `BackendSnapshotsResource.doAdd` reads it (lines 65-94): `description`
    required (the REST layer's "Incomplete parameters"), `persist_memorystate`, and from
    `disk_attachments` the disks that have an id (attachments without a disk are dropped;
    a `<disk>` may choose the new volume's `image_id`)."""
    root = parse_body(body, "snapshot", content_type=content_type)
    assert root is not None
    description = root.find("description")
    if description is None:
        raise incomplete("Snapshot", ["description"], "doAdd")
    memory = _text(root, "persist_memorystate")
    disk_ids: tuple[str, ...] | None = None
    images: list[tuple[str, str]] = []
    attachments = root.find("disk_attachments")
    if attachments is not None:
        found = (a.find("disk") for a in attachments.findall("disk_attachment"))
        disks = [d for d in found if d is not None and d.get("id")]
        disk_ids = tuple(d.get("id") or "" for d in disks)
        for disk in disks:
            image = _text(disk, "image_id")
            if image is not None:
                images.append((disk.get("id") or "", image))
    return SnapshotRequest(
        description=description.text or "",
        persist_memorystate=None if memory is None else memory.lower() in ("true", "1"),
        disk_ids=disk_ids,
        image_ids=tuple(images),
    )
