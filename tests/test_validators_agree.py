"""Strict mode checks documents with libxml2 (lxml) and words refusals with xmlschema, the
schema library of record: the two must agree, or strict mode would pass what it used to
refuse. Documents are generated from `schemas/api.xsd` by the XSD strategies (valid ones),
then broken by mutations (mostly invalid ones), and each is judged by both validators.

The one direction that may differ is libxml2 refusing what xmlschema accepts (it costs a
slower check, never a verdict): integers written with non-ASCII digits (xmlschema reads them
with Python's `int`; XSD allows only `[0-9]`), a `dateTime` with surrounding whitespace
(XSD collapses it; libxml2 does not), a decimal with whitespace between its digits
(xmlschema 4 drops it; XSD does not), and character data of non-XML whitespace (U+00A0,
U+2003 ...) between elements (xmlschema strips it with Python's `str.strip`; XML whitespace
is only space, tab, CR and LF). `validate` then asks xmlschema, so its verdict is
always xmlschema's.
"""

from __future__ import annotations

import copy
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from fakeovirt import strategies as fst
from fakeovirt.web import schema as schema_module
from fakeovirt.web.schema import SchemaViolation, _libxml2, schema, validate
from fakeovirt.web.xmlout import to_bytes

ELEMENTS = sorted(schema().elements)
UNKNOWN = "fakeovirt_unknown"

# Lexical forms next to the edges of each builtin type the schema uses.
# fmt: off
TRICKY = [
    "", " ", "0", "1", "-1", "+1", "-0", "01", " 7\n", "1.0", "1.", ".5", "+.5", "-1.50",
    "1e3", "0x10", "NaN", "INF", "1,5", "1 2", "2147483647", "2147483648", "-2147483648",
    "-2147483649", "9223372036854775807", "9223372036854775808", "-9223372036854775809",
    "true", "false", "TRUE", "True", " true ", "yes",
    "2026-01-01T00:00:00", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00.000+00:00",
    "2026-01-01T24:00:00", "2026-01-01T24:00:00.1", "2026-02-29T00:00:00",
    "2024-02-29T00:00:00", "2026-13-01T00:00:00", "0000-01-01T00:00:00",
    "-0001-01-01T00:00:00", "10000-01-01T00:00:00", "2026-01-01T00:00:00+14:00",
    "2026-01-01T00:00:00+14:01", "2026-01-01T00:00:60", "2026-01-01 00:00:00",
    "2026-1-1T00:00:00", "2026-01-01T00:00:00.5", "2026-01-01T00:00:00.",
    "2026-01-01T00:00:00+00:60", "up", "UP", " up", "ready", "full", "incremental",
]
# fmt: on
_ASCII_DIGITS = re.compile(r"[+-]?[0-9]+")
_XML_BLANKS = " \t\r\n"
_SPACED_NUMBER = re.compile(r"[+-]?[0-9.]+(\s+[0-9.]+)+")


class _Record:
    """xmlschema's first error per distinct document of an example, found once: `_judge`
    asks for it, and `validate` asks again, about the same tree, for each document libxml2
    refuses; and a fifth of an example's documents come again, byte for byte (a mutation
    that changes nothing writes the valid document again). xmlschema's answer depends on
    the bytes alone, so it is remembered by them until the next example (every document is
    still judged by libxml2 and `validate`); `validate` still takes it through its own
    code."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.answers: dict[bytes, Any] = {}  # a document's bytes -> its first error, or None
        self.judged: tuple[ET.Element, bytes] | None = None  # the tree judged, and its bytes

    def forget(self) -> None:
        """A new example: its documents' answers are not kept alive any longer."""
        self.answers.clear()
        self.judged = None

    def first_error(self, data: bytes, root: ET.Element) -> Any:
        """xmlschema's first error in `root` (`data` parsed), or None; `root` is now judged."""
        self.judged = (root, data)
        if data not in self.answers:
            self.answers[data] = next(self.real.iter_errors(root), None)
        return self.answers[data]

    def iter_errors(self, document: ET.Element) -> Iterator[Any]:
        if self.judged is not None and self.judged[0] is document:
            error = self.answers[self.judged[1]]
        else:
            error = next(self.real.iter_errors(document), None)
        return iter(() if error is None else (error,))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


_RECORD = _Record(schema())


@pytest.fixture(autouse=True, scope="module")
def _remembered() -> Iterator[None]:
    """`validate` reads xmlschema's answers through `_RECORD` in this module."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(schema_module, "schema", lambda: _RECORD)
        yield


def _verdicts(data: bytes, root: ET.Element) -> tuple[bool, bool]:
    """(libxml2 accepts, xmlschema accepts) for one document (`root` is `data` parsed)."""
    return _libxml2().accepts(data), _RECORD.first_error(data, root) is None


def _known_divergence(data: bytes) -> bool:
    """Whether `data` holds a form libxml2 refuses and xmlschema accepts (module doc)."""
    for element in ET.fromstring(data).iter():
        text = element.text or ""
        for prose in (text, element.tail or ""):
            if not prose.strip() and prose.strip(_XML_BLANKS):
                return True  # whitespace to Python, not to XML
        stripped = text.strip()
        if stripped and stripped != text and stripped[:4].isdigit() and "T" in stripped:
            return True  # a dateTime with whitespace around it
        if _SPACED_NUMBER.fullmatch(stripped):
            return True  # a decimal with whitespace between its digits
        if stripped and not _ASCII_DIGITS.fullmatch(stripped):
            digits = stripped.lstrip("+-")
            if digits.isdigit() and not digits.isascii():
                return True  # an integer in non-ASCII digits
    return False


def _judge(data: bytes, *, tally: bool = True) -> bool:
    """Judge one document (its example's answers are remembered: `_Record`)."""
    root = ET.fromstring(data)  # one tree, judged by both and then by `validate`
    libxml2, record = _verdicts(data, root)
    if tally:
        event(f"xmlschema {'accepts' if record else 'refuses'}")
    assert not (libxml2 and not record), f"libxml2 accepts what xmlschema refuses:\n{data!r}"
    if record and not libxml2:
        assert _known_divergence(data), f"libxml2 refuses what xmlschema accepts:\n{data!r}"
    try:
        validate(root, data=data)
    except SchemaViolation:
        assert not record, f"validate refuses what xmlschema accepts:\n{data!r}"
    else:
        assert record, f"validate accepts what xmlschema refuses:\n{data!r}"
    return record


@cache
def _documents(element: str) -> st.SearchStrategy[ET.Element]:
    """One strategy per element, built once (building it is most of a draw's cost)."""
    return fst.xml_elements(element, max_depth=2, max_occurs=2)


# -- mutations: each breaks a valid document in one place --------------------------------
# The strategies of a mutation are built once: a strategy built per draw costs hypothesis
# more than the draw itself.
KINDS = st.sampled_from(
    ["text", "unknown child", "attribute", "swap", "duplicate", "drop", "rename", "prose", "tail"]
)
TEXTS = st.sampled_from(TRICKY) | fst.xml_safe_text(max_size=8)
TRICKY_VALUES = st.sampled_from(TRICKY)
ATTRIBUTES = st.sampled_from(["id", "href", "rel", "bogus"])
TAGS = st.sampled_from([*ELEMENTS, "link", "name", "id", UNKNOWN])
TAILS = st.sampled_from(["x", " 1 ", "\u00e9", " \n "])
PROSE = st.sampled_from(["x", " 1 ", "true", "\u00e9"])


def _index(draw: st.DrawFn, size: int) -> int:
    """An index below `size` (hypothesis keeps one `integers` strategy per bound)."""
    return draw(st.integers(0, size - 1))


def _mutate(root: ET.Element, draw: st.DrawFn) -> ET.Element:
    root = copy.deepcopy(root)
    nodes = list(root.iter())
    node = nodes[_index(draw, len(nodes))]
    kind = draw(KINDS)
    if kind == "text":
        node.text = draw(TEXTS)
    elif kind == "unknown child":
        node.insert(_index(draw, len(node) + 1), ET.Element(UNKNOWN))
    elif kind == "attribute":
        node.set(draw(ATTRIBUTES), draw(TRICKY_VALUES))
    elif kind == "swap" and len(node) >= 2:
        i = _index(draw, len(node) - 1)
        first, second = node[i], node[i + 1]
        node[i], node[i + 1] = second, first
    elif kind == "duplicate" and len(node):
        node.append(copy.deepcopy(node[_index(draw, len(node))]))
    elif kind == "drop" and len(node):
        node.remove(node[_index(draw, len(node))])
    elif kind == "rename":
        node.tag = draw(TAGS)
    elif kind == "tail" and node is not root:  # prose after an element
        node.tail = draw(TAILS)
    else:  # prose before the children, or a value in an element that holds elements
        node.text = draw(PROSE)
    return root


@cache
def _cases(element: str) -> st.SearchStrategy[tuple[bytes, list[bytes]]]:
    """A valid `<element>` document and nine broken ones, as the bytes judged. One composite
    draw per example: a draw through `st.data()` costs more than a mutation's own work."""

    @st.composite
    def cases(draw: st.DrawFn) -> tuple[bytes, list[bytes]]:
        root = draw(_documents(element))
        return to_bytes(root), [to_bytes(_mutate(root, draw)) for _ in range(9)]

    return cases()


@pytest.mark.parametrize("element", ELEMENTS)
@settings(max_examples=8, deadline=None)
@given(data=st.data())
def test_libxml2_and_xmlschema_agree_on_generated_documents(
    element: str, data: st.DataObject
) -> None:
    """Per example, one valid document and nine broken ones (drawing a valid document costs
    more than breaking it): 80 documents per element, over 5,000 in all."""
    valid, broken = data.draw(_cases(element))
    _RECORD.forget()
    assert _judge(valid), "a generated document should be valid"
    for document in broken:
        _judge(document)


@pytest.mark.parametrize("value", TRICKY)
@pytest.mark.parametrize(
    "place",
    [
        "api/time",  # dateTime
        "vm/memory",  # long
        "template_version/version_number",  # int
        "role/administrative",  # boolean
        "value/datum",  # decimal
        "vm/status",  # enumerations
        "backup/phase",
    ],
)
def test_libxml2_and_xmlschema_agree_on_edge_values(place: str, value: str) -> None:
    """The edges of each builtin type and of the enumerations, where the schema has one."""
    _RECORD.forget()
    parent, child = place.split("/")
    root = ET.Element(parent)
    ET.SubElement(root, child).text = value
    _judge(to_bytes(root), tally=False)


@pytest.mark.parametrize(
    ("document", "words"),
    [
        (b"<backup><fakeovirt_unknown/></backup>", "fakeovirt_unknown"),
        (b"<backup><phase>sideways</phase></backup>", "/backup/phase: value must be one of"),
        (b"<vm><memory>9223372036854775808</memory></vm>", "/vm/memory"),
        (b"<backup bogus='1'/>", "bogus"),
        (b"<backup>prose</backup>", "character data"),
    ],
)
def test_a_refusal_is_worded_by_xmlschema(document: bytes, words: str) -> None:
    """libxml2 refuses; the reason is xmlschema's, naming where and why."""
    assert not _libxml2().accepts(document)
    with pytest.raises(SchemaViolation, match=re.escape(words)):
        validate(ET.fromstring(document))


def test_strict_answers_are_checked_as_the_client_gets_them(fake: Any) -> None:
    """A strict answer is validated as the bytes it is sent as: a control character XML
    cannot carry is sent (and checked) as U+FFFD, never refused."""
    vm = fake.vm("vm-up")
    fake.engine.state.vms[vm.id].name = "bad \x01 byte"
    answer = fake.client().get(
        f"/ovirt-engine/api/vms/{vm.id}",
        headers={"Authorization": "Basic YWRtaW5AaW50ZXJuYWw6ZmFrZW92aXJ0"},
    )
    assert answer.status_code == 200, answer.get_data()
    assert "bad \ufffd byte".encode() in answer.get_data()
