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
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum

__all__ = ["API", "collection", "entity", "format_date", "nested", "reference", "text", "to_bytes"]

API = "/ovirt-engine/api"


def format_date(when: datetime) -> str:
    when = when.astimezone(UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}+00:00"


def text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return format_date(value)
    if isinstance(value, Enum):
        return str(value.value)
    return str(value)


def reference(tag: str, id_: str, href: str | None) -> ET.Element:
    """`<tag id=".." href=".."/>`: a link to another entity."""
    element = ET.Element(tag)
    if href is not None:
        element.set("href", href)
    element.set("id", id_)
    return element


@dataclass
class Entity:
    """Members of one entity before they are put in wire order."""

    tag: str
    id: str | None = None
    href: str | None = None
    attributes: dict[str, object] = field(default_factory=dict)
    links: dict[str, ET.Element | None] = field(default_factory=dict)
    rels: list[tuple[str, str]] = field(default_factory=list)
    actions: list[tuple[str, str]] = field(default_factory=list)

    def build(self) -> ET.Element:
        element = ET.Element(self.tag)
        if self.href is not None:
            element.set("href", self.href)
        if self.id is not None:
            element.set("id", self.id)
        if self.actions:
            actions = ET.SubElement(element, "actions")
            for rel, href in sorted(self.actions):
                ET.SubElement(actions, "link", {"href": href, "rel": rel})
        for rel, href in self.rels:
            ET.SubElement(element, "link", {"href": href, "rel": rel})
        for name in sorted(self.attributes):
            value = self.attributes[name]
            if value is None:
                continue
            if isinstance(value, ET.Element):
                element.append(value)
            else:
                ET.SubElement(element, name).text = text(value)
        for name in sorted(self.links):
            child = self.links[name]
            if child is not None:
                element.append(child)
        return element


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
    return Entity(
        tag,
        id_,
        href,
        dict(attributes or {}),
        dict(links or {}),
        list(rels),
        list(actions),
    ).build()


def nested(tag: str, members: Mapping[str, object]) -> ET.Element:
    """A plain (not identified) element with child members in the given order."""
    element = ET.Element(tag)
    for name, value in members.items():
        if value is None:
            continue
        if isinstance(value, ET.Element):
            element.append(value)
        else:
            ET.SubElement(element, name).text = text(value)
    return element


def collection(tag: str, items: Iterable[ET.Element]) -> ET.Element:
    element = ET.Element(tag)
    element.extend(items)
    return element


# Characters XML 1.0 cannot carry, even escaped; a client's id or text may hold them.
_NOT_XML = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def to_bytes(element: ET.Element) -> bytes:
    """The element as a UTF-8 document; characters XML cannot carry become U+FFFD."""
    ET.indent(element, space="  ")
    data: bytes = ET.tostring(element, encoding="utf-8", xml_declaration=True)
    if _NOT_XML.search(data):  # UTF-8 never uses these bytes inside a longer sequence
        data = _NOT_XML.sub("\ufffd".encode(), data)
    return data + b"\n"
