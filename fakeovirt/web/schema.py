"""`schemas/api.xsd` at work: responses checked in strict mode, request bodies read as the
engine reads them, and the member types the JSON codec needs.

Rules of this file (requests; the engine reads bodies with plain JAXB and no schema,
`RESTAPI/xml/JAXBProvider.java`):
- children may come in any order; a body is put into schema order before it is validated,
  so validation checks content, types and nesting, never order;
- an unknown element is refused (`SyntaxIncorrect`), an unknown attribute is ignored, and of
  a repeated single-valued element the last one counts (JAXB's setters);
- booleans are `true`/`false` in any case, `1` or `0` (`BooleanParser`); integers are
  decimal, empty means 0, above the type's maximum is `Invalid value` (`IntegerParser`);
  enum values are any case (`fromValue(value.toUpperCase())`), others are `Invalid value`.

The compiled schema is loaded once per process and shared by every app: `xmlschema`
validators are safe to share between threads. Documents are checked by libxml2 (lxml) first,
about a hundred times faster; xmlschema stays the library of record: it drives the
strategies and words every refusal. A document libxml2 refuses is judged again by xmlschema,
whose verdict stands, so strict mode refuses exactly what xmlschema refuses
(`tests/test_validators_agree.py` proves libxml2 accepts nothing xmlschema refuses). The
member types a body is read with (and the JSON codec's) come from `api.xsd` read with
ElementTree (`_Reader`), as xmlschema reads them (`tests/test_schema_members.py`), so a
process whose documents libxml2 accepts never builds the xmlschema schema.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from threading import Lock
from typing import TYPE_CHECKING

from lxml import etree

from .refusals import InvalidValue, SyntaxIncorrect
from .xmlout import to_bytes

if TYPE_CHECKING:
    import xmlschema

__all__ = [
    "XSD",
    "Member",
    "SchemaViolation",
    "check_request",
    "members",
    "root_member",
    "schema",
    "schema_path",
    "validate",
]

_MAXIMUM = {
    "int": ("maximum integer", 2**31 - 1),
    "long": ("maximum long", 2**63 - 1),
    "short": ("the maximum short", 2**15 - 1),
}
_INTEGER = re.compile(r"\s*[+-]?\d+\s*")


class SchemaViolation(Exception):
    """A document does not match `schemas/api.xsd`; the text says where and why."""


def schema_path() -> Path:
    """The packaged schema, or the checkout's `schemas/` when running from source."""
    packaged = resources.files("fakeovirt").joinpath("schemas/api.xsd")
    if packaged.is_file():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "schemas" / "api.xsd"


@lru_cache(maxsize=1)
def schema() -> xmlschema.XMLSchema10:
    """The schema as xmlschema reads it: the library of record (strategies, and the words
    of every violation).

    Imported here, on first use: a process whose documents libxml2 accepts (`fakeovirt
    serve` reading well-formed bodies) never loads it. Built without checking
    `api.xsd` against the XSD meta-schema (`validation="skip"`): the same components in a
    tenth of the time (0.05 s, not 0.5 s, on the first body a process reads);
    tests/test_schema_file.py builds it with that check. Decode and validate with
    `iter_errors`/`is_valid` (lax): a strict `decode` asks for a meta-checked schema."""
    import xmlschema

    return xmlschema.XMLSchema10(str(schema_path()), validation="skip")


class _Libxml2:
    """The same schema compiled by libxml2 (lxml): a yes/no check in microseconds where
    xmlschema takes a millisecond. lxml parsers and validators are not meant to be shared
    between threads, hence the lock (held for the few microseconds of a check)."""

    def __init__(self) -> None:
        self._schema = etree.XMLSchema(etree.parse(str(schema_path())))
        self._parser = etree.XMLParser(resolve_entities=False, no_network=True)
        self._lock = Lock()
        self._accepted: set[bytes] = set()

    def accepts(self, data: bytes) -> bool:
        """Whether libxml2 accepts `data`; a small document it accepted lately is not parsed
        again (the same `<action/>`, the same answer, come again and again)."""
        with self._lock:
            kept = type(data) is bytes and len(data) <= _REMEMBERED_BYTES
            if kept and data in self._accepted:
                return True
            try:
                document = etree.fromstring(data, self._parser)
            except etree.XMLSyntaxError:
                return False
            if not self._schema.validate(document):
                return False
            if kept:
                if len(self._accepted) >= _REMEMBERED:
                    self._accepted.clear()
                self._accepted.add(data)
            return True


_REMEMBERED = 256  # documents libxml2 accepted, kept so as not to check them again
_REMEMBERED_BYTES = 16 * 1024  # ... if at most this long


@lru_cache(maxsize=1)
def _libxml2() -> _Libxml2:
    return _Libxml2()


def validate(document: ET.Element | bytes, *, data: bytes | None = None) -> None:
    """Raise `SchemaViolation` with a readable reason unless `document` is valid.

    `data` is the element written as a document, when the caller has written it already:
    those bytes are what libxml2 checks. Only a document libxml2 refuses is read by
    xmlschema, which has the last word (a document it accepts passes) and words the reason."""
    if data is None:
        data = document if isinstance(document, bytes) else to_bytes(document)
    if _libxml2().accepts(data):
        return
    if isinstance(document, bytes):
        document = ET.fromstring(document)
    error = next(schema().iter_errors(document), None)
    if error is not None:
        where = error.path or f"/{document.tag}"
        reason = error.reason or str(error.message)
        raise SchemaViolation(f"{where}: {reason}")


@dataclass(frozen=True)
class Member:
    """One child element a type allows: its name, whether it repeats, and its type.

    `kind` is the XSD built-in name of a simple type (`string`, `int`, `long`, `boolean`,
    `dateTime`, `decimal`), `enum` for an enumeration, or `complex`."""

    name: str
    order: int
    repeated: bool
    kind: str
    type_name: str
    values: tuple[str, ...]
    xsd_type: _Type

    @property
    def attributes(self) -> tuple[str, ...]:
        return self.xsd_type.attributes if self.kind == "complex" else ()


@dataclass(frozen=True, eq=False)
class _Element:
    """An element of `api.xsd` (a global one, or a child a complex type allows)."""

    name: str
    type_name: str  # `xs:string`, or a type of api.xsd
    repeated: bool


@dataclass(frozen=True, eq=False)
class _Type:
    """A type of `api.xsd` as a request body is read with it: a complex type's child
    elements (its base type's first) and attribute names, a simple type's enumeration."""

    name: str
    complex: bool
    enumeration: tuple[str, ...] = ()
    elements: tuple[_Element, ...] = ()
    attributes: tuple[str, ...] = ()


class _Reader:
    """`api.xsd`'s elements and types, read with ElementTree in a few milliseconds: a request
    body is read without building the xmlschema schema (a third of a second of imports and
    a quarter of a second of building, on the first body a process reads). The schema is
    shaped simply (global elements, complex types with an optional extension, a sequence
    and attributes, string enumerations); anything else in it is refused here, and
    tests/test_schema_members.py proves every member reads as xmlschema reads it."""

    def __init__(self, path: Path) -> None:
        root = ET.parse(path).getroot()
        self._complex = {n.get("name", ""): n for n in root.findall(f"{XSD}complexType")}
        self._simple = {n.get("name", ""): n for n in root.findall(f"{XSD}simpleType")}
        self.elements = {
            n.get("name", ""): _Element(n.get("name", ""), n.get("type", ""), False)
            for n in root.findall(f"{XSD}element")
        }
        self._types: dict[str, _Type] = {}

    def type(self, name: str) -> _Type:
        if name not in self._types:
            self._types[name] = self._read(name)
        return self._types[name]

    def _read(self, name: str) -> _Type:
        if name.startswith("xs:"):
            return _Type(name[3:], complex=False)
        if name in self._simple:
            values = self._simple[name].findall(f"{XSD}restriction/{XSD}enumeration")
            return _Type(name, complex=False, enumeration=tuple(v.get("value", "") for v in values))
        node = self._complex[name]
        elements: tuple[_Element, ...] = ()
        attributes: tuple[str, ...] = ()
        extension = node.find(f"{XSD}complexContent/{XSD}extension")
        if extension is not None:
            base = self.type(extension.get("base", ""))
            elements, attributes = base.elements, base.attributes
            node = extension
        for child in node:
            if child.tag == f"{XSD}sequence":
                elements += tuple(self._child(e) for e in child)
            elif child.tag == f"{XSD}attribute":
                attributes += (child.get("name", ""),)
            else:
                raise ValueError(f"api.xsd: {name} holds a {child.tag} this reader does not read")
        return _Type(name, complex=True, elements=elements, attributes=attributes)

    def _child(self, node: ET.Element) -> _Element:
        if node.tag != f"{XSD}element":
            raise ValueError(f"api.xsd: a sequence holds a {node.tag} this reader does not read")
        most = node.get("maxOccurs", "1")
        repeated = most == "unbounded" or int(most) > 1
        ref = node.get("ref")
        if ref is not None:
            return _Element(ref, self.elements[ref].type_name, repeated)
        return _Element(node.get("name", ""), node.get("type", ""), repeated)


XSD = "{http://www.w3.org/2001/XMLSchema}"  # the XSD namespace, as ElementTree writes tags


@lru_cache(maxsize=1)
def _reader() -> _Reader:
    return _Reader(schema_path())


def _member(element: _Element, order: int) -> Member:
    xsd_type = _reader().type(element.type_name)
    if xsd_type.complex:
        kind = "complex"
    elif xsd_type.enumeration:
        kind = "enum"
    else:
        kind = xsd_type.name or "string"
    return Member(
        name=element.name,
        order=order,
        repeated=element.repeated,
        kind=kind,
        type_name=xsd_type.name,
        values=xsd_type.enumeration,
        xsd_type=xsd_type,
    )


_MEMBERS: dict[int, dict[str, Member]] = {}


def members(member: Member) -> dict[str, Member]:
    """The child elements a complex member's type allows, by name, in schema order."""
    key = id(member.xsd_type)
    if key not in _MEMBERS:
        found: dict[str, Member] = {}
        for element in member.xsd_type.elements:
            found.setdefault(element.name, _member(element, len(found)))
        _MEMBERS[key] = found
    return _MEMBERS[key]


def root_member(tag: str) -> Member | None:
    """The global element `tag` as a member, or None when the schema has no such element."""
    element = _reader().elements.get(tag)
    return _member(element, 0) if element is not None else None


# -- requests ------------------------------------------------------------------------


def check_request(root: ET.Element) -> ET.Element:
    """`root` read as the engine reads it: values checked and normalised, children in schema
    order, then validated. Raises `SyntaxIncorrect` or `InvalidValue`."""
    member = root_member(root.tag)
    if member is None:
        raise SyntaxIncorrect(f"unexpected element <{root.tag}>")
    _normalise(root, member)
    try:
        validate(root)
    except SchemaViolation as error:
        raise SyntaxIncorrect(str(error)) from None
    return root


def _normalise(element: ET.Element, member: Member) -> None:
    if member.kind != "complex":
        if len(element):
            raise SyntaxIncorrect(f"<{element.tag}> holds a value, not elements")
        element.text = _value(element.text or "", member)
        element.attrib.clear()
        return
    for name in [a for a in element.attrib if a not in member.attributes]:
        del element.attrib[name]  # JAXB does not report unknown attributes
    allowed = members(member)
    kept: dict[str, list[ET.Element]] = {}
    for child in element:
        child_member = allowed.get(child.tag)
        if child_member is None:
            raise SyntaxIncorrect(f"unexpected element <{child.tag}> in <{element.tag}>")
        _normalise(child, child_member)
        if child_member.repeated:
            kept.setdefault(child.tag, []).append(child)
        else:
            kept[child.tag] = [child]  # the last one wins
    ordered = sorted(kept.items(), key=lambda item: allowed[item[0]].order)
    for child in list(element):
        element.remove(child)
    for _, children in ordered:
        element.extend(children)
    element.text = None  # character data between elements is not a member
    for child in element:
        child.tail = None


def _value(text: str, member: Member) -> str:
    if member.kind == "boolean":
        if text.lower() == "true" or text == "1":
            return "true"
        if text.lower() == "false" or text == "0":
            return "false"
        raise InvalidValue(
            f'Value "{text}" isn\'t a valid boolean, it should be "true" , "false", "0" or "1"'
        )
    if member.kind in _MAXIMUM:
        if not text.strip():
            return "0"
        if not _INTEGER.fullmatch(text):
            raise SyntaxIncorrect(f"<{member.name}>: {text!r} is not an integer")
        words, maximum = _MAXIMUM[member.kind]
        value = int(text)
        if value > maximum:
            raise InvalidValue(f"Value {text} is greater than {words} {maximum}")
        span = 2 * (maximum + 1)  # below the minimum Java wraps around, silently
        return str((value + maximum + 1) % span - maximum - 1)
    if member.kind == "enum":
        if text.lower() not in member.values:
            choices = ", ".join(f"'{v}'" for v in member.values)
            raise InvalidValue(
                f"The string '{text}' isn't a valid value for the '{member.type_name}' "
                f"enumerated type. Valid values are: {choices}."
            )
        return text.lower()
    return text
