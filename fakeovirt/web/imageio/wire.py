"""The imageio daemon's HTTP shapes: one exchange's request and reply, errors, header parsers.

Rules of this file (ovirt-imageio v2.5.1 `_internal/http.py`, `validate.py`):
- an error is its status and one message, sent as ``text/plain; charset=UTF-8`` with the
  message and a newline (`http.py:498-519`); JSON is ``json.dumps(obj) + "\\n"``
  (`http.py:521-532`); an empty success has a ``content-length: 0`` and no content type;
- headers set while handling (CORS, ``connection: close``, a GET's content headers) stay on
  an error answered afterwards, as on the daemon's one response object;
- an answer to a request whose body was not read whole closes the connection
  (`http.py:821-823`), so the next request is never looked for inside that body;
- header names are the daemon's, in lower case; texts are the daemon's, word for word.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Iterable
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

__all__ = [
    "Exchange",
    "HttpError",
    "boolean",
    "content_range_first",
    "enum",
    "integer",
    "parse_range",
]

_PIECE = 64 * 1024
_RANGE = re.compile(r"bytes=(\d*)-(\d*)$")
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+|\*)/(\d+|\*)$")


class HttpError(Exception):
    """An answer of ``status`` with one line of text (`http.Error`)."""

    def __init__(self, status: int, message: str, content_range: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.content_range = content_range


class Exchange:
    """One request and the headers of its answer, built up as the handler goes."""

    def __init__(self, environ: WSGIEnvironment) -> None:
        self.environ = environ
        self.method: str = environ.get("REQUEST_METHOD", "GET")
        raw = environ.get("PATH_INFO", "")
        try:  # WSGI gives the unquoted bytes as latin-1; the daemon decodes them as UTF-8
            self.path = raw.encode("latin-1").decode("utf-8", "replace")
        except UnicodeEncodeError:
            self.path = raw
        self.headers: dict[str, str] = {}
        self.unread = 0  # body bytes not read yet
        self._length = _content_length(environ.get("CONTENT_LENGTH") or None)
        if isinstance(self._length, int):
            self.unread = self._length
        self._query: dict[str, str] | None = None

    @property
    def content_length(self) -> int | None:
        """The body's announced length, None without one; a 400 when it is not a length."""
        if isinstance(self._length, HttpError):
            raise self._length
        return self._length

    @property
    def query(self) -> dict[str, str]:
        """The query string; of a repeated key the last wins (`http.py:355-367`)."""
        if self._query is None:
            qs = self.environ.get("QUERY_STRING", "")
            self._query = dict(urllib.parse.parse_qsl(qs, keep_blank_values=True))
        return self._query

    def header(self, name: str) -> str | None:
        return self.environ.get("HTTP_" + name.upper().replace("-", "_"))

    def close_connection(self) -> None:
        """Close the connection after this answer (`Response.close_connection`)."""
        self.headers["connection"] = "close"

    def read(self, size: int) -> bytes:
        """At most ``size`` body bytes; fewer when the body ended early."""
        buffer = bytearray(min(size, self.unread))
        count = self.readinto(buffer)
        return bytes(buffer[:count]) if count < len(buffer) else bytes(buffer)

    def readinto(self, buffer: bytearray) -> int:
        """Fill ``buffer`` from the body; fewer bytes only when the body ended early.

        A client's reset or timeout ends the body too: what came before it still counts.
        """
        stream = self.environ["wsgi.input"]
        view = memoryview(buffer)[: min(len(buffer), self.unread)]
        filled = 0
        try:
            while filled < len(view):
                if hasattr(stream, "readinto"):
                    count = stream.readinto(view[filled:])
                else:  # WSGI promises read(); small reads lose nothing to a failing one
                    data = stream.read(min(len(view) - filled, _PIECE))
                    count = len(data)
                    view[filled : filled + count] = data
                if not count:
                    break
                filled += count
        except OSError:
            pass
        self.unread -= filled
        return filled

    def reply(
        self,
        start_response: StartResponse,
        status: int,
        body: Iterable[bytes] = (),
        length: int = 0,
    ) -> Iterable[bytes]:
        """Start the answer: the headers set so far and ``content-length``."""
        headers = self.headers
        headers["content-length"] = str(length)
        if self.unread > 0:
            self.close_connection()
        start_response(f"{status} {HTTPStatus(status).phrase}", list(headers.items()))
        return body

    def json(self, start_response: StartResponse, obj: Any) -> Iterable[bytes]:
        body = json.dumps(obj).encode("utf-8") + b"\n"
        self.headers["content-type"] = "application/json"
        return self.reply(start_response, 200, [body], len(body))

    def error(self, start_response: StartResponse, error: HttpError) -> Iterable[bytes]:
        body = error.message.encode("utf-8") + b"\n"
        self.headers["content-type"] = "text/plain; charset=UTF-8"
        if error.content_range is not None:
            self.headers["content-range"] = error.content_range
        return self.reply(start_response, error.status, [body], len(body))


def parse_range(header: str) -> tuple[int, int | None]:
    """``first`` and ``last`` (None when open) of ``Range: bytes=first-[last]``, or a 416.

    A suffix range ``bytes=-N`` answers ``first = -N`` (`http.py:628-705`).
    """
    m = _RANGE.match(header)
    if m is None:
        raise HttpError(416, f"Cannot satisfy range {header!r}, invalid range or multiple ranges")
    first, last = m.groups()
    if not first:
        if not last:
            raise HttpError(416, f"Cannot satisfy range {header!r}, no first or last")
        return -int(last), None
    if not last:
        return int(first), None
    if int(first) > int(last):
        raise HttpError(416, f"Cannot satisfy range {header!r}, first > last")
    return int(first), int(last)


def content_range_first(header: str | None) -> int:
    """The offset of a PUT from ``Content-Range: bytes first-last/complete`` (`http.py:708-778`)."""
    if header is None:
        return 0
    m = _CONTENT_RANGE.match(header)
    if m is None:
        raise HttpError(400, f"Invalid Content-Range {header!r}")
    first, last, complete = m.groups()
    if last != "*" and int(last) < int(first):
        raise HttpError(400, f"Invalid Content-Range {header!r}, first > last")
    if complete != "*" and last != "*" and int(last) >= int(complete):
        raise HttpError(400, f"Invalid Content-Range {header!r}, last >= complete")
    return int(first)


def enum(values: dict[str, Any], name: str, choices: Iterable[Any], default: Any = None) -> Any:
    """``values[name]``, one of ``choices`` (`validate.enum`)."""
    if name not in values:
        if default is not None:
            return default
        raise HttpError(400, f"Missing required value for {name}")
    value = values[name]
    choices = list(choices)
    if value not in choices:
        raise HttpError(
            400, f"Unsupported value {value!r} for {name!r}, expecting one of {sorted(choices)}"
        )
    return value


def integer(values: dict[str, Any], name: str, minval: int, default: int | None = None) -> int:
    """``values[name]`` as an int no less than ``minval`` (`validate.integer`; a bool is an int)."""
    if name not in values:
        if default is not None:
            return default
        raise HttpError(400, f"Missing required value for {name!r}")
    value = values[name]
    if not isinstance(value, int):
        raise HttpError(400, f"Integer required {value!r}")
    if value < minval:
        raise HttpError(400, f"Invalid value {value} < {minval}")
    return int(value)


def boolean(values: dict[str, Any], name: str) -> bool:
    """``values[name]``, a bool, False when absent (`validate.boolean`)."""
    value = values.get(name, False)
    if not isinstance(value, bool):
        raise HttpError(400, f"Boolean required {value!r}")
    return value


def _content_length(value: str | None) -> int | HttpError | None:
    """`Request.content_length` (`http.py:369-396`): an int, None, or the 400 it answers."""
    if value is None:
        return None
    try:
        length = int(value)
    except ValueError:
        return HttpError(400, f"Invalid Content-Length: {value!r}")
    if length < 0:
        return HttpError(400, f"Negative Content-Length: {length!r}")
    return length
