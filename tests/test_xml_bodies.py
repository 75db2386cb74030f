"""XML request bodies are read as defusedxml reads them, through expat's cheaper first look.

`fakeovirt.web.parse._xml` lets expat read a body with no handler but the DOCTYPE's before
anything is built: a malformed body is refused with expat's words, a body with a DOCTYPE
goes to defusedxml, a well-formed one is built by ElementTree's C parser. Each answer must
be the one defusedxml's parser gives alone: the same tree, or the same refusal, word for
word (clients and tests compare faults).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException
from hypothesis import given, settings
from hypothesis import strategies as st

from fakeovirt import strategies as fst
from fakeovirt.web.parse import _xml
from fakeovirt.web.refusals import SyntaxIncorrect

from .hostile import ATTACHMENT_BODIES, TRANSFER_BODIES, XML_BODIES
from .hypothesis_profiles import examples


def _defused(body: bytes) -> str:
    """What defusedxml alone makes of `body`: the tree written out, or the refusal."""
    try:
        root = SafeET.fromstring(body, forbid_dtd=True)
    except DefusedXmlException as error:
        return f"refused: forbidden XML construct ({error})"
    except (ET.ParseError, LookupError, ValueError) as error:  # encodings: refused too
        return f"refused: malformed XML ({error})"
    except Exception as error:
        return f"raised {type(error).__name__}: {error}"
    return ET.tostring(root, encoding="unicode")


def _read(body: bytes) -> str:
    """What `_xml` makes of `body`: the tree written out, or the refusal. Anything else it
    raises fails the test: a client would get a 500, however defusedxml fares."""
    try:
        root = _xml(body)
    except SyntaxIncorrect as error:
        return f"refused: {error}"
    return ET.tostring(root, encoding="unicode")


# Bodies at the corners: namespaces, prefixes, entities, encodings, DOCTYPEs after errors.
CORNERS = [
    *XML_BODIES.values(),
    *TRANSFER_BODIES.values(),
    *ATTACHMENT_BODIES.values(),
    b"<backup xmlns='urn:x'><disks/></backup>",
    b"<a:backup xmlns:a='urn:a'><a:disks/></a:backup>",
    b"<a:backup><disks/></a:backup>",
    b"<backup xml:lang='en'/>",
    b"<backup>&amp;&lt;&#65;&#x42;</backup>",
    b"<backup>&undefined;</backup>",
    b"<backup>&#0;</backup>",
    b"<backup a='1' a='2'/>",
    b"<?xml version='1.0' encoding='latin-1'?><backup>\xe9</backup>",
    b"<?xml version='1.0' encoding='shift_jis'?><backup/>",
    b"<?xml version='1.0' encoding='bogus'?><backup/>",
    b"\xef\xbb\xbf<backup/>",
    b"\xff\xfe<\x00b\x00/\x00>\x00",
    b"<backup/><!DOCTYPE x>",
    b"<backup><!DOCTYPE x></backup>",
    b"<!-- c --><?pi x?><backup><!-- c --><![CDATA[<x>]]></backup>",
    b"<backup/>trailing",
    b"<backup></disks>",
    b"  \n<backup/>\n",
    b"<?xml version='1.0'?><!DOCTYPE backup><backup/>",
    b"<?xml version='2.0'?><backup/>",
]


@pytest.mark.parametrize("body", CORNERS)
def test_a_body_at_a_corner_is_read_as_defusedxml_reads_it(body: bytes) -> None:
    assert _read(body) == _defused(body)


# Pieces that break a document, or nearly: inserted anywhere in a generated body.
PIECES = st.sampled_from(
    [b"<", b">", b"&", b"&x;", b"</a>", b"<a>", b"<!DOCTYPE a>", b"\x00", b"\xff", b"a:", b"'"]
)


@settings(max_examples=examples(30), deadline=None)
@given(fst.xml_documents("backup", max_depth=2), st.data())
def test_a_generated_or_broken_body_is_read_as_defusedxml_reads_it(
    document: bytes, data: st.DataObject
) -> None:
    """A generated document, then the same cut short and with a piece inserted: 90 bodies
    under the default profile (the corners above carry the forms that matter; these are
    the breadth)."""
    assert _read(document) == _defused(document)
    cut = document[: data.draw(st.integers(0, len(document)), label="cut")]
    assert _read(cut) == _defused(cut)
    at = data.draw(st.integers(0, len(document)), label="at")
    broken = document[:at] + data.draw(PIECES, label="piece") + document[at:]
    assert _read(broken) == _defused(broken)


def test_a_malformed_body_is_refused_before_any_tree_is_built(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """50,000 unclosed elements are refused by expat's look alone, with defusedxml's words:
    neither tree builder is asked (each would build 50,000 elements first)."""
    body = XML_BODIES["deep"]
    expected = _defused(body)

    def no_tree(*_: object, **__: object) -> ET.Element:
        raise AssertionError("a tree was built")

    monkeypatch.setattr(SafeET, "fromstring", no_tree)
    monkeypatch.setattr(ET, "fromstring", no_tree)
    assert (
        _read(body)
        == expected
        == "refused: malformed XML (no element found: line 1, column 400000)"
    )
