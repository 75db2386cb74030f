"""What a handler gets: the engine state, the caller, the request, and how to answer."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

from werkzeug.wrappers import Request, Response

from fakeovirt.core.engine import Engine
from fakeovirt.core.search import SearchObject
from fakeovirt.core.state import State

from .codec import JSON, XML, Answer, wants_json
from .documents import Documents, Remembered, encode_document
from .follow import Follow, parse_follow
from .listing import choose
from .xmlout import collection

__all__ = ["Context"]

T = TypeVar("T")


@dataclass
class Context:
    engine: Engine
    request: Request
    user: str
    strict: bool
    documents: Documents | None = None

    @property
    def state(self) -> State:
        return self.engine.state

    @property
    def base_url(self) -> str:
        """Scheme, host and port the client used, for `Location` and data URLs."""
        return self.request.host_url.rstrip("/")

    def follow(self, kind: str) -> Follow:
        request = self.request
        if not request.query_string:
            return {}
        from .render import FOLLOWABLE

        value = request.args.get("follow")
        return parse_follow(value, FOLLOWABLE[kind], FOLLOWABLE, kind)

    def respond(self, element: ET.Element, status: int = 200, **headers: str) -> Response:
        """`element` (checked against the schema in strict mode) as XML or JSON, by `Accept`."""
        as_json = wants_json(self.request)
        return Answer(
            encode_document(element, as_json, self.strict),
            status=status,
            content_type=JSON if as_json else XML,
            headers=headers or None,
        )

    def created(self, element: ET.Element, status: int = 201) -> Response:
        """`respond(element, status)` with the new entity's `Location`, as an add answers."""
        return self.respond(element, status, Location=self.base_url + element.get("href", ""))

    def respond_remembered(self, document: Remembered) -> Response:
        """`respond(document.build())`, the answer remembered while the document's
        fingerprint (every value it shows, see `documents`) stays equal."""
        if self.documents is None:
            return self.respond(document.build())
        as_json = wants_json(self.request)
        data = self.documents.encoded(document, as_json, self.strict)
        return Answer.document(data, JSON if as_json else XML)

    def listing(
        self,
        tag: str,
        items: Iterable[T],
        render: Callable[[T], ET.Element],
        *,
        search: SearchObject[T] | None = None,
        always_search: bool = True,
        observe: Callable[[T], object] | None = None,
    ) -> Response:
        """A collection with `max` and (for a search object) `search` applied as the engine.

        `items` may be lazy: a plain list takes only what `max` lets through, then
        `observe`s (a client's read, which may move a per-read phase) and renders it, so a
        listing costs what it shows, not what the engine holds.
        """
        shown = choose(self.request.args, items, search, always_search=always_search)
        if observe is not None:
            for item in shown:
                observe(item)
        return self.respond(collection(tag, (render(item) for item in shown)))

    def action_done(self) -> Response:
        """`respond(<action><status>complete</status></action>)`: the same document for
        every action, so encoded (and in strict mode validated) once per process."""
        as_json = wants_json(self.request)
        key = (as_json, self.strict)
        data = _DONE.get(key)
        if data is None:
            action = ET.Element("action")
            ET.SubElement(action, "status").text = "complete"
            data = _DONE[key] = encode_document(action, as_json, self.strict)
        return Answer.document(data, JSON if as_json else XML)


_DONE: dict[tuple[bool, bool], bytes] = {}  # the encoded action_done, by (as JSON, strict)
