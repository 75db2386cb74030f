"""The WSGI application: SSO, the REST API, the imageio data endpoint, all on one server.

Data flow of one API request: route -> authenticate -> under the engine lock: tick the
clock, run the handler (parse -> engine -> render), check the answer against the schema
in strict mode -> record it in the journal. Every error becomes an XML `<fault>`; an
exception from fakeovirt itself becomes a 500 fault and is kept in `errors` so that the
pytest plugin can fail the test that caused it.
"""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound, RequestEntityTooLarge
from werkzeug.wrappers import Request, Response

from fakeovirt.core import messages as msg
from fakeovirt.core.engine import Engine
from fakeovirt.core.errors import EngineError, Forbidden, Unauthorized
from fakeovirt.core.errors import NotFound as UnknownPath

from .auth import Authenticator
from .context import Context
from .control import mount as mount_control
from .dashboard import mount as mount_dashboard
from .faults import fault_response
from .handlers import HANDLERS
from .imageio import ImageioApp, TicketNotFound
from .journal import Journal
from .routes import API_MAP

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

__all__ = ["API_PREFIX", "FakeOvirtApp", "ServerError"]

log = logging.getLogger("fakeovirt")

API_PREFIX = "/ovirt-engine/api"
SSO_TOKEN = "/ovirt-engine/sso/oauth/token"
SSO_LOGOUT = "/ovirt-engine/services/sso-logout"
MAX_BODY = 8 * 1024 * 1024


@dataclass(frozen=True)
class ServerError:
    """An exception raised inside fakeovirt while answering a request."""

    method: str
    path: str
    error: BaseException
    traceback: str


class FakeOvirtApp:
    """One engine behind HTTP: API, SSO and imageio."""

    def __init__(
        self,
        engine: Engine,
        *,
        authenticator: Authenticator | None = None,
        strict: bool = False,
        journal: Journal | None = None,
    ) -> None:
        self.engine = engine
        self.auth = authenticator or Authenticator()
        self.strict = strict
        self.journal = journal or Journal()
        self.errors: list[ServerError] = []
        self.extra_routes: dict[str, Callable[[Request], Response]] = {}
        self.imageio = ImageioApp(self._resolve_ticket, engine.lock)
        mount_control(self)
        mount_dashboard(self)

    def _resolve_ticket(self, ticket_id: str) -> Any:
        try:
            return self.engine.ticket(ticket_id)
        except Forbidden as error:
            raise TicketNotFound(error.detail) from None

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/images/") or path == "/images":
            return self.imageio(environ, start_response)
        request = Request(environ)
        request.max_content_length = MAX_BODY
        response = self.handle(request)
        return response(environ, start_response)

    def handle(self, request: Request) -> Response:
        path = request.path
        user: str | None = None
        endpoint: str | None = None
        try:
            if path == SSO_TOKEN:
                response = self._sso_token(request)
            elif path == SSO_LOGOUT:
                response = self._sso_logout(request)
            elif path == API_PREFIX or path.startswith(API_PREFIX + "/"):
                user = self.auth.user_for(request)
                endpoint, response = self._api(request, user, path[len(API_PREFIX) :] or "/")
            else:
                extra = next((h for p, h in self.extra_routes.items() if path.startswith(p)), None)
                if extra is None:
                    raise UnknownPath(msg.UNKNOWN_PATH.format(path=path))
                response = extra(request)
        except EngineError as error:
            response = fault_response(error.status, error.detail)
        except RequestEntityTooLarge:
            response = fault_response(413, msg.BODY_TOO_LARGE.format(limit=MAX_BODY))
        except Exception as error:  # a bug in fakeovirt: answer, and remember it
            self.errors.append(
                ServerError(request.method, path, error, traceback.format_exc())
            )
            log.exception("fakeovirt failed on %s %s", request.method, path)
            response = fault_response(500, msg.INTERNAL_ERROR.format(error=repr(error)))
        self.journal.record(
            method=request.method,
            path=path,
            query=request.query_string.decode("latin-1"),
            status=response.status_code,
            user=user,
            request_body=_body_for_journal(request),
            response_body=response.get_data(),
            endpoint=endpoint,
        )
        return response

    def _api(self, request: Request, user: str, subpath: str) -> tuple[str, Response]:
        adapter = API_MAP.bind("fakeovirt", path_info=subpath, url_scheme="https")
        try:
            endpoint, args = adapter.match(subpath, method=request.method)
        except MethodNotAllowed as error:
            allowed = ", ".join(sorted(error.valid_methods or []))
            detail = msg.METHOD_NOT_ALLOWED.format(
                method=request.method, path=request.path, allowed=allowed
            )
            return "", fault_response(405, detail, headers={"Allow": allowed})
        except (NotFound, HTTPException):
            return "", fault_response(404, msg.UNKNOWN_PATH.format(path=request.path))
        handler = HANDLERS[str(endpoint)]
        with self.engine.lock:
            self.engine.tick()
            ctx = Context(self.engine, request, user, self.strict)
            return str(endpoint), handler(ctx, **args)

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


def _json(data: object, status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, content_type="application/json")


def _body_for_journal(request: Request) -> bytes:
    """The request body if it was read and not refused as too large."""
    try:
        return request.get_data(cache=True)
    except RequestEntityTooLarge:
        return b""
