"""Request bodies are read with `api.xsd`'s members as `fakeovirt.web.schema` reads them with
ElementTree, without building the xmlschema schema; xmlschema is the library of record, and
this proves both read every member alike: each global element, and every child of every
complex type reachable from them, with its order, repetition, kind, type name, enumeration
and attributes."""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest

from fakeovirt.web.schema import Member, _Reader, members, root_member, schema, schema_path

Reading = tuple[str, int, bool, str, str, tuple[str, ...], tuple[str, ...]]


def as_xmlschema_reads(element: Any, order: int) -> Reading:
    """A member as `fakeovirt.web.schema` read it with xmlschema before it read api.xsd."""
    xsd_type = element.type
    values: tuple[str, ...] = ()
    if xsd_type.is_complex():
        kind = "complex"
    elif getattr(xsd_type, "enumeration", None):
        kind, values = "enum", tuple(xsd_type.enumeration)
    else:
        kind = xsd_type.local_name or "string"
    repeated = element.max_occurs is None or element.max_occurs > 1
    attributes = tuple(xsd_type.attributes) if kind == "complex" else ()
    type_name = xsd_type.local_name or ""
    return (element.local_name, order, repeated, kind, type_name, values, attributes)


def xmlschema_children(element: Any) -> list[Any]:
    found: dict[str, Any] = {}
    content = getattr(element.type, "content", None)
    if content is not None and hasattr(content, "iter_elements"):
        for child in content.iter_elements():
            found.setdefault(child.local_name, child)
    return list(found.values())


@cache
def walk() -> tuple[list[tuple[str, Reading, Reading]], dict[str, dict[str, Member]]]:
    """(where, as read here, as xmlschema reads it) for every member reachable, and the
    children read here of each complex member, by where it was reached."""
    pairs = []
    walked: dict[str, dict[str, Member]] = {}
    seen: set[str] = set()
    pending = [(name, element, 0) for name, element in schema().elements.items()]
    while pending:
        where, element, order = pending.pop()
        parent, _, _ = where.rpartition("/")
        ours = walked[parent][element.local_name] if parent else root_member(where)
        assert ours is not None, where
        reading = (ours.name, ours.order, ours.repeated, ours.kind, ours.type_name)
        pairs.append(
            (where, (*reading, ours.values, ours.attributes), as_xmlschema_reads(element, order))
        )
        type_key = element.type.local_name or where
        if ours.kind == "complex" and type_key not in seen:
            seen.add(type_key)
            walked[where] = members(ours)
            children = xmlschema_children(element)
            assert list(walked[where]) == [c.local_name for c in children], where
            pending += [(f"{where}/{c.local_name}", c, i) for i, c in enumerate(children)]
    return pairs, walked


def test_every_type_and_element_is_reached() -> None:
    pairs, _ = walk()
    assert set(schema().elements) <= {where for where, _, _ in pairs}
    reached = {ours[4] for _, ours, _ in pairs}
    assert set(schema().types) - reached == {"BaseResource"}  # only ever extended
    assert len(pairs) > 400


def test_every_member_reads_as_xmlschema_reads_it() -> None:
    """Name, order, repetition, kind, type name, enumeration and attributes, per member."""
    pairs, _ = walk()
    differ = [(where, ours, theirs) for where, ours, theirs in pairs if ours != theirs]
    assert differ == []


def test_a_construct_the_reader_does_not_read_is_refused(tmp_path: Any) -> None:
    text = schema_path().read_text(encoding="utf-8")
    odd = tmp_path / "odd.xsd"
    odd.write_text(
        text.replace("<xs:sequence>", "<xs:choice>", 1).replace(
            "</xs:sequence>", "</xs:choice>", 1
        ),
        encoding="utf-8",
    )
    reader = _Reader(odd)
    with pytest.raises(ValueError, match="does not read"):
        for name in reader.elements:
            reader.type(reader.elements[name].type_name)
        reader.type("Actions")
