"""The ovirt-imageio data endpoint as the daemon (v2.5.1) serves it, over fakeovirt's tickets.

Rules of this file (sources: ovirt-imageio `_internal/services.py:78-85`, `http.py:781-843`,
`handlers/images.py`, `handlers/extents.py`, `handlers/checksum.py`, `auth.py:427-451`):
- routes are the daemon's table, matched in order from the start of the path; a method
  outside the daemon's list is 405 ``Invalid method``, one a route lacks 405 ``Method .. not
  defined for ..``; no route is 404 ``No handler for ..``; HEAD is one a route lacks;
- each handler checks what the daemon checks, in its order, with its texts; a refused ticket
  is 403 ``You are not allowed to access this resource: ..`` and closes the connection;
- once a ticket authorizes a request, ``environ[IDLE_TIMEOUT]`` carries the ticket's
  ``inactivity_timeout`` for the server (`backends/__init__.py:119-120`);
- the resolver and every ticket call run under ``lock``, one chunk at a time, so a threaded
  server serves several connections while the engine changes state between chunks;
- deliberate differences, each in docs/data-plane.md: OPTIONS never offers ``unix_socket``
  (a client on this host would look for the daemon's socket); there is no ``/info/``; a PATCH
  message is at most 64 KiB; where the daemon fails with a 500 on a client's input (a JSON
  message that is not an object, an algorithm it lists but cannot run) this is a 400.
"""

from __future__ import annotations

import json
import logging
import re
import traceback
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import fields
from typing import TYPE_CHECKING, Any

from fakeovirt.core import checksum
from fakeovirt.core.content import UnsupportedExtents
from fakeovirt.core.model import DataRequest

from .bodies import FORBIDDEN, ReadBody, canceled, receive
from .ticket import DataTicket, TicketNotFound
from .wire import Exchange, HttpError, boolean, content_range_first, enum, integer, parse_range

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

__all__ = ["ALL_FEATURES", "BASE_FEATURES", "CHUNK_SIZE", "IDLE_TIMEOUT", "ImageioApp"]

BASE_FEATURES = ("checksum", "extents")
ALL_FEATURES = (*BASE_FEATURES, "flush", "zero")
IDLE_TIMEOUT = "fakeovirt.idle_timeout"
CHUNK_SIZE = 4 * 1024 * 1024
MAX_CONNECTIONS = 8  # the daemon's `daemon.max_connections`, what its nbd backend reports
_METHODS = frozenset({"GET", "PUT", "PATCH", "POST", "DELETE", "OPTIONS", "HEAD"})
_ROUTES = (
    (re.compile(r"/images/(.*)/extents"), "extents", frozenset({"GET"})),
    (re.compile(r"/images/(.*)/checksum/algorithms"), "algorithms", frozenset({"GET"})),
    (re.compile(r"/images/(.*)/checksum"), "checksum", frozenset({"GET"})),
    (re.compile(r"/images/(.*)"), "image", frozenset({"GET", "PUT", "PATCH", "OPTIONS"})),
)
_CORS = {"GET": "*", "PUT": "*", "OPTIONS": "OPTIONS,GET,PUT"}  # methods under `cors.allow`
_SERVER_ERROR = "Server failed to perform the request, check logs"

log = logging.getLogger(__name__)
Handler = Callable[[Exchange, "StartResponse", str], Iterable[bytes]]
# on_data(exchange, status, transfer id, request): a data request ended, accounted
DataListener = Callable[[Exchange, int, str, DataRequest], None]


class ImageioApp:
    """WSGI app for ``/images/…``: the imageio protocol over tickets from ``resolve``."""

    def __init__(
        self,
        resolve: Callable[[str], DataTicket],
        lock: AbstractContextManager[object],
        *,
        max_readers: int = MAX_CONNECTIONS,
        max_writers: int = MAX_CONNECTIONS,
        max_message_bytes: int = 64 * 1024,
        chunk_size: int = CHUNK_SIZE,
        on_error: Callable[[str, str, BaseException, str], None] | None = None,
        on_data: DataListener | None = None,
    ) -> None:
        """`on_error(method, path, error, traceback)` hears of every bug answered with a 500;
        `on_data(exchange, status, transfer_id, request)` of every data request once it
        ended (a GET when its body is done or cut), under `lock`."""
        if min(max_readers, max_writers, max_message_bytes, chunk_size) < 1:
            raise ValueError("limits and the chunk size must be positive")
        self._resolve = resolve
        self._lock = lock
        self._max_readers = max_readers
        self._max_writers = max_writers
        self._max_message_bytes = max_message_bytes
        self.chunk_size = chunk_size
        self._on_error = on_error
        self._on_data = on_data
        self._handlers: dict[tuple[str, str], Handler] = {
            ("extents", "GET"): self._extents,
            ("algorithms", "GET"): self._algorithms,
            ("checksum", "GET"): self._checksum,
            ("image", "GET"): self._get,
            ("image", "PUT"): self._put,
            ("image", "PATCH"): self._patch,
            ("image", "OPTIONS"): self._options,
        }

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        exchange = Exchange(environ)
        try:
            return self._dispatch(exchange, start_response)
        except HttpError as error:
            return exchange.error(start_response, error)
        except Exception as error:
            log.exception("imageio %s %s failed", exchange.method, exchange.path)
            if self._on_error is not None:
                trace = traceback.format_exc()
                self._on_error(exchange.method, exchange.path, error, trace)
            return exchange.error(start_response, HttpError(500, _SERVER_ERROR))

    def _dispatch(self, exchange: Exchange, start_response: StartResponse) -> Iterable[bytes]:
        method, path = exchange.method, exchange.path
        if method not in _METHODS:
            raise HttpError(405, f"Invalid method {method!r}")
        for pattern, route, methods in _ROUTES:
            match = pattern.match(path)
            if match is None:
                continue
            if method not in methods:
                raise HttpError(405, f"Method {method!r} not defined for {path!r}")
            if method in _CORS and route == "image":
                _cors(exchange, _CORS[method])
            return self._handlers[route, method](exchange, start_response, match.group(1))
        raise HttpError(404, f"No handler for {path!r}")

    # -- tickets ---------------------------------------------------------------------
    def _authorize(
        self, exchange: Exchange, ticket_id: str, op: str, *, close: bool = True
    ) -> DataTicket:
        """The ticket if it stands and allows ``op`` (a write ticket also reads), else a 403."""
        with self._lock:
            try:
                ticket = self._resolve(ticket_id)
            except TicketNotFound as e:
                refusal = str(e) or f"No such ticket {ticket_id}"
            else:
                allowed = ticket.writable or (op == "read" and ticket.readable)
                refusal = "" if allowed else f"Transfer={ticket.transfer_id} forbids {op}"
                timeout = ticket.inactivity_timeout
        if refusal:
            if close:
                exchange.close_connection()
            raise HttpError(403, FORBIDDEN.format(refusal))
        exchange.environ[IDLE_TIMEOUT] = timeout
        return ticket

    # -- /images/<ticket> ----------------------------------------------------------
    def _options(
        self, exchange: Exchange, start_response: StartResponse, ticket_id: str
    ) -> Iterable[bytes]:
        _require(ticket_id)
        options: dict[str, Any] = {}
        if ticket_id == "*":
            allow, options["features"] = "OPTIONS,GET,PUT,PATCH", list(ALL_FEATURES)
        else:
            ticket = self._authorize(exchange, ticket_id, "read")
            with self._lock:
                writable = ticket.writable
            allow = "OPTIONS,GET,PUT,PATCH" if writable else "OPTIONS,GET"
            options["features"] = list(ALL_FEATURES if writable else BASE_FEATURES)
            options["max_readers"] = self._max_readers
            options["max_writers"] = self._max_writers
        exchange.headers["allow"] = allow
        return exchange.json(start_response, options)

    def _get(
        self, exchange: Exchange, start_response: StartResponse, ticket_id: str
    ) -> Iterable[bytes]:
        _require(ticket_id)
        _close_if_asked(exchange)
        header = exchange.header("Range")
        first, last = parse_range(header) if header is not None else (0, None)
        if first < 0:
            raise HttpError(416, "suffix-byte-range-spec not supported yet")
        ticket = self._authorize(exchange, ticket_id, "read")
        with self._lock:
            size = ticket.size
        if last is not None:
            length = last - first + 1
            _allowed_range(first, length, size)
        else:
            length = size - first
        headers = exchange.headers
        headers["content-length"] = str(length)
        headers["content-type"] = "application/octet-stream"
        headers["content-disposition"] = "attachment"
        if header is not None:
            headers["content-range"] = f"bytes {first}-{first + length - 1}/{size}"
        if length < 0:  # bytes=N- past the end: the daemon's read finds nothing there
            raise HttpError(400, f"Requested {length} bytes, available 0 bytes")
        status = 206 if header is not None else 200
        with self._lock:
            request = ticket.begin("GET", "read", first, length, announced=length)
        ended = self._ended(exchange, status, ticket, request)
        body = ReadBody(ticket, self._lock, request, self.chunk_size, ended)
        return exchange.reply(start_response, status, body, length)

    def _put(
        self, exchange: Exchange, start_response: StartResponse, ticket_id: str
    ) -> Iterable[bytes]:
        _require(ticket_id)
        _close_if_asked(exchange)
        length = exchange.content_length
        if length is None:
            raise HttpError(400, "Content-Length header is required")
        offset = content_range_first(exchange.header("Content-Range"))
        flush = enum(exchange.query, "flush", ("y", "n"), default="y") == "y"
        ticket = self._authorize(exchange, ticket_id, "write")
        with self._lock:
            size = ticket.size
        _allowed_range(offset, length, size)
        with self._lock:
            request = ticket.begin("PUT", "write", offset, length, announced=length)
        status = 0  # no answer: the connection went away
        try:
            done = receive(exchange, ticket, self._lock, request, self.chunk_size)
            if done < length:
                raise HttpError(400, f"Requested {length} bytes, available {done} bytes")
            if flush:
                with self._lock:
                    ticket.flush()
            status = 200
        except HttpError as error:
            status = error.status
            raise
        finally:
            with self._lock:
                self._ended(exchange, status, ticket, request)()
        return exchange.reply(start_response, 200)

    def _patch(
        self, exchange: Exchange, start_response: StartResponse, ticket_id: str
    ) -> Iterable[bytes]:
        _require(ticket_id)
        announced = exchange.content_length or 0
        if announced > self._max_message_bytes:
            raise HttpError(
                413, f"JSON message exceeds the limit of {self._max_message_bytes} bytes"
            )
        body = exchange.read(announced)
        try:
            msg = json.loads(body)
        except ValueError as e:
            raise HttpError(400, f"Invalid JSON message {e}") from e
        if not isinstance(msg, dict):
            raise HttpError(400, f"Invalid JSON message {body[:80]!r}: expecting an object")
        op = enum(msg, "op", ("zero", "flush"))
        offset = length = 0
        flush = True
        if op == "zero":
            length = integer(msg, "size", minval=0)
            offset = integer(msg, "offset", minval=0, default=0)
            flush = boolean(msg, "flush")
        ticket = self._authorize(exchange, ticket_id, "write")
        if op == "zero":
            with self._lock:
                size = ticket.size
            _allowed_range(offset, length, size)
        with self._lock:
            if not ticket.live:
                exchange.close_connection()
                raise HttpError(403, FORBIDDEN.format(canceled(ticket)))
            request = ticket.begin("PATCH", op, offset, length, announced=announced)
            request.moved = len(body)
            if op == "zero":
                ticket.zero(offset, length)
            if flush:
                ticket.flush()
            ticket.end(request)
            self._ended(exchange, 200, ticket, request)()
        return exchange.reply(start_response, 200)

    def _ended(
        self, exchange: Exchange, status: int, ticket: DataTicket, request: DataRequest
    ) -> Callable[[], None]:
        """What to call once `request` is accounted: tell `on_data`."""
        listener = self._on_data
        if listener is None:
            return _nothing
        transfer = ticket.transfer_id
        return lambda: listener(exchange, status, transfer, request)

    # -- /images/<ticket>/extents, /checksum, /checksum/algorithms -------------------
    def _extents(
        self, exchange: Exchange, start_response: StartResponse, ticket_id: str
    ) -> Iterable[bytes]:
        _require(ticket_id)
        ticket = self._authorize(exchange, ticket_id, "read")
        context = enum(exchange.query, "context", ("zero", "dirty"), default="zero")
        with self._lock:
            try:
                extents: list[Any] = (
                    ticket.zero_extents() if context == "zero" else ticket.dirty_extents()
                )
            except UnsupportedExtents as e:
                raise HttpError(404, str(e) or "Ticket does not support dirty extents") from e
        # what dataclasses.asdict gives for these flat extents, without its deep copies
        names = [field.name for field in fields(extents[0])] if extents else []
        return exchange.json(start_response, [{n: getattr(e, n) for n in names} for e in extents])

    def _checksum(
        self, exchange: Exchange, start_response: StartResponse, ticket_id: str
    ) -> Iterable[bytes]:
        _require(ticket_id)
        query = exchange.query
        algorithm = enum(query, "algorithm", checksum.ALGORITHMS, default=checksum.ALGORITHM)
        try:
            block_size = int(query.get("block_size", checksum.BLOCK_SIZE))
        except ValueError:
            raise HttpError(400, f"Invalid block size: {query['block_size']!r}") from None
        if not checksum.MIN_BLOCK_SIZE <= block_size <= checksum.MAX_BLOCK_SIZE:
            raise HttpError(
                400,
                "Block size out of allowed range: "
                f"{checksum.MIN_BLOCK_SIZE}-{checksum.MAX_BLOCK_SIZE}",
            )
        if block_size % checksum.ALIGNMENT:
            raise HttpError(400, f"Block size is not aligned to {checksum.ALIGNMENT}")
        ticket = self._authorize(exchange, ticket_id, "read", close=False)
        try:
            checksum.hasher(algorithm)
        except checksum.UnsupportedAlgorithm:
            raise HttpError(
                400, f"Algorithm {algorithm!r} cannot compute a block checksum"
            ) from None
        with self._lock:
            size, extents = ticket.size, ticket.zero_extents()
        read = self._reader(exchange, ticket)
        result = checksum.compute(size, extents, read, algorithm, block_size)
        return exchange.json(start_response, result)

    def _algorithms(
        self, exchange: Exchange, start_response: StartResponse, ticket_id: str
    ) -> Iterable[bytes]:
        return exchange.json(start_response, {"algorithms": sorted(checksum.ALGORITHMS)})

    def _reader(self, exchange: Exchange, ticket: DataTicket) -> Callable[[int, int], bytes]:
        """Reads for a checksum, each under the lock; a ticket gone mid-way is a 403."""

        def read(offset: int, length: int) -> bytes:
            with self._lock:
                if not ticket.live:
                    exchange.close_connection()
                    raise HttpError(403, FORBIDDEN.format(canceled(ticket)))
                return ticket.read(offset, length)

        return read


def _nothing() -> None:
    pass


def _require(ticket_id: str) -> None:
    if not ticket_id:
        raise HttpError(400, "Ticket id is required")


def _close_if_asked(exchange: Exchange) -> None:
    """``?close=y``: the engine's UI closes the connection after its request."""
    if exchange.query.get("close") == "y":
        exchange.close_connection()


def _allowed_range(offset: int, length: int, size: int) -> None:
    if offset + length > size:
        raise HttpError(416, "Requested range out of allowed range", f"bytes */{size}")


def _cors(exchange: Exchange, methods: str) -> None:
    """`cors.allow`: answer a browser's CORS headers when it sends them."""
    headers, modified = exchange.headers, False
    if exchange.header("Origin"):
        headers["access-control-allow-origin"] = "*"
        modified = True
    if exchange.header("Access-Control-Request-Headers"):
        headers["access-control-allow-headers"] = "*"
        modified = True
    if exchange.header("Access-Control-Request-Method"):
        headers["access-control-allow-methods"] = methods
        modified = True
    if modified:
        headers["access-control-max-age"] = str(24 * 3600)
