"""One client connection on its own thread: the TLS handshake, then requests until it closes.

Rules of this file:
- Every wait on the client is bounded (`Timeouts`); past it the connection closes.
- A response is whole or the connection is closed under it: a client never reads a short body
  that looks complete (a missing byte of `Content-Length`, or no final chunk, is its error).
- A request body that ends early (the client hung up, or stalled past the timeout) reads as
  its end: werkzeug raises `ClientDisconnected`; nothing more is written, the connection closes.
- A client's failure (a reset, a stall, bad TLS, bad framing) closes its connection quietly;
  only a bug in fakeovirt is logged with a traceback.
"""

from __future__ import annotations

import contextlib
import io
import logging
import math
import socket
import ssl
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import unquote_to_bytes

from .http1 import ClientGone, Head, HttpError, body_length, error_bytes, read_chunked, read_head
from .limits import ENVIRON_IDLE_TIMEOUT, IMAGEIO_PREFIX, MAX_IDLE_TIMEOUT, Limits, Timeouts
from .response import Aborted, Response

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication, WSGIEnvironment

__all__ = ["Connection", "Host"]

log = logging.getLogger("fakeovirt.server")
_BUFFER = 64 * 1024


class Host(Protocol):
    """What a connection needs from its server."""

    app: WSGIApplication
    access_log: Callable[[str], None] | None
    timeouts: Timeouts
    limits: Limits
    scheme: str
    host: str
    port: int
    stopping: bool

    def log_request(self, line: str) -> None: ...

    def forget(self, connection: Connection) -> None: ...


class _Reader(io.RawIOBase):
    """Socket reads, each bounded by the connection's deadline or its current read timeout."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        connection = self._connection
        if connection.deadline is not None:
            left = connection.deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("the request head took too long")
            connection.set_timeout(left)
        else:
            connection.set_timeout(connection.read_timeout)
        return connection.sock.recv_into(buffer)


class Body(io.RawIOBase):
    """`wsgi.input`: at most `length` bytes; a body that ends early reads as its end."""

    def __init__(self, connection: Connection, source: io.BufferedIOBase, length: int) -> None:
        self._connection = connection
        self._source = source
        self.remaining = length
        self.expect_continue = False
        self.torn = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.remaining <= 0:
            return 0
        connection = self._connection
        try:
            if self.expect_continue:
                self.expect_continue = False
                connection.send(b"HTTP/1.1 100 Continue\r\n\r\n")
            connection.read_timeout = connection.wait("body")
            count = self._source.readinto(memoryview(buffer)[: self.remaining])
        except (OSError, ValueError):
            count = 0
        if not count:
            self.torn = connection.broken = True
            return 0
        self.remaining -= count
        return count


class Connection:
    """A client's socket (TLS not yet shaken) and the thread that serves it."""

    def __init__(self, server: Host, sock: socket.socket, address: Any) -> None:
        self.server = server
        self.timeouts = server.timeouts
        self.sock = sock
        self.address = address if isinstance(address, tuple) else (str(address), 0)
        self.accepted = time.monotonic()
        self.deadline: float | None = None
        self.read_timeout = self.timeouts.head
        self.idle_timeout: float | None = None  # from the app, see ENVIRON_IDLE_TIMEOUT
        self.imageio = False  # the last request was for /images/...
        self.broken = False  # the client stalled or left inside a request
        self._timeout: float | None = -1.0
        self._close_lock = threading.Lock()
        self.rfile = io.BufferedReader(_Reader(self), _BUFFER)
        self.thread = threading.Thread(target=self.run, daemon=True)

    # -- socket ----------------------------------------------------------------------------
    def set_timeout(self, seconds: float) -> None:
        if seconds != self._timeout:
            self.sock.settimeout(seconds)
            self._timeout = seconds

    def wait(self, what: str) -> float:
        """Seconds to wait for `what` (`idle`, `body` or `send`) on this connection now."""
        if self.idle_timeout is not None:
            return self.idle_timeout
        if self.imageio:
            return self.timeouts.imageio
        if what == "idle":
            return self.timeouts.keep_alive
        return self.timeouts.body if what == "body" else self.timeouts.send

    @property
    def stopping(self) -> bool:
        return self.server.stopping

    def send(self, data: bytes | bytearray | memoryview) -> None:
        self.set_timeout(self.wait("send"))
        self.sock.sendall(data)

    def abort(self) -> None:
        """Wake the thread from any wait on the client (it then closes): for `stop()`."""
        with self._close_lock, contextlib.suppress(OSError):
            socket.socket.shutdown(self.sock, socket.SHUT_RDWR)

    def _close(self, *, linger: bool) -> None:
        if linger:
            self._linger()
        with self._close_lock, contextlib.suppress(OSError):
            self.sock.close()

    def _linger(self) -> None:
        """Drain what the client still sends for a moment, so closing does not reset the
        connection under the answer it has not read yet (httpd's lingering close)."""
        try:
            socket.socket.shutdown(self.sock, socket.SHUT_WR)
            until = time.monotonic() + self.timeouts.linger
            while (left := until - time.monotonic()) > 0:
                self.sock.settimeout(left)
                if not socket.socket.recv(self.sock, _BUFFER):
                    return
        except OSError:
            return

    # -- the thread ------------------------------------------------------------------------
    def run(self) -> None:
        linger = False
        try:
            linger = self._serve()
        except (OSError, ClientGone):
            pass  # the client left, stalled, or failed its TLS handshake
        except Exception:
            log.exception("fakeovirt's server failed on a connection from %s", self.address[0])
        finally:
            self._close(linger=linger and not self.server.stopping)
            self.server.forget(self)

    def _serve(self) -> bool:
        """Serve requests until the connection ends; True when it ends after a whole answer
        that asked the client to close."""
        self.deadline = self.accepted + self.timeouts.head
        if isinstance(self.sock, ssl.SSLSocket):
            self.set_timeout(max(self.deadline - time.monotonic(), 0.001))
            self.sock.do_handshake()
        first = True
        while not self.server.stopping:
            if not first:
                self.deadline = None
                self.read_timeout = self.wait("idle")
                if not self.rfile.peek(1):
                    return False
                self.deadline = time.monotonic() + self.timeouts.head
            first = False
            keep, whole = self._request()
            if not keep:
                return whole
        return False

    def _request(self) -> tuple[bool, bool]:
        """One request and its answer: (keep the connection, the answer was whole)."""
        started = time.perf_counter()
        try:
            head = read_head(self.rfile, self.server.limits)
        except HttpError as error:
            self._refuse(None, error, started)
            return False, True
        self.deadline = None
        path = head.path
        self.imageio = path == IMAGEIO_PREFIX or path.startswith(IMAGEIO_PREFIX + "/")
        try:
            body = self._body(head)
        except HttpError as error:
            self._refuse(head, error, started)
            return False, True
        environ = self._environ(head, body)
        response = Response(self, head, body)
        try:
            self._run_app(environ, response)
        except (OSError, Aborted):
            response.aborted = True
        except Exception:
            log.exception("fakeovirt's server failed on %s %s", head.method, head.target)
            response.aborted = True
            if not response.started:
                self._answer_500(response)
        self._log(head, response.code if response.started else None, started, response.note())
        return response.keep_alive(), not response.aborted

    def _run_app(self, environ: WSGIEnvironment, response: Response) -> None:
        result: Iterable[bytes] | None = None
        try:
            result = self.server.app(environ, response.start_response)
            self._adopt_idle_timeout(environ)
            for chunk in result:
                response.write(chunk)
            response.finish()
        finally:
            self._adopt_idle_timeout(environ)
            close = getattr(result, "close", None)
            if close is not None:
                close()

    def _body(self, head: Head) -> Body:
        length, chunked = body_length(head)
        expect = head.version == "HTTP/1.1" and (head.get("expect") or "").lower() == (
            "100-continue"
        )
        if not chunked:
            body = Body(self, self.rfile, length)
            body.expect_continue = expect and length > 0
            return body
        if expect:
            self.send(b"HTTP/1.1 100 Continue\r\n\r\n")
        self.read_timeout = self.wait("body")
        data = read_chunked(self.rfile, self.server.limits.chunked_body)
        return Body(self, io.BytesIO(data), len(data))

    def _environ(self, head: Head, body: Body) -> WSGIEnvironment:
        target = head.target
        path = head.path
        if "%" in path or not path.isascii():
            path = unquote_to_bytes(path).decode("latin-1")
        server = self.server
        environ: WSGIEnvironment = {
            "REQUEST_METHOD": head.method,
            "SCRIPT_NAME": "",
            "PATH_INFO": path,
            "QUERY_STRING": target.partition("?")[2],
            "REQUEST_URI": target,
            "RAW_URI": target,
            "SERVER_NAME": server.host,
            "SERVER_PORT": str(server.port),
            "SERVER_PROTOCOL": head.version,
            "REMOTE_ADDR": str(self.address[0]),
            "REMOTE_PORT": str(self.address[1]),
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": server.scheme,
            "wsgi.input": body,
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        for name, value in head.headers:
            key = _KEYS.get(name)
            if key is None:
                key = _environ_key(name)
            if not key:
                continue  # underscores could pass for dashes; the framing is the server's
            environ[key] = f"{environ[key]},{value}" if key in environ else value
        if body.remaining or "content-length" in head.joined:
            environ["CONTENT_LENGTH"] = str(body.remaining)
        return environ

    def _adopt_idle_timeout(self, environ: WSGIEnvironment) -> None:
        value = environ.get(ENVIRON_IDLE_TIMEOUT)
        if value is None:
            return
        valid = isinstance(value, int | float) and not isinstance(value, bool)
        if valid and math.isfinite(value) and value > 0:
            self.idle_timeout = min(float(value), MAX_IDLE_TIMEOUT)
        else:
            self.idle_timeout = self.timeouts.imageio

    def _refuse(self, head: Head | None, error: HttpError, started: float) -> None:
        """The server's own answer to bad framing; the connection then closes."""
        with contextlib.suppress(OSError):
            self.send(error_bytes(error.status, str(error)))
        self._log(head, error.status, started, "")

    def _answer_500(self, response: Response) -> None:
        if not self.broken:
            try:
                self.send(error_bytes(500, "fakeovirt's server failed; see its log"))
            except OSError:
                return
            response.code = 500

    def _log(self, head: Head | None, status: int | None, started: float, note: str) -> None:
        if self.server.access_log is None:
            return  # nobody listens: no line to make
        ms = (time.perf_counter() - started) * 1000
        what = f"{head.method} {head.target}" if head else "- -"
        shown = status if status is not None else "-"
        line = f"{what} {shown} {ms:.1f} ms{note}"
        self.server.log_request(line.translate(_CONTROL))


def _environ_key(name: str) -> str:
    """The environ key of header `name` (lower-cased), or "" for one the app never sees;
    remembered for the next request (a bounded number of names)."""
    if "_" in name or name in ("content-length", "transfer-encoding"):
        key = ""
    else:
        key = name.upper().replace("-", "_")
        if key != "CONTENT_TYPE":
            key = "HTTP_" + key
    if len(_KEYS) < _KEPT_KEYS:
        _KEYS[name] = key
    return key


_KEYS: dict[str, str] = {}
_KEPT_KEYS = 512
_CONTROL = str.maketrans({c: f"\\x{c:02x}" for c in [*range(0x20), *range(0x7F, 0xA0)]})
