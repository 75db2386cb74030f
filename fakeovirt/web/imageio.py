"""The ovirt-imageio data endpoint: ``/images/<ticket>`` and ``/images/<ticket>/extents``.

Rules (what ``ovirt_imageio.client`` expects; wire_format.md §9):
- OPTIONS answers JSON ``features``, ``max_readers``, ``max_writers``; never ``unix_socket``,
  which would send a client on the same host to a socket that does not exist.
- A ranged GET answers 206 with the exact ``Content-Length``; bodies stream in 1 MiB chunks.
- Zero extents cover the whole image, as the client takes the image size from the last one.
- A write ticket may also read, as in the real server.
- Every error is one line of text/plain; an unknown or finished ticket is a 403.
- The resolver and every ticket call run under ``lock``, one chunk at a time, so a threaded
  server can serve several connections while the engine changes state between chunks.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import Map, RequestRedirect, Rule
from werkzeug.wrappers import Request, Response

from fakeovirt.core.content import ImageTicket, UnsupportedExtents

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

__all__ = ["ALL_FEATURES", "ImageioApp", "TicketNotFound"]

ALL_FEATURES = ("extents", "zero", "flush")
_READ_FEATURES = ("extents",)
_CHUNK = 1024 * 1024
_MAX_MESSAGE_BYTES = 64 * 1024
_RANGE = re.compile(r"bytes=(\d*)-(\d*)")
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+|\*)/(\d+|\*)")

log = logging.getLogger(__name__)


class TicketNotFound(Exception):
    """Raised by the resolver for an unknown, expired or finished ticket; the text says why."""


class _Error(Exception):
    """An HTTP error answered as one line of text/plain."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.headers = headers or {}

    def response(self) -> Response:
        body = " ".join(str(self).split()) + "\n"
        return Response(body, self.status, self.headers, content_type="text/plain; charset=UTF-8")


class ImageioApp:
    """WSGI app for /images/<ticket_id> and /images/<ticket_id>/extents, the imageio protocol."""

    def __init__(
        self,
        resolve: Callable[[str], ImageTicket],
        lock: AbstractContextManager[object] | None = None,
        *,
        max_readers: int = 4,
        max_writers: int = 1,
        max_request_bytes: int = 64 * 1024 * 1024,
        on_error: Callable[[str, str, BaseException, str], None] | None = None,
    ) -> None:
        """`on_error(method, path, error, traceback)` hears of every bug answered with a 500."""
        self._on_error = on_error
        if min(max_readers, max_writers, max_request_bytes) < 1:
            raise ValueError("max_readers, max_writers and max_request_bytes must be positive")
        self._resolve = resolve
        self._lock: AbstractContextManager[object] = lock if lock is not None else threading.Lock()
        self._max_readers = max_readers
        self._max_writers = max_writers
        self._max_request_bytes = max_request_bytes
        self._map = Map(
            [
                Rule(
                    "/images/<ticket_id>",
                    endpoint="image",
                    methods=["OPTIONS", "GET", "PUT", "PATCH"],
                ),
                Rule("/images/<ticket_id>/extents", endpoint="extents", methods=["GET"]),
            ],
            redirect_defaults=False,
        )

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        request.max_content_length = self._max_request_bytes
        try:
            response = self._dispatch(request)
        except _Error as e:
            response = e.response()
        except MethodNotAllowed as e:
            allow = ",".join(e.valid_methods or ())
            response = _Error(
                405, f"Method {request.method} not allowed", {"Allow": allow}
            ).response()
        except RequestRedirect:
            response = _Error(404, f"No resource {request.path}").response()
        except HTTPException as e:
            response = _Error(e.code or 500, e.description or e.name).response()
        except Exception as error:
            log.exception("imageio %s %s failed", request.method, request.path)
            if self._on_error is not None:
                self._on_error(request.method, request.path, error, traceback.format_exc())
            response = _Error(500, "Internal server error").response()
        return response(environ, start_response)

    def _dispatch(self, request: Request) -> Response:
        endpoint, args = self._map.bind_to_environ(request.environ).match()
        ticket_id: str = args["ticket_id"]
        if endpoint == "extents":
            return self._extents(request, ticket_id)
        handler = {
            "OPTIONS": self._options,
            "GET": self._get,
            "HEAD": self._get,
            "PUT": self._put,
            "PATCH": self._patch,
        }[request.method]
        return handler(request, ticket_id)

    def _authorize(self, ticket_id: str, op: str) -> tuple[ImageTicket, int]:
        """The ticket and its size, or a 403 when it is unknown or forbids ``op``."""
        with self._lock:
            try:
                ticket = self._resolve(ticket_id)
            except TicketNotFound as e:
                reason = str(e) or f"Ticket {ticket_id} not found"
                raise _Error(403, f"You are not allowed to access this resource: {reason}") from e
            allowed = ticket.writable if op == "write" else ticket.readable or ticket.writable
            size = ticket.size
        if not allowed:
            raise _Error(
                403, f"You are not allowed to access this resource: Ticket {ticket_id} forbids {op}"
            )
        return ticket, size

    def _options(self, request: Request, ticket_id: str) -> Response:
        if ticket_id == "*":
            return _json({"features": list(ALL_FEATURES)}, {"Allow": "OPTIONS,GET,PUT,PATCH"})
        ticket, _ = self._authorize(ticket_id, "read")
        with self._lock:
            writable = ticket.writable
        options = {
            "features": list(ALL_FEATURES if writable else _READ_FEATURES),
            "max_readers": self._max_readers,
            "max_writers": self._max_writers,
        }
        return _json(options, {"Allow": "OPTIONS,GET,PUT,PATCH" if writable else "OPTIONS,GET"})

    def _get(self, request: Request, ticket_id: str) -> Response:
        header = request.headers.get("Range")
        ticket, size = self._authorize(ticket_id, "read")
        headers = {"Content-Type": "application/octet-stream", "Content-Disposition": "attachment"}
        if header is None:
            first, length, status = 0, size, 200
        else:
            first, last = _parse_range(header, size)
            length, status = last - first + 1, 206
            headers["Content-Range"] = f"bytes {first}-{last}/{size}"
        headers["Content-Length"] = str(length)
        return Response(
            self._stream(ticket, first, length), status, headers, direct_passthrough=True
        )

    def _stream(self, ticket: ImageTicket, offset: int, length: int) -> Iterator[bytes]:
        end = offset + length
        while offset < end:
            n = min(_CHUNK, end - offset)
            with self._lock:
                data = ticket.read(offset, n)
            yield data
            offset += n

    def _extents(self, request: Request, ticket_id: str) -> Response:
        ticket, _ = self._authorize(ticket_id, "read")
        context = request.args.get("context", "zero")
        if context == "zero":
            with self._lock:
                zeros = ticket.zero_extents()
            return _json([asdict(e) for e in zeros])
        if context == "dirty":
            try:
                with self._lock:
                    dirty = ticket.dirty_extents()
            except UnsupportedExtents as e:
                raise _Error(404, str(e) or "Ticket does not support dirty extents") from e
            return _json([asdict(e) for e in dirty])
        raise _Error(
            400, f"Unsupported value {context!r} for 'context', expecting one of ['dirty', 'zero']"
        )

    def _put(self, request: Request, ticket_id: str) -> Response:
        length = request.content_length
        if length is None:
            raise _Error(400, "Content-Length header is required")
        if length > self._max_request_bytes:
            raise _Error(
                413,
                f"Request body of {length} bytes exceeds the limit of {self._max_request_bytes}",
            )
        flush = _flag(request.args.get("flush", "y"))
        offset = _parse_content_range(request.headers.get("Content-Range"))
        ticket, size = self._authorize(ticket_id, "write")
        _check_bounds(offset, length, size)
        done = 0
        while done < length:
            chunk = request.stream.read(min(_CHUNK, length - done))
            if not chunk:
                raise _Error(400, f"Partial content: expected {length} bytes, received {done}")
            with self._lock:
                ticket.write(offset + done, chunk)
            done += len(chunk)
        if flush:
            with self._lock:
                ticket.flush()
        return Response(b"", 200)

    def _patch(self, request: Request, ticket_id: str) -> Response:
        limit = min(_MAX_MESSAGE_BYTES, self._max_request_bytes)
        if (request.content_length or 0) > limit:
            raise _Error(413, f"JSON message exceeds the limit of {limit} bytes")
        try:
            msg = json.loads(request.get_data(cache=False))
        except ValueError as e:
            raise _Error(400, f"Invalid JSON message {e}") from e
        if not isinstance(msg, dict):
            raise _Error(400, "Invalid JSON message: expecting an object")
        op = msg.get("op")
        if op not in ("zero", "flush"):
            raise _Error(
                400, f"Unsupported value {op!r} for 'op', expecting one of ['flush', 'zero']"
            )
        if op == "flush":
            ticket, _ = self._authorize(ticket_id, "write")
            with self._lock:
                ticket.flush()
            return Response(b"", 200)
        size = _integer(msg, "size", None)
        offset = _integer(msg, "offset", 0)
        flush = msg.get("flush", False)
        if not isinstance(flush, bool):
            raise _Error(400, f"Boolean required for 'flush', got {flush!r}")
        ticket, image_size = self._authorize(ticket_id, "write")
        _check_bounds(offset, size, image_size)
        with self._lock:
            ticket.zero(offset, size)
            if flush:
                ticket.flush()
        return Response(b"", 200)


def _json(obj: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(obj), 200, headers, content_type="application/json")


def _parse_range(header: str, size: int) -> tuple[int, int]:
    """The first and last byte of a ``Range: bytes=first-[last]`` header, or a 416."""
    unsatisfiable = {"Content-Range": f"bytes */{size}"}
    m = _RANGE.fullmatch(header)
    if m is None or not m.group(1):
        raise _Error(
            416,
            f"Cannot satisfy range {header!r}: expecting one range bytes=first-[last]",
            unsatisfiable,
        )
    first = int(m.group(1))
    last = int(m.group(2)) if m.group(2) else size - 1
    if first > last or last >= size:
        raise _Error(
            416, f"Cannot satisfy range {header!r} for an image of {size} bytes", unsatisfiable
        )
    return first, last


def _parse_content_range(header: str | None) -> int:
    """The write offset from ``Content-Range: bytes first-last/*`` (0 without one), or a 400."""
    if header is None:
        return 0
    m = _CONTENT_RANGE.fullmatch(header)
    if m is None:
        raise _Error(400, f"Invalid Content-Range header {header!r}")
    return int(m.group(1))


def _check_bounds(offset: int, length: int, size: int) -> None:
    if offset + length > size:
        raise _Error(
            416, "Requested range out of allowed range", {"Content-Range": f"bytes */{size}"}
        )


def _flag(value: str) -> bool:
    if value not in ("y", "n"):
        raise _Error(400, f"Unsupported value {value!r} for 'flush', expecting one of ['n', 'y']")
    return value == "y"


def _integer(msg: dict[str, Any], name: str, default: int | None) -> int:
    value = msg.get(name, default)
    if value is None:
        raise _Error(400, f"Missing required value for {name!r}")
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise _Error(400, f"Non-negative integer required for {name!r}, got {value!r}")
    return value
