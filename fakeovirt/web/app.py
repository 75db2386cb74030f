"""The WSGI application: SSO, the REST API, the imageio data endpoint, all on one server.

Data flow of one API request: route -> authenticate -> the fault hook (which may delay,
replace or drop the answer) -> under the engine lock: tick the clock, run the handler
(parse -> engine -> render), check the answer against the schema in strict mode -> record
it in the journal. Every error becomes an XML `<fault>`; an exception from fakeovirt itself
becomes a 500 fault and is kept in `errors` so that the pytest plugin can fail the test that
caused it. Extra routes (control plane, dashboard) are matched by their longest prefix.
"""

from __future__ import annotations

import errno
import json
import logging
import threading
import traceback
from collections.abc import Callable, Iterable
from contextlib import nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound, RequestEntityTooLarge
from werkzeug.wrappers import Request, Response

from fakeovirt.core import messages as msg
from fakeovirt.core.engine import Engine
from fakeovirt.core.errors import EngineError, Forbidden, Unauthorized
from fakeovirt.core.errors import NotFound as UnknownPath
from fakeovirt.core.model import DataRequest
from fakeovirt.core.scenario import Scenario

from .auth import Authenticator
from .context import Context
from .documents import Documents
from .fault_response import error_response, fault_response
from .handlers import HANDLERS
from .host import FaultHook
from .imageio import ImageioApp, TicketNotFound
from .imageio.wire import Exchange as ImageioExchange
from .journal import (
    API_PREFIX,
    ENVIRON_ENDPOINT,
    ENVIRON_FAULTS,
    ENVIRON_USER,
    DataMoved,
    Journal,
)
from .lean import answer_lean, has_body
from .mounted.control import mount as mount_control
from .mounted.dashboard import mount as mount_dashboard
from .router import Router
from .routes import API_MAP

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

__all__ = ["API_PREFIX", "DropConnection", "FakeOvirtApp", "FaultHook", "ServerError"]

log = logging.getLogger("fakeovirt")

SSO_TOKEN = "/ovirt-engine/sso/oauth/token"
SSO_LOGOUT = "/ovirt-engine/services/sso-logout"
# The dashboard polls every second; its reads (and a browser's favicon request) would drown
# what users assert on.
UNJOURNALED = ("/fakeovirt/dashboard", "/favicon.ico")
CONTROL = "/fakeovirt"
MAX_BODY = 8 * 1024 * 1024


@dataclass(frozen=True)
class ServerError:
    """An exception raised inside fakeovirt while answering a request."""

    method: str
    path: str
    error: BaseException
    traceback: str


class DropConnection(Exception):
    """Raised by the fault hook: close the client's connection without an answer."""


@dataclass
class _Seen:
    """What one request turned out to be, for the journal."""

    user: str | None = None
    endpoint: str | None = None
    routed: bool = True


class FakeOvirtApp:
    """One engine behind HTTP: API, SSO and imageio."""

    def __init__(
        self,
        engine: Engine,
        *,
        authenticator: Authenticator | None = None,
        strict: bool = False,
        journal: Journal | None = None,
        faults: FaultHook | None = None,
    ) -> None:
        if isinstance(engine.lock, nullcontext):  # a bare Engine: the threaded server needs a lock
            engine.lock = threading.RLock()
        self.engine = engine
        self.auth = authenticator or Authenticator()
        self.strict = strict
        self.journal = journal if journal is not None else Journal()
        self.faults = faults
        self.errors: list[ServerError] = []
        self.documents: Documents | None = Documents()  # None: render every answer
        self.started_at = engine.clock.now()  # engine time of the last reset
        self.extra_routes: dict[str, Callable[[Request], Response]] = {}
        self.router = Router(API_MAP)
        self.imageio = ImageioApp(
            self._resolve_ticket,
            engine.lock,
            on_error=self._imageio_failed,
            on_data=self._imageio_data,
        )
        mount_control(self)
        mount_dashboard(self)

    def _resolve_ticket(self, ticket_id: str) -> Any:
        try:
            return self.engine.ticket(ticket_id)
        except Forbidden as error:
            raise TicketNotFound(error.detail) from None

    def reset(self, scenario: Scenario | None = None) -> None:
        """Back to the scenario's start: engine state, journal, errors and fault rules.

        The engine is rebuilt first: if that fails, nothing else has changed either.
        """
        with self.engine.lock:
            self.engine.reset(scenario)
            if self.faults is not None:
                self.faults.clear()
            self.started_at = self.engine.clock.now()
            self.journal.clear()
            self.errors.clear()
            if self.documents is not None:
                self.documents.clear()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        try:
            if path.startswith("/images/") or path == "/images":
                if self.faults is None or not self.faults.active:
                    return self._imageio(environ, start_response)
                request = Request(environ, populate_request=False)
                response = self.faults(request, lambda: Response.from_app(self._imageio, environ))
            else:
                answered = answer_lean(self, environ, start_response)
                if answered is not None:
                    return answered
                request = Request(environ, populate_request=False)
                request.max_content_length = MAX_BODY
                response = self.handle(request)
        except DropConnection:
            _drop()
        return response(environ, start_response)

    def _imageio(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        return self.imageio(environ, start_response)

    def _imageio_failed(self, method: str, path: str, error: BaseException, trace: str) -> None:
        """A 500 from imageio is a bug in fakeovirt: keep it in `errors` with its traceback."""
        self.errors.append(ServerError(method, path, error, trace))

    def _imageio_data(
        self, exchange: ImageioExchange, status: int, transfer: str, request: DataRequest
    ) -> None:
        """A data request ended: one journal entry, with what moved instead of the bytes."""
        self.journal.record(
            method=exchange.method,
            path=exchange.path,
            query=exchange.environ.get("QUERY_STRING", ""),
            status=status,
            user=None,
            request_body=b"",
            response_body=b"",
            endpoint=f"imageio.{request.op}",
            faults=tuple(exchange.environ.get(ENVIRON_FAULTS, ())),
            data=DataMoved(
                transfer,
                request.op,
                request.offset,
                request.length,
                request.announced,
                request.moved,
                request.torn,
                request.reason,
            ),
        )

    def handle(self, request: Request) -> Response:
        seen = _Seen()
        try:
            response = self._answer(request, seen)
        except DropConnection:
            self._record(request, seen, None)
            raise
        except EngineError as error:
            response = _error(request, error.status, error.detail, error)
        except RequestEntityTooLarge:
            response = _error(request, 413, msg.BODY_TOO_LARGE.format(limit=MAX_BODY))
        except Exception as error:  # a bug in fakeovirt: answer, and remember it
            response = self._failed(request, error)
        if not request.path.startswith(UNJOURNALED):
            self._record(request, seen, response)
        return response

    def _failed(self, request: Request, error: Exception) -> Response:
        """The 500 for a bug in fakeovirt (called while handling `error`), kept in `errors`."""
        self.errors.append(ServerError(request.method, request.path, error, traceback.format_exc()))
        log.exception("fakeovirt failed on %s %s", request.method, request.path)
        return _error(request, 500, msg.INTERNAL_ERROR.format(error=type(error).__name__))

    def failed_lean(
        self,
        environ: WSGIEnvironment,
        start_response: StartResponse,
        error: Exception,
        user: str,
        endpoint: str,
    ) -> Iterable[bytes]:
        """The lean lane's 500 (`web/lean.py`), answered and journaled as `handle` does."""
        request = Request(environ, populate_request=False)
        response = self._failed(request, error)
        self._record(request, _Seen(user, endpoint), response)
        return response(environ, start_response)

    def _answer(self, request: Request, seen: _Seen) -> Response:
        path = request.path
        if path == SSO_TOKEN:
            return self._hooked(request, lambda: self._sso_token(request))
        if path == SSO_LOGOUT:
            return self._hooked(request, lambda: self._sso_logout(request))
        if path == API_PREFIX or path.startswith(API_PREFIX + "/"):
            user = seen.user = self.auth.user_for(request)
            subpath = path[len(API_PREFIX) :] or "/"
            return self._hooked(request, lambda: self._api(request, user, subpath, seen))
        prefix = max((p for p in self.extra_routes if path.startswith(p)), key=len, default=None)
        if prefix is None:
            seen.routed = False
            raise UnknownPath(msg.UNKNOWN_PATH.format(path=path))
        return self.extra_routes[prefix](request)

    def _hooked(self, request: Request, answer: Callable[[], Response]) -> Response:
        if self.faults is None or not self.faults.active:
            return answer()
        return self.faults(request, answer)

    def _record(self, request: Request, seen: _Seen, response: Response | None) -> None:
        environ = request.environ
        self.journal.record(
            method=request.method,
            path=request.path,
            query=environ.get("QUERY_STRING", ""),
            status=response.status_code if response is not None else 0,
            user=seen.user or environ.get(ENVIRON_USER),
            request_body=_body_for_journal(request),
            response_body=_body_of(response) if response is not None else b"",
            endpoint=seen.endpoint or environ.get(ENVIRON_ENDPOINT),
            faults=tuple(environ[ENVIRON_FAULTS]) if ENVIRON_FAULTS in environ else (),
            routed=seen.routed,
        )

    def _api(self, request: Request, user: str, subpath: str, seen: _Seen) -> Response:
        try:
            endpoint, args = self.router.match(subpath, request.method)
        except MethodNotAllowed as error:
            seen.routed = False
            allowed = ", ".join(sorted(error.valid_methods or []))
            detail = msg.METHOD_NOT_ALLOWED.format(
                method=request.method, path=request.path, allowed=allowed
            )
            return fault_response(405, detail, headers={"Allow": allowed}, request=request)
        except (NotFound, HTTPException):
            seen.routed = False
            return fault_response(404, msg.UNKNOWN_PATH.format(path=request.path), request=request)
        seen.endpoint = endpoint
        handler = HANDLERS[endpoint]
        with self.engine.lock:
            self.engine.tick()
            ctx = Context(self.engine, request, user, self.strict, self.documents)
            return handler(ctx, **args)

    def _sso_token(self, request: Request) -> Response:
        if request.method != "POST":
            return _json({"error": "invalid_request", "error_description": "use POST"}, 405)
        form = request.form
        if form.get("grant_type") != "password":
            return _json(
                {
                    "error": "unsupported_grant_type",
                    "error_description": "fakeovirt supports grant_type=password",
                },
                400,
            )
        try:
            token = self.auth.login(form.get("username", ""), form.get("password", ""))
        except Unauthorized as error:
            return _json({"error": "access_denied", "error_description": error.detail}, 401)
        return _json(
            {
                "access_token": token,
                "scope": form.get("scope", "ovirt-app-api"),
                "token_type": "bearer",
                "exp": "4102444800000",
            }
        )

    def _sso_logout(self, request: Request) -> Response:
        token = request.form.get("token") or ""
        self.auth.logout(token)
        return _json({})


def _drop() -> NoReturn:
    """Hang up without an answer: WSGI servers (cheroot, werkzeug's) take a reset connection
    for the client's hang-up and close it without writing a byte."""
    raise ConnectionResetError(errno.ECONNRESET, "fakeovirt dropped the connection (a fault)")


def _json(data: object, status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, content_type="application/json")


def _error(
    request: Request, status: int, detail: str, error: EngineError | None = None
) -> Response:
    """An error in the answering route's own format: SSO and the control plane speak JSON
    (OAuth's `error`/`error_description`, the control plane's `error`/`detail`), the API
    the engine's fault in the encoding the client asked for."""
    path = request.path
    if path in (SSO_TOKEN, SSO_LOGOUT):
        return _json(
            {"error": _SSO_ERRORS.get(status, "server_error"), "error_description": detail}, status
        )
    if path == CONTROL or path.startswith(CONTROL + "/"):
        return _json({"error": _CONTROL_ERRORS.get(status, "error"), "detail": detail}, status)
    if error is not None:
        return error_response(error, request)
    return fault_response(status, detail, request=request)


_SSO_ERRORS = {401: "access_denied", 413: "invalid_request", 500: "server_error"}
_CONTROL_ERRORS = {401: "unauthorized", 404: "not_found", 413: "too_large", 500: "internal_error"}


def _body_of(response: Response) -> bytes:
    """The answer's body: the one encoded document it holds, or werkzeug's join."""
    body = response.response
    if type(body) is list and len(body) == 1 and type(body[0]) is bytes:
        return body[0]
    return response.get_data()


def _body_for_journal(request: Request) -> bytes:
    """The request body if it was read and not refused as too large."""
    environ = request.environ
    if not has_body(environ):
        return b""  # werkzeug would read nothing: skip its stream
    try:
        return request.get_data(cache=True)
    except RequestEntityTooLarge:
        return b""
