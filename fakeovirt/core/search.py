"""A small subset of the engine's search language: `key=value` terms joined by `and`.

A bare word (no `=`) matches when it appears in the entity's searchable text, which is
how `events?search=<backup id>` finds a backup's events. Keys are case-insensitive;
values match case-insensitively and may end with `*` as a prefix wildcard.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import TypeVar

from .errors import BadRequest

__all__ = ["compile_search"]

T = TypeVar("T")
_AND = re.compile(r"\s+and\s+", re.IGNORECASE)


def compile_search(
    query: str,
    fields: Mapping[str, Callable[[T], object]],
    text: Callable[[T], Iterable[str]],
) -> Callable[[T], bool]:
    """A predicate for `query` over entities with the given `fields`; unknown keys are a 400."""
    query = query.strip()
    if not query:
        return lambda _: True
    tests: list[Callable[[T], bool]] = []
    for term in _AND.split(query):
        key, sep, value = term.partition("=")
        key, value = key.strip().lower(), value.strip().strip("\"'")
        if not sep:
            tests.append(_word_test(key, text))
            continue
        if key not in fields:
            known = ", ".join(sorted(fields))
            raise BadRequest(f"Cannot search by '{key}': use one of {known}, or a bare word")
        tests.append(_field_test(fields[key], value))
    return lambda e: all(test(e) for test in tests)


def _word_test(word: str, text: Callable[[T], Iterable[str]]) -> Callable[[T], bool]:
    return lambda entity: any(word in s.lower() for s in text(entity))


def _field_test(getter: Callable[[T], object], value: str) -> Callable[[T], bool]:
    return lambda entity: _matches(getter(entity), value)


def _matches(actual: object, wanted: str) -> bool:
    if actual is None:
        return False
    text = str(actual.value if hasattr(actual, "value") else actual).lower()
    wanted = wanted.lower()
    if wanted.endswith("*"):
        return text.startswith(wanted[:-1])
    return text == wanted
