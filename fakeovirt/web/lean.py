"""The lean lane: a plain API `GET` of a document the memo may hold, answered from the WSGI
environ without werkzeug's request and response objects.

A client polling a backup sends the same `GET` again and again; this lane answers it with
what `FakeOvirtApp.handle` would do, minus the machinery: authenticate, route, tick, read
(which may move a per-read phase), the remembered or fresh document, one journal entry, and
the status and headers an `Answer` sends.

Rules of this file:
- only a `GET` (not `HEAD`) under the API, with an ASCII path, no query, no body, no fault
  rule active, the memo on, and an endpoint in `handlers.REMEMBERED` comes here; anything
  else returns None before changing anything, and `handle` answers it;
- a refusal (bad credentials, unknown path or entity) also returns None before anything
  changed but the tick (which a second tick at the same time repeats as a no-op): `handle`
  then answers the fault the same way as for any other request;
- once the read happened the lane answers itself: a failure from there on is a 500 as
  `handle` makes it (kept in `errors`), never a second read;
- the answer and the journal entry are the bytes and fields `handle` gives
  (`tests/test_documents.py` compares both, request for request).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Protocol

from fakeovirt.core.engine import Engine
from fakeovirt.core.errors import EngineError

from .auth import Authenticator
from .codec import JSON, XML, prefers_json
from .documents import Documents
from .handlers import REMEMBERED
from .host import FaultHook
from .journal import API_PREFIX, Journal
from .router import Router

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

__all__ = ["LeanHost", "answer_lean", "has_body"]


class LeanHost(Protocol):
    """The parts of `FakeOvirtApp` the lane uses (a protocol keeps the imports a tree)."""

    engine: Engine
    auth: Authenticator
    router: Router
    journal: Journal
    documents: Documents | None
    faults: FaultHook | None
    strict: bool

    def failed_lean(
        self,
        environ: WSGIEnvironment,
        start_response: StartResponse,
        error: Exception,
        user: str,
        endpoint: str,
    ) -> Iterable[bytes]:
        """The 500 for a bug after the read, answered and journaled as `handle` does."""


_PREFIX = API_PREFIX + "/"


def has_body(environ: WSGIEnvironment) -> bool:
    """Whether werkzeug would read a body from this request (its `get_input_stream` rule)."""
    return "wsgi.input_terminated" in environ or environ.get("CONTENT_LENGTH") not in (
        None,
        "",
        "0",
    )


def answer_lean(
    app: LeanHost, environ: WSGIEnvironment, start_response: StartResponse
) -> Iterable[bytes] | None:
    """The answer, or None when `app.handle` should answer (nothing changed then)."""
    path: str = environ.get("PATH_INFO", "")
    documents = app.documents
    if (
        environ.get("REQUEST_METHOD") != "GET"
        or not path.startswith(_PREFIX)
        or environ.get("QUERY_STRING")
        or documents is None
        or (app.faults is not None and app.faults.active)
        or has_body(environ)
        or not path.isascii()
    ):
        return None
    try:
        user = app.auth.user_for_header(environ.get("HTTP_AUTHORIZATION", ""))
        endpoint, args = app.router.match(path[len(API_PREFIX) :], "GET")
    except Exception:  # a refusal: handle answers it
        return None
    find: Callable[..., Any] | None = REMEMBERED.get(endpoint)
    if find is None:
        return None
    engine, strict = app.engine, app.strict
    as_json = prefers_json(environ.get("HTTP_ACCEPT", ""))
    with engine.lock:
        engine.tick()
        try:
            document = find(engine, **args)
        except EngineError:
            return None  # nothing was read: handle answers the fault
        try:
            data = documents.encoded(document, as_json, strict)
        except Exception as error:  # a bug in fakeovirt, after the read: answer the 500 here
            return app.failed_lean(environ, start_response, error, user, endpoint)
    app.journal.record(
        method="GET",
        path=path,
        query="",
        status=200,
        user=user,
        request_body=b"",
        response_body=data,
        endpoint=endpoint,
    )
    content_type = JSON if as_json else XML
    start_response("200 OK", [("Content-Type", content_type), ("Content-Length", str(len(data)))])
    return [data]
