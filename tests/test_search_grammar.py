"""The engine's search grammar in the core (`fakeovirt/core/search.py`), on small entities:
what `SyntaxChecker` accepts, how its SQL would match, and what it refuses."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from fakeovirt.core.search import CrossRef, Field, Kind, SearchError, SearchObject, search


@dataclass
class Box:
    name: str
    size: int
    state: str
    owner: str | None = None


@dataclass
class Owner:
    name: str


OWNERS = {"ann": Owner("ann"), "bob": Owner("bob")}
OWNER = SearchObject("Owners", {"name": Field(lambda o: o.name)}, (("name", True),))
BOXES = SearchObject(
    "Boxes",
    fields={
        "name": Field(lambda b: b.name),
        "size": Field(lambda b: b.size, Kind.NUMBER),
        "state": Field(lambda b: b.state, Kind.ENUM, {"OPEN": "open", "SHUTTIGHT": "shut_tight"}),
        "owner": Field(lambda b: b.owner),
    },
    default_sort=(("name", True),),
    crossrefs={"keeper": CrossRef(OWNER, lambda b: [OWNERS[b.owner]] if b.owner else [])},
)
ITEMS = [
    Box("a_1", 10, "open", "ann"),
    Box("ab1", 20, "shut_tight", "bob"),
    Box("B 2", 30, "open"),
    Box("c%3", 40, "shut_tight", "ann"),
]


def names(text: str, **kw: object) -> list[str]:
    return [b.name for b in search(ITEMS, BOXES, text, **kw)]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ["a_1", "ab1", "B 2", "c%3"]),
        ("name=a_1", ["a_1"]),  # `_` is a plain character, not LIKE's any-one
        ("name=a*", ["a_1", "ab1"]),
        ("name=*1", ["a_1", "ab1"]),
        ("name=b*", ["B 2"]),  # ILIKE: the whole value, any case
        ("name=c%*", ["c%3"]),
        ('name="B 2"', ["B 2"]),
        ("name!=a*", ["B 2", "c%3"]),
        ("size>20", ["B 2", "c%3"]),
        ("size<=20 and size!=10", ["ab1"]),
        ("state=open", ["a_1", "B 2"]),
        ("STATE = ShutTight", ["ab1", "c%3"]),  # the engine's enum name, any case
        ("state=open or size=20 and name=ab*", ["a_1", "ab1", "B 2"]),  # and binds tighter
        ("state=open size=10", ["a_1"]),  # side by side: and
        ("owner!=ann", ["ab1"]),  # an empty member matches neither = nor !=
        ("keeper.name=ann", ["a_1", "c%3"]),
        ("keeper=bo", ["ab1"]),  # free text on the related object: contains
        ("%", ["c%3"]),  # free text: contains; `%` is escaped, a plain character
        ("b sortby size desc", ["B 2", "ab1"]),
        ("sortby state", ["a_1", "B 2", "ab1", "c%3"]),  # enum order, then the default order
        ("SORTBY name DESC PAGE 1", ["c%3", "B 2", "ab1", "a_1"]),
    ],
)
def test_the_engine_runs(text: str, expected: list[str]) -> None:
    assert names(text) == expected


def test_case_sensitive_is_like() -> None:
    assert names("name=b*", case_sensitive=True) == []
    assert names("name=B*", case_sensitive=True) == ["B 2"]


def test_pages_are_max_rows_each() -> None:
    assert names("page 2", max_count=3) == ["c%3"]
    assert names("page 1", max_count=0) == []
    assert names("page 0", max_count=2) == []
    assert names("page 2") == []  # no max: one page of everything


@pytest.mark.parametrize(
    "text",
    [
        "colour=red",  # unknown field
        "keeper.colour=red",  # unknown field of a related object
        "shelf.name=x",  # unknown related object
        "name>a",  # strings take = and != only
        "keeper>a",  # free text takes = and != only
        "state=shut_tight",  # the REST spelling is no enum name
        "size=big",  # not an integer
        "name=a and",
        "and name=a",
        "name=a or or name=b",
        "name",  # a field without relation and value
        "name=",
        "sortby colour",
        "sortby name sideways",
        "page x",
        "page 2 name=a",
        'name="unterminated',
        "name='a'",  # a quote the engine refuses
        "name=a;",
        "name=a\\",  # ends with the escape character
        "a b",  # free text twice on one object
    ],
)
def test_the_engine_refuses(text: str) -> None:
    with pytest.raises(SearchError):
        search(ITEMS, BOXES, text)
