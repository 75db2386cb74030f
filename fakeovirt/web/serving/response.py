"""The app's answer on the wire: status and headers, the body's framing, and whether the
connection stays open after it.

A body is framed by the app's `Content-Length`, else chunked (HTTP/1.1), else by closing the
connection (HTTP/1.0). Bytes past `Content-Length` are not sent and the connection closes;
fewer than it, and the connection is closed under the answer (`Aborted`). The head travels
with a small first chunk in one write, so a small answer is one TLS record.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from email.utils import formatdate
from types import TracebackType
from typing import Protocol

from .http1 import Head

__all__ = ["Aborted", "Response"]

_SMALL = 16 * 1024
_HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding"})
ExcInfo = tuple[type[BaseException], BaseException, TracebackType] | tuple[None, None, None]


_dated = (0, "")  # the second and the `Date` line of the last answer


def _date_line() -> str:
    """`Date: ...` for now, formatted once a second (`formatdate` shows whole seconds)."""
    global _dated
    now = int(time.time())
    second, line = _dated
    if second != now:
        line = "Date: " + formatdate(now, usegmt=True)
        _dated = (now, line)
    return line


class Aborted(Exception):
    """The answer cannot be completed: the connection is closed under it."""


class Wire(Protocol):
    """The connection, as an answer sees it."""

    broken: bool

    @property
    def stopping(self) -> bool: ...

    def send(self, data: bytes) -> None: ...


class Input(Protocol):
    """The request body, as an answer sees it."""

    remaining: int
    torn: bool


class Response:
    """Collects `start_response` and writes the app's body for one request."""

    def __init__(self, connection: Wire, head: Head, body: Input) -> None:
        self._connection = connection
        self._head = head
        self._body = body
        self.status: str | None = None
        self.headers: list[tuple[str, str]] = []
        self.code = 0
        self.started = False
        self.length: int | None = None
        self.chunked = False
        self.close = False
        self.no_body = False
        self.written = 0
        self.aborted = False
        self.overrun = False
        self._pending: bytes | None = None

    def start_response(
        self, status: str, headers: list[tuple[str, str]], exc_info: ExcInfo | None = None, /
    ) -> Callable[[bytes], object]:
        if exc_info is not None and exc_info[1] is not None:
            try:
                if self.started:
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None
        elif self.status is not None:
            raise AssertionError("start_response called twice without exc_info")
        self.status = status
        self.headers = list(headers)
        return self.write

    def write(self, data: bytes) -> None:
        connection = self._connection
        if connection.broken:
            raise Aborted("the client stalled or left inside its request")
        if not self.started:
            self._start()
        if self.no_body or not data:
            return
        if self.length is not None:
            room = self.length - self.written
            if len(data) > room:
                self.overrun = True
                data = data[:room]
                if not data:
                    return
        self.written += len(data)
        if self.chunked:
            data = b"%x\r\n%b\r\n" % (len(data), data)
        pending, self._pending = self._pending, None
        if pending is not None:
            if len(data) <= _SMALL:
                connection.send(pending + data)
                return
            connection.send(pending)
        connection.send(data)

    def finish(self) -> None:
        """The app's body ended: send what is pending; `Aborted` if it fell short."""
        if not self.started:
            self._start()
        tail = b"0\r\n\r\n" if self.chunked else b""
        pending, self._pending = self._pending, None
        if pending is not None or tail:
            self._connection.send((pending or b"") + tail)
        if self.length is not None and not self.no_body and self.written < self.length:
            raise Aborted(f"the app gave {self.written} of {self.length} bytes")

    def keep_alive(self) -> bool:
        connection = self._connection
        closing = self.close or self.aborted or self.overrun or connection.broken
        return self.started and not closing and not connection.stopping

    def note(self) -> str:
        """What the access log adds after the time: why the exchange ended badly."""
        if self._body.torn:
            return " (request body ended early)"
        return " (aborted)" if self.aborted else ""

    def _start(self) -> None:
        status = self.status
        if status is None:
            raise RuntimeError("the app returned without calling start_response")
        head = self._head
        self.code = code = int(status.split(" ", 1)[0])
        self.no_body = head.method == "HEAD" or code in (204, 304) or code < 200
        lines = ["HTTP/1.1 " + status]
        length = connection = None  # the last value of each, as a dict of them would keep
        dated = served = False
        for name, value in self.headers:
            lower = name.lower()
            if lower in _HOP_BY_HOP:
                if lower == "connection":
                    connection = value
                continue
            lines.append(f"{name}: {value}")
            if lower == "content-length":
                length = value
            elif lower == "date":
                dated = True
            elif lower == "server":
                served = True
        if length is not None:
            self.length = int(length)
        self.close = (
            head.wants_close()
            or (connection is not None and "close" in connection.lower())
            or self._body.remaining > 0  # unread: the next request cannot be found after it
            or self._connection.stopping
        )
        if self.length is None and not self.no_body:
            if head.version == "HTTP/1.1":
                self.chunked = True
            else:
                self.close = True
        if not dated:
            lines.append(_date_line())
        if not served:
            lines.append("Server: fakeovirt")
        if self.chunked:
            lines.append("Transfer-Encoding: chunked")
        if self.close:
            lines.append("Connection: close")
        elif head.version == "HTTP/1.0":
            lines.append("Connection: keep-alive")
        lines.append("\r\n")
        self._pending = "\r\n".join(lines).encode("latin-1")
        self.started = True
