"""Matching a request path against the routing table (`routes.API_MAP`), memoised by shape.

Rules of this file:
- werkzeug's matcher decides every answer: the memo only remembers what it answered;
- a path's *shape* keeps the segments the table spells out (`vms`, `backups`, the words of
  an `any(...)` converter) and replaces every other segment by its position: with only
  default and `any` converters, two paths of one shape match the same rule with the same
  arguments in the same places, so one match per shape serves them all;
- a table with any other converter (`int`, `path`, ...) is matched by werkzeug every time;
- the memo is bounded (a client inventing shapes costs werkzeug's time, never memory);
- a second bounded memo remembers whole paths (a client polls the same few URLs), so a
  repeated request costs one lookup;
- the tables are made of `MatchingRule`s: fakeovirt matches URLs and builds none, so a
  rule's URL builders are compiled on first use, not when the table is made.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule

__all__ = ["MatchingRule", "Router"]

_CONVERTER = re.compile(r"<(?:(?P<kind>\w+)(?:\((?P<args>[^)]*)\))?:)?(?P<name>\w+)>")
_TOKEN = re.compile(r"~\d+~")
_MEMO_SIZE = 1024
_PATHS_SIZE = 256  # whole paths remembered (a client polls a few at a time)


class MatchingRule(Rule):
    """A werkzeug `Rule` whose two URL builders are compiled when a URL is first built with
    it: werkzeug compiles them as the map is made (0.04 s of every process's start for our
    tables), and fakeovirt only matches URLs."""

    def _compile_builder(self, append_unknown: bool = True) -> Callable[..., tuple[str, str]]:
        compiled: Callable[..., tuple[str, str]] | None = None

        def build(*args: Any, **kwargs: Any) -> tuple[str, str]:
            nonlocal compiled
            if compiled is None:
                compiled = Rule._compile_builder(self, append_unknown)
            return compiled(*args, **kwargs)

        return build


class Router:
    """`match(path, method) -> (endpoint, arguments)` with werkzeug's answers and errors."""

    def __init__(self, url_map: Map) -> None:
        self._adapter = url_map.bind("fakeovirt", url_scheme="https")
        self._words = _static_words(url_map)
        self._memo: dict[tuple[str, tuple[str | None, ...]], _Answer] = {}
        self._paths: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {}

    def match(self, path: str, method: str) -> tuple[str, dict[str, Any]]:
        """The endpoint and its arguments; werkzeug's `NotFound` or `MethodNotAllowed`."""
        known = self._paths.get((method, path))
        if known is not None:
            return known[0], dict(known[1])
        endpoint, args = self._match(path, method)
        if len(self._paths) >= _PATHS_SIZE:
            self._paths.clear()
        self._paths[method, path] = (endpoint, dict(args))
        return endpoint, args

    def _match(self, path: str, method: str) -> tuple[str, dict[str, Any]]:
        if self._words is None:
            endpoint, args = self._adapter.match(path, method=method)
            return str(endpoint), dict(args)
        segments = path.split("/")
        words = self._words
        shape = tuple(s if s in words or not s else None for s in segments)
        key = (method, shape)
        answer = self._memo.get(key)
        if answer is None:
            answer = self._learn(shape, method)
            if len(self._memo) >= _MEMO_SIZE:
                self._memo.clear()
            self._memo[key] = answer
        return answer.apply(segments)

    def _learn(self, shape: tuple[str | None, ...], method: str) -> _Answer:
        """Ask werkzeug about the shape itself, each free segment named by its position."""
        free = {i: f"~{i}~" for i, word in enumerate(shape) if word is None}
        probe = "/".join(word if word is not None else free[i] for i, word in enumerate(shape))
        try:
            endpoint, args = self._adapter.match(probe, method=method)
        except MethodNotAllowed as error:
            return _Answer(None, {}, error.valid_methods)
        except NotFound:
            return _Answer(None, {}, None)
        places = {token: i for i, token in free.items()}
        arguments = {
            name: places[value] if isinstance(value, str) and value in places else value
            for name, value in args.items()
        }
        return _Answer(str(endpoint), arguments, None)


class _Answer:
    """What werkzeug answered for one shape: an endpoint with its arguments (a segment's
    position, or a fixed value), or the error."""

    __slots__ = ("allowed", "arguments", "endpoint")

    def __init__(self, endpoint: str | None, arguments: Mapping[str, Any], allowed: Any) -> None:
        self.endpoint = endpoint
        self.arguments = dict(arguments)
        self.allowed = allowed

    def apply(self, segments: list[str]) -> tuple[str, dict[str, Any]]:
        if self.endpoint is None:
            if self.allowed is not None:
                raise MethodNotAllowed(valid_methods=self.allowed)
            raise NotFound()
        args = {
            name: segments[place] if type(place) is int else place
            for name, place in self.arguments.items()
        }
        return self.endpoint, args


def _static_words(url_map: Map) -> frozenset[str] | None:
    """Every segment the table spells out, or None when a converter other than the default
    and `any` makes a segment's value matter beyond being one of these words."""
    words: set[str] = set()
    for rule in url_map.iter_rules():
        for segment in rule.rule.split("/"):
            found = list(_CONVERTER.finditer(segment))
            if not found:
                words.add(segment)
                continue
            if len(found) > 1 or found[0].span() != (0, len(segment)):
                return None  # a converter inside a segment: leave it all to werkzeug
            kind, args = found[0]["kind"], found[0]["args"]
            if kind in (None, "default", "string") and not args:
                continue
            if kind != "any" or args is None:
                return None
            words.update(word.strip().strip("'\"") for word in args.split(","))
    words.discard("")
    if any(_TOKEN.fullmatch(word) for word in words):
        return None  # a word that looks like a free segment's stand-in
    return frozenset(words)
