"""What a handler gets: the engine state, the caller, the request, and how to answer."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import islice
from typing import TypeVar

from werkzeug.wrappers import Request, Response

from fakeovirt.core.engine import Engine
from fakeovirt.core.search import compile_search
from fakeovirt.core.state import State

from .fault_response import xml_response
from .follow import Follow, parse_follow
from .parse import parse_max
from .schema import validate
from .xmlout import collection

__all__ = ["Context"]

T = TypeVar("T")


@dataclass
class Context:
    engine: Engine
    request: Request
    user: str
    strict: bool

    @property
    def state(self) -> State:
        return self.engine.state

    @property
    def base_url(self) -> str:
        """Scheme, host and port the client used, for `Location` and data URLs."""
        return self.request.host_url.rstrip("/")

    def follow(self, kind: str) -> Follow:
        from .render import FOLLOWABLE

        return parse_follow(self.request.args.get("follow"), FOLLOWABLE[kind])

    def respond(self, element: ET.Element, status: int = 200, **headers: str) -> Response:
        if self.strict:
            validate(element)
        return xml_response(element, status, headers=headers or None)

    def listing(
        self,
        tag: str,
        items: Iterable[T],
        render: Callable[[T], ET.Element],
        *,
        search: tuple[dict[str, Callable[[T], object]], Callable[[T], Iterable[str]]] | None = None,
        observe: Callable[[T], object] | None = None,
    ) -> Response:
        """A collection with `search` (when given fields) and `max` applied.

        `items` may be lazy: only what `max` lets through is taken, then `observe`d (a
        client's read, which may move a per-read phase) and rendered, so a listing costs
        what it shows, not what the engine holds.
        """
        limit = parse_max(self.request.args)
        chosen: Iterable[T] = items
        query = self.request.args.get("search")
        if search is not None and query:
            fields, text = search
            matches = compile_search(query, fields, text)
            chosen = (item for item in chosen if matches(item))
        if limit is None:
            shown = list(chosen)
        elif limit >= 0:
            shown = list(islice(chosen, limit))
        else:
            shown = list(chosen)[:limit]
        if observe is not None:
            for item in shown:
                observe(item)
        return self.respond(collection(tag, (render(item) for item in shown)))

    def action_done(self) -> Response:
        action = ET.Element("action")
        ET.SubElement(action, "status").text = "complete"
        return self.respond(action)
