"""The engine's search language, over entities described by `SearchObject`s.

Rules of this file (the engine's searchbackend `SyntaxChecker`, `BaseConditionFieldAutoCompleter`
and `SearchObjectAutoCompleter`, oVirt/ovirt-engine
`backend/manager/modules/searchbackend/src/main/java/org/ovirt/engine/core/searchbackend/`):
- text: `[cond ([and|or] cond)*] [sortby FIELD [asc|desc]] [page N]`; keywords in any case;
  two conditions side by side mean `and`; `and` binds tighter than `or`.
- cond: `FIELD REL VALUE`, `OBJ.FIELD REL VALUE` (a related object, e.g. `host.name`),
  `OBJ REL VALUE` (free text over the related object) or a bare `VALUE` (free text over the
  searched object, at most once per object).
- string fields take `=` and `!=`, matched as SQL `ILIKE` (`LIKE` when case-sensitive): the
  whole value, `*` a wildcard anywhere, `%` and `_` plain characters (`SqlInjectionChecker.
  enforceEscapeCharacters`, `SyntaxChecker.escapeUnderScore`); free text matches when any
  string field contains the value.
- numbers take `<`, `>`, `<=`, `>=`, `=`, `!=`; enums and ids take `=` and `!=`; an enum value
  is the engine's enum name in any case (`up`, `PoweringUp`), not the REST spelling.
- an empty member never matches (SQL NULL), with `=` or `!=`.
- without `sortby` the object's default order applies; it is also the secondary order.
- `page N` returns rows `(N-1)*max+1 … N*max` (`max` is the page size).
- whatever the engine refuses (unknown field or object, wrong relation, bad value, `'` or `;`,
  a value ending in `\\`, broken syntax) raises `SearchError`; the REST layer answers it with
  an empty list.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Generic, TypeVar

__all__ = ["CrossRef", "Field", "Kind", "SearchError", "SearchObject", "search"]

T = TypeVar("T")

_RELATION = re.compile(r"\s*(<=|>=|!=|=|<|>)")
_WORD_END = re.compile(r"[\s=<>!]")
_FORBIDDEN = ("'", ";")  # SyntaxChecker.DISALLOWED_CHARS


class SearchError(Exception):
    """A search the engine does not run (its `SyntaxError` kinds); the text says why."""


class Kind(Enum):
    STRING = "string"
    ENUM = "enum"
    NUMBER = "number"
    ID = "id"
    BOOL = "bool"


_RELATIONS = {
    Kind.STRING: ("=", "!="),
    Kind.ENUM: ("=", "!="),
    Kind.ID: ("=", "!="),
    Kind.BOOL: ("=", "!="),
    Kind.NUMBER: ("=", "!=", "<", ">", "<=", ">="),
}
_TRUE = {"true", "t", "yes", "y", "1", "on"}
_FALSE = {"false", "f", "no", "n", "0", "off"}


@dataclass(frozen=True)
class Field(Generic[T]):
    """One searchable member: how to read it, its kind, and for enums the engine's names
    (upper case, in the engine's declaration order) mapped to the REST value."""

    get: Callable[[T], object]
    kind: Kind = Kind.STRING
    names: Mapping[str, str] = field(default_factory=dict)
    free_text: bool = True


@dataclass(frozen=True)
class CrossRef(Generic[T]):
    """A related object (`host` of a VM): its search object and the related entities."""

    obj: SearchObject[Any]
    related: Callable[[T], Iterable[Any]]


@dataclass(frozen=True)
class SearchObject(Generic[T]):
    """What one search object (`Vms`, `Events`, ...) offers: fields, related objects, order."""

    name: str
    fields: Mapping[str, Field[T]]
    default_sort: tuple[tuple[str, bool], ...]
    crossrefs: Mapping[str, CrossRef[T]] = field(default_factory=dict)
    sort_only: Mapping[str, Field[T]] = field(default_factory=dict)
    extra_text: Callable[[T], Iterable[str]] | None = None


# -- parsing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Condition:
    """`via` names the related object (or None); `field` None means free text."""

    via: str | None
    field: str | None
    relation: str
    value: str


@dataclass
class _Query:
    groups: list[list[_Condition]]
    sort: tuple[str, bool] | None = None
    page: int | None = None


def _word(text: str, pos: int) -> tuple[str, int, bool]:
    """The word at `pos` (a double-quoted string is one word): `(word, end, quoted)`."""
    if text[pos] == '"':
        close = text.find('"', pos + 1)
        if close < 0:
            raise SearchError("unterminated quoted value")
        return text[pos + 1 : close], close + 1, True
    match = _WORD_END.search(text, pos)
    end = match.start() if match else len(text)
    return text[pos:end], end, False


def _skip(text: str, pos: int) -> int:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return pos


def _parse(text: str, obj: SearchObject[Any]) -> _Query:
    if any(c in text for c in _FORBIDDEN):
        raise SearchError("the search text holds a character the engine refuses")
    query = _Query(groups=[[]])
    free_text_seen: set[str | None] = set()
    expecting_condition = False  # right after `and`/`or`
    pos = _skip(text, 0)
    while pos < len(text):
        word, end, quoted = _word(text, pos)
        keyword = "" if quoted else word.upper()
        if not word and not quoted:  # a relation with nothing before it
            raise SearchError(f"unexpected {text[pos]!r}")
        if keyword == "SORTBY":
            pos = _parse_sort(text, _skip(text, end), obj, query)
            break
        if keyword == "PAGE":
            pos = _parse_page(text, _skip(text, end), query)
            break
        if keyword in ("AND", "OR"):
            if expecting_condition or not query.groups[-1]:
                raise SearchError(f"'{word}' needs a condition on each side")
            if keyword == "OR":
                query.groups.append([])
            expecting_condition = True
            pos = _skip(text, end)
            continue
        condition, pos = _parse_condition(text, word, end, quoted, obj)
        if condition.field is None:
            if condition.via in free_text_seen:
                raise SearchError("free text is allowed once per object")
            free_text_seen.add(condition.via)
        query.groups[-1].append(condition)
        expecting_condition = False
        pos = _skip(text, pos)
    if expecting_condition:
        raise SearchError("the search text ends with 'and' or 'or'")
    if pos < len(text):
        raise SearchError("nothing may follow the page number")
    return query


def _parse_condition(
    text: str, subject: str, end: int, quoted: bool, obj: SearchObject[Any]
) -> tuple[_Condition, int]:
    relation = None if quoted else _RELATION.match(text, end)
    if relation is None:
        if not quoted and (subject.lower() in obj.fields or subject.lower() in obj.crossrefs):
            raise SearchError(f"'{subject}' needs a relation and a value")
        return _Condition(None, None, "=", subject), end
    via, _, member = subject.lower().partition(".")
    target: SearchObject[Any] = obj
    name: str | None = member or None
    if member:
        if via not in obj.crossrefs:
            raise SearchError(f"{obj.name} cannot be searched by '{via}'")
        target = obj.crossrefs[via].obj
    elif via in obj.fields:
        name, via = via, ""
    elif via not in obj.crossrefs:
        raise SearchError(f"{obj.name} cannot be searched by '{via}'")
    op = relation.group(1)
    pos = _skip(text, relation.end())
    if pos >= len(text):
        raise SearchError(f"'{subject} {op}' needs a value")
    value, pos, _ = _word(text, pos)
    if value.endswith("\\"):
        raise SearchError("a value may not end with the escape character")
    if name is not None:
        _check_value(target.fields.get(name), name, op, value)
    elif op not in ("=", "!="):
        raise SearchError(f"free text takes = or !=, not {op}")
    return _Condition(via or None, name, op, value), pos


def _check_value(member: Field[Any] | None, name: str, op: str, value: str) -> None:
    if member is None:
        raise SearchError(f"unknown field '{name}'")
    if op not in _RELATIONS[member.kind]:
        raise SearchError(f"'{name}' does not take {op}")
    if member.kind is Kind.ENUM and value.upper() not in member.names:
        raise SearchError(f"'{value}' is not a value of '{name}'")
    if member.kind is Kind.NUMBER and not re.fullmatch(r"-?\d+", value):
        raise SearchError(f"'{name}' needs an integer")
    if member.kind is Kind.BOOL and value.lower() not in _TRUE | _FALSE:
        raise SearchError(f"'{name}' needs true or false")


def _parse_sort(text: str, pos: int, obj: SearchObject[Any], query: _Query) -> int:
    if pos >= len(text):
        raise SearchError("sortby needs a field")
    name, pos, _ = _word(text, pos)
    if name.lower() not in obj.fields:
        raise SearchError(f"cannot sort by '{name}'")
    ascending = True
    pos = _skip(text, pos)
    if pos < len(text):
        word, end, _ = _word(text, pos)
        if word.upper() in ("ASC", "DESC"):
            ascending = word.upper() == "ASC"
            pos = _skip(text, end)
    query.sort = (name.lower(), ascending)
    if pos < len(text):
        word, end, _ = _word(text, pos)
        if word.upper() != "PAGE":
            raise SearchError(f"only 'page' may follow sortby, not '{word}'")
        pos = _parse_page(text, _skip(text, end), query)
    return pos


def _parse_page(text: str, pos: int, query: _Query) -> int:
    if pos >= len(text):
        raise SearchError("page needs a number")
    word, end, _ = _word(text, pos)
    if not word.isdigit():
        raise SearchError(f"'{word}' is not a page number")
    query.page = int(word)
    return _skip(text, end)


# -- matching -----------------------------------------------------------------------------


def _like(pattern: str, case_sensitive: bool, *, contains: bool = False) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else re.escape(c) for c in pattern)
    if contains:
        body = f".*{body}.*"
    return re.compile(body, re.DOTALL if case_sensitive else re.DOTALL | re.IGNORECASE)


def _text(value: object) -> str:
    return str(value.value if isinstance(value, Enum) else value)


def _field_matches(member: Field[Any], entity: object, op: str, value: str, cs: bool) -> bool:
    actual = member.get(entity)
    if actual is None:
        return False
    if member.kind is Kind.STRING:
        hit = _like(value, cs).fullmatch(_text(actual)) is not None
        return hit if op == "=" else not hit
    if member.kind is Kind.ENUM:
        hit = _text(actual) == member.names[value.upper()]
    elif member.kind is Kind.ID:
        hit = _text(actual).lower() == value.lower()
    elif member.kind is Kind.BOOL:
        hit = bool(actual) == (value.lower() in _TRUE)
    else:
        number, wanted = int(str(actual)), int(value)
        return {
            "=": number == wanted,
            "!=": number != wanted,
            "<": number < wanted,
            ">": number > wanted,
            "<=": number <= wanted,
            ">=": number >= wanted,
        }[op]
    return hit if op == "=" else not hit


def _free_text(obj: SearchObject[Any], entity: object, op: str, value: str, cs: bool) -> bool:
    pattern = _like(value, cs, contains=True)
    texts = [
        _text(v)
        for m in obj.fields.values()
        if m.kind is Kind.STRING and m.free_text and (v := m.get(entity)) is not None
    ]
    if obj.extra_text is not None:
        texts += obj.extra_text(entity)
    if op == "=":
        return any(pattern.fullmatch(t) for t in texts)
    return any(not pattern.fullmatch(t) for t in texts)


def _matches(obj: SearchObject[T], entity: T, condition: _Condition, cs: bool) -> bool:
    if condition.via is None:
        if condition.field is None:
            return _free_text(obj, entity, condition.relation, condition.value, cs)
        member = obj.fields[condition.field]
        return _field_matches(member, entity, condition.relation, condition.value, cs)
    ref = obj.crossrefs[condition.via]
    for related in ref.related(entity):
        if condition.field is None:
            if _free_text(ref.obj, related, condition.relation, condition.value, cs):
                return True
        elif _field_matches(
            ref.obj.fields[condition.field], related, condition.relation, condition.value, cs
        ):
            return True
    return False


def _sort_key(member: Field[Any]) -> Callable[[object], tuple[int, Any]]:
    order = {rest: i for i, rest in enumerate(member.names.values())}

    def key(entity: object) -> tuple[int, Any]:
        value = member.get(entity)
        if value is None:
            return (0, "")
        if member.kind is Kind.ENUM:
            return (1, order.get(_text(value), len(order)))
        if member.kind in (Kind.NUMBER, Kind.BOOL):
            return (1, int(str(value)) if member.kind is Kind.NUMBER else bool(value))
        text = _text(value)
        return (1, (text.casefold(), text))

    return key


def _sort(items: list[T], obj: SearchObject[T], sort: tuple[str, bool] | None) -> list[T]:
    keys = list(obj.default_sort)
    if sort is not None:
        keys = [sort, *(k for k in keys if k[0] != sort[0])]
    for name, ascending in reversed(keys):
        key = _sort_key(obj.fields.get(name) or obj.sort_only[name])
        if ascending:  # ASC NULLS FIRST
            items.sort(key=key)
        else:  # DESC NULLS LAST
            items.sort(key=key, reverse=True)
    return items


def search(
    items: Iterable[T],
    obj: SearchObject[T],
    text: str,
    *,
    max_count: int | None = None,
    case_sensitive: bool = False,
) -> list[T]:
    """The entities the engine's search `<obj.name>: <text>` returns, in its order.

    `max_count` is the page size (no limit when None). Raises `SearchError` where the engine
    would log a bad search and answer nothing.
    """
    query = _parse(text.strip(), obj)
    chosen = [
        entity
        for entity in items
        if any(
            all(_matches(obj, entity, condition, case_sensitive) for condition in group)
            for group in query.groups
        )
    ]
    chosen = _sort(chosen, obj, query.sort)
    page = query.page if query.page is not None else 1
    if max_count is None:
        return chosen if page == 1 else []
    start = (page - 1) * max_count
    return chosen[start : start + max_count] if start >= 0 else []
