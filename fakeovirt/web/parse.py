"""Reading requests: XML bodies (hostile XML refused), query flags, `max` and `from`.

Bodies are parsed with defusedxml (no DTDs, no entities: no billion laughs, no XXE), then
checked against `schemas/api.xsd`, then mapped to the core's request dataclasses.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from fakeovirt.core import messages as msg
from fakeovirt.core.backups import BackupRequest
from fakeovirt.core.errors import BadRequest
from fakeovirt.core.transfers import TransferRequest

from .schema import SchemaViolation, validate

__all__ = [
    "parse_backup",
    "parse_body",
    "parse_flag",
    "parse_from",
    "parse_max",
    "parse_transfer",
]

_TRUE = {"t", "true", "y", "yes", "1"}
_FALSE = {"f", "false", "n", "no", "0"}


def parse_body(body: bytes, expected: str, *, optional: bool = False) -> ET.Element | None:
    """The request's root element, which must be `<expected>` and valid against the schema."""
    if not body.strip():
        if optional:
            return None
        raise BadRequest(
            msg.BAD_BODY.format(reason=f"expected a <{expected}> document, got nothing")
        )
    try:
        root: ET.Element = SafeET.fromstring(body, forbid_dtd=True)
    except DefusedXmlException as error:
        raise BadRequest(msg.BAD_BODY.format(reason=f"forbidden XML construct ({error})")) from None
    except ET.ParseError as error:
        raise BadRequest(msg.BAD_BODY.format(reason=f"malformed XML ({error})")) from None
    if root.tag != expected:
        raise BadRequest(msg.WRONG_ROOT.format(expected=expected, got=root.tag))
    try:
        validate(root)
    except SchemaViolation as error:
        raise BadRequest(msg.BAD_BODY.format(reason=str(error))) from None
    return root


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


def parse_max(query: Mapping[str, str]) -> int | None:
    raw = query.get("max")
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(msg.BAD_MAX.format(value=raw)) from None
    if value < 0:
        raise BadRequest(msg.BAD_MAX.format(value=raw))
    return value


def parse_from(query: Mapping[str, str]) -> int | None:
    raw = query.get("from")
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise BadRequest(msg.BAD_FROM.format(value=raw)) from None


def _text(element: ET.Element, name: str) -> str | None:
    child = element.find(name)
    if child is None or child.text is None or not child.text.strip():
        return None
    return child.text.strip()


def _ref(element: ET.Element, name: str) -> str | None:
    child = element.find(name)
    return child.get("id") if child is not None else None


def parse_backup(body: bytes, query: Mapping[str, str]) -> BackupRequest:
    root = parse_body(body, "backup")
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
        use_active=use_active or legacy,
        bad_flag=bad,
    )


def parse_transfer(body: bytes) -> TransferRequest:
    root = parse_body(body, "image_transfer")
    assert root is not None
    timeout = _text(root, "inactivity_timeout")
    shallow = _text(root, "shallow")
    return TransferRequest(
        disk_id=_ref(root, "disk") or _ref(root, "image") or _ref(root, "snapshot"),
        backup_id=_ref(root, "backup"),
        direction=_text(root, "direction") or "upload",
        format=_text(root, "format"),
        inactivity_timeout=int(timeout) if timeout is not None else None,
        timeout_policy=_text(root, "timeout_policy"),
        shallow=shallow in ("true", "1"),
        host_id=_ref(root, "host"),
    )
