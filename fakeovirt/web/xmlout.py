"""Building oVirt-shaped XML: entities, references, links, dates, booleans.

Rules of this file (the wire rules of behaviour.md §1):
- only `id` and `href` are attributes; everything else is a child element;
- members come attributes-first then links, each alphabetically: the order the Python SDK
  writes and `schemas/api.xsd` expects; `actions` and `<link>` come before both;
- hrefs are paths starting with `/ovirt-engine/api/`; enums are lower-case;
- dates are `YYYY-MM-DDTHH:MM:SS.mmm+00:00`.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from copy import deepcopy
from datetime import UTC, datetime
from enum import Enum
from functools import lru_cache
from xml.etree.ElementTree import Element, SubElement

__all__ = ["API", "collection", "entity", "format_date", "nested", "reference", "text", "to_bytes"]

API = "/ovirt-engine/api"


@lru_cache(maxsize=4096)
def format_date(when: datetime) -> str:
    """`when` on the wire; remembered, as the same dates are written again and again (a
    backup's creation date on every poll) and formatting one costs more than a lookup."""
    if when.tzinfo is not UTC:
        when = when.astimezone(UTC)
    if when.year >= 1000:  # isoformat pads the year to four digits, strftime may not
        return when.isoformat(timespec="milliseconds")
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}+00:00"


def text(value: object) -> str:
    if type(value) is str:
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return format_date(value)
    if isinstance(value, Enum):
        return str(value.value)
    return str(value)


def reference(tag: str, id_: str, href: str | None) -> ET.Element:
    """`<tag id=".." href=".."/>`: a link to another entity."""
    if href is None:
        return Element(tag, id=id_)
    return Element(tag, href=href, id=id_)


def entity(
    tag: str,
    id_: str | None = None,
    href: str | None = None,
    *,
    attributes: Mapping[str, object] | None = None,
    links: Mapping[str, ET.Element | None] | None = None,
    rels: Iterable[tuple[str, str]] = (),
    actions: Iterable[tuple[str, str]] = (),
) -> ET.Element:
    """One entity element, members in wire order."""
    element = Element(tag)
    if href is not None:
        element.set("href", href)
    if id_ is not None:
        element.set("id", id_)
    ordered_actions = sorted(actions)
    if ordered_actions:
        box = SubElement(element, "actions")
        for rel, target in ordered_actions:
            SubElement(box, "link", href=target, rel=rel)
    for rel, target in rels:
        SubElement(element, "link", href=target, rel=rel)
    if attributes:
        for name in sorted(attributes):
            value = attributes[name]
            if value is None:
                continue
            if isinstance(value, ET.Element):
                element.append(value)
            else:
                SubElement(element, name).text = text(value)
    if links:
        for name in sorted(links):
            child = links[name]
            if child is not None:
                element.append(child)
    return element


def nested(tag: str, members: Mapping[str, object]) -> ET.Element:
    """A plain (not identified) element with child members in the given order."""
    element = Element(tag)
    for name, value in members.items():
        if value is None:
            continue
        if isinstance(value, ET.Element):
            element.append(value)
        else:
            SubElement(element, name).text = text(value)
    return element


def collection(tag: str, items: Iterable[ET.Element]) -> ET.Element:
    element = Element(tag)
    element.extend(items)
    return element


# Characters XML 1.0 cannot carry, even escaped; a client's id or text may hold them.
_NOT_XML_BYTES = bytes([*range(0x09), 0x0B, 0x0C, *range(0x0E, 0x20)])
_NOT_XML = re.compile(b"[" + re.escape(_NOT_XML_BYTES) + b"]")
_DECLARATION = "<?xml version='1.0' encoding='utf-8'?>\n"
_INDENTS = ["\n" + "  " * level for level in range(64)]


def to_bytes(element: ET.Element) -> bytes:
    """The element as a UTF-8 document indented by two spaces (the bytes of `ET.indent` then
    `ET.tostring` with a declaration, without changing `element`); characters XML cannot
    carry become U+FFFD."""
    parts = [_DECLARATION]
    try:
        _write(element, 0, parts)
    except _Unusual:  # a namespace, a comment, a non-string value: ElementTree's own way
        return _to_bytes_by_elementtree(element)
    if element.tail:
        parts.append(_cdata(element.tail))
    data = "".join(parts).encode("utf-8", "xmlcharrefreplace")
    return _carriable(data) + b"\n"


class _Unusual(Exception):
    """A tree `_write` leaves to ElementTree."""


def _write(element: ET.Element, level: int, parts: list[str]) -> None:
    """Append `element` as `ET.indent` would lay it out at `level` and `ET.tostring` write it
    (attributes in insertion order, `<tag />` when empty)."""
    tag, text, attrib = element.tag, element.text, element.attrib
    if type(tag) is not str or "{" in tag or (text is not None and type(text) is not str):
        raise _Unusual
    head = "<" + tag
    if attrib:
        for name, value in attrib.items():
            if type(name) is not str or type(value) is not str or "{" in name:
                raise _Unusual
            if (
                "&" in value
                or "<" in value
                or ">" in value
                or '"' in value
                or "\r" in value
                or "\n" in value
                or "\t" in value
            ):
                value = value.translate(_ATTRIBUTE)
            head += f' {name}="{value}"'
    if not len(element):
        if text:
            if "&" in text or "<" in text or ">" in text:
                text = _cdata(text)
            parts.append(f"{head}>{text}</{tag}>")
        else:
            parts.append(head + " />")
        return
    level += 1
    inner = _INDENTS[level] if level < len(_INDENTS) else "\n" + "  " * level
    parts.append(head + ">" + (_cdata(text) if text and text.strip() else inner))
    tail = None
    for child in element:
        _write(child, level, parts)
        tail = child.tail
        if tail is None:
            parts.append(inner)
        elif type(tail) is str:
            parts.append(_cdata(tail) if tail.strip() else inner)
        else:
            raise _Unusual
    if not (tail and tail.strip()):  # the last child's tail closes its parent's line
        level -= 1
        parts[-1] = _INDENTS[level] if level < len(_INDENTS) else "\n" + "  " * level
    parts.append(f"</{tag}>")


def _cdata(text: str) -> str:
    if type(text) is not str:
        raise _Unusual
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


_ATTRIBUTE = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        '"': "&quot;",
        "\r": "&#13;",
        "\n": "&#10;",
        "\t": "&#09;",
    }
)


def _to_bytes_by_elementtree(element: ET.Element) -> bytes:
    copy = deepcopy(element)
    ET.indent(copy, space="  ")
    data: bytes = ET.tostring(copy, encoding="utf-8", xml_declaration=True)
    return _carriable(data) + b"\n"


def _carriable(data: bytes) -> bytes:
    """`data` with the bytes XML cannot carry replaced by U+FFFD (UTF-8 never uses these bytes
    inside a longer sequence); deleting them is the quick way to see there are none."""
    if len(data.translate(None, _NOT_XML_BYTES)) == len(data):
        return data
    return _NOT_XML.sub("\ufffd".encode(), data)
