"""`xmlout.to_bytes` writes a document itself (the hot path of every answer); its bytes must
be those of ElementTree (`ET.indent` by two spaces, then `ET.tostring` with a declaration),
which every client and test has read so far, and it must leave the element unchanged.
"""

from __future__ import annotations

import copy
import re
import xml.etree.ElementTree as ET
from functools import cache

from hypothesis import given, settings
from hypothesis import strategies as st

from fakeovirt.web.xmlout import to_bytes

_NOT_XML = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")

# Text with everything a writer escapes or lays out: markup, quotes, blanks, controls, non-ASCII.
TEXT = st.text(
    alphabet=st.sampled_from(list("ab &<>\"'\t\r\n \x01\x0b\u00e9\u20ac\U0001f600"))
    | st.characters(),
    max_size=6,
)
# Text, tails and blanks (which ET.indent replaces by its own layout, and markup does not).
FILLING = st.none() | st.sampled_from(["", " ", "\n    ", "\t"]) | TEXT
TAGS = st.sampled_from(["vm", "disk", "link", "name", "a-b", "x.y", "ns:tag"])


def elementtree_bytes(element: ET.Element) -> bytes:
    """What `to_bytes` wrote before it wrote documents itself."""
    element = copy.deepcopy(element)
    ET.indent(element, space="  ")
    data: bytes = ET.tostring(element, encoding="utf-8", xml_declaration=True)
    return _NOT_XML.sub("\ufffd".encode(), data) + b"\n"


ATTRIBUTES = st.lists(st.sampled_from(["href", "id", "rel", "b"]), unique=True)


@cache
def trees(depth: int = 3) -> st.SearchStrategy[ET.Element]:
    """Trees `depth` levels deep, one strategy per depth (built once, not per draw)."""
    children = st.lists(trees(depth - 1), max_size=3) if depth else st.just([])

    @st.composite
    def tree(draw: st.DrawFn) -> ET.Element:
        element = ET.Element(draw(TAGS))
        for name in draw(ATTRIBUTES):
            element.set(name, draw(TEXT))
        element.text = draw(FILLING)
        element.tail = draw(FILLING)
        element.extend(draw(children))
        return element

    return tree()


@settings(max_examples=300, deadline=None)
@given(trees())
def test_the_writer_gives_elementtree_bytes(element: ET.Element) -> None:
    before = ET.tostring(element)
    assert to_bytes(element) == elementtree_bytes(element)
    assert ET.tostring(element) == before, "to_bytes changed the element"


def test_an_unusual_tree_is_written_by_elementtree() -> None:
    """Namespaces and comments are ElementTree's business; the bytes are the same."""
    element = ET.Element("{urn:x}vm", id="1")
    element.append(ET.Comment(" a comment "))
    ET.SubElement(element, "name").text = "a & b"
    assert to_bytes(element) == elementtree_bytes(element)


def test_a_deep_tree_is_indented_like_elementtree() -> None:
    root = element = ET.Element("vm")
    for _ in range(70):
        element = ET.SubElement(element, "vm")
    element.text = "deep"
    assert to_bytes(root) == elementtree_bytes(root)
