"""HTTP/1.1 framing: the request head, the body's length, chunked bodies, the server's own errors.

Rules of this file (RFC 9112, and what httpd answers before the engine sees a request):
- A request line longer than `Limits.request_line` is 414; a malformed one is 400; a version
  other than HTTP/1.0 or HTTP/1.1 is 505.
- A header line longer than `Limits.header_field`, more than `Limits.header_fields` lines, a
  line without a colon, whitespace before the colon or an obsolete folded line is 400.
- An HTTP/1.1 request without a `Host` header is 400.
- `Content-Length` is digits only; several values must agree; anything else is 400.
- `Transfer-Encoding` other than exactly `chunked` is 501; with a `Content-Length` it is 400.
- A chunked body with a bad size line, a missing CRLF or bad trailers is 400; larger than
  `Limits.chunked_body` is 413.
- These answers are the server's own, as httpd's are: one line of text/plain, and the
  connection closes, since after bad framing the next request cannot be found.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from functools import cached_property
from http import HTTPStatus
from typing import IO

from .limits import Limits

__all__ = [
    "ClientGone",
    "Head",
    "HttpError",
    "body_length",
    "error_bytes",
    "read_chunked",
    "read_head",
]

_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_VERSION = re.compile(rb"HTTP/(\d)\.(\d)")
_NOT_TARGET = re.compile(rb"[\x00-\x20\x7f]")  # controls and space: no request target holds one
_DIGITS = re.compile(r"[0-9]{1,18}")
_CHUNK_SIZE = re.compile(rb"([0-9A-Fa-f]{1,15})[ \t]*(;[^\r\n]*)?\r?\n")
_MAX_CHUNK_LINE = 4096
_VERSIONS = {b"HTTP/1.1": "HTTP/1.1", b"HTTP/1.0": "HTTP/1.0"}
_METHODS = frozenset({b"GET", b"HEAD", b"POST", b"PUT", b"PATCH", b"DELETE", b"OPTIONS"})
# A block of ordinary header lines (a token, a colon, a value without CR, LF or NUL, CRLF):
# what the fast path of `_read_headers` takes in one go.
_ORDINARY = re.compile(r"(?:[!#$%&'*+\-.^_`|~0-9A-Za-z]+:[^\r\n\0]*\r\n)*")


class HttpError(Exception):
    """A request the server refuses before the app sees it."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class ClientGone(Exception):
    """The client closed or stalled before a whole request head arrived."""


@dataclass
class Head:
    """A parsed request line and its headers (names lower-cased, values latin-1)."""

    method: str
    target: str
    version: str
    headers: list[tuple[str, str]] = field(default_factory=list)

    def get(self, name: str) -> str | None:
        """The values of header `name` joined by commas, or None."""
        return self.joined.get(name)

    @cached_property
    def joined(self) -> dict[str, str]:
        """Every header's values joined by commas, by name (made on first use, when the
        headers are read)."""
        joined: dict[str, str] = {}
        for name, value in self.headers:
            joined[name] = f"{joined[name]},{value}" if name in joined else value
        return joined

    @cached_property
    def path(self) -> str:
        target = self.target
        if "://" in target.partition("?")[0]:  # absolute form: scheme://host/path
            target = "/" + target.split("://", 1)[1].partition("/")[2]
        return target.partition("?")[0]

    def wants_close(self) -> bool:
        connection = self.joined.get("connection")
        if connection is None:
            return self.version == "HTTP/1.0"
        tokens = {t.strip().lower() for t in connection.split(",")}
        if self.version == "HTTP/1.0":
            return "keep-alive" not in tokens
        return "close" in tokens


def read_head(rfile: IO[bytes], limits: Limits) -> Head:
    """Read a request line and its headers; `ClientGone` when the client left first."""
    line = rfile.readline(limits.request_line + 2)
    for _ in range(4):  # RFC 9112 §2.2: ignore empty lines before the request line
        if line not in (b"\r\n", b"\n"):
            break
        line = rfile.readline(limits.request_line + 2)
    if not line.endswith(b"\n"):
        if len(line) > limits.request_line:
            raise HttpError(414, f"Request line longer than {limits.request_line} bytes")
        raise ClientGone("the connection ended inside the request line")
    line = line.rstrip(b"\r\n")
    if len(line) > limits.request_line:
        raise HttpError(414, f"Request line longer than {limits.request_line} bytes")
    parts = line.split(b" ")
    if len(parts) != 3 or not parts[1] or not _is_token(parts[0]):
        raise HttpError(400, "Malformed request line")
    if parts[2] not in _VERSIONS:
        version = _VERSION.fullmatch(parts[2])
        if version is None:
            raise HttpError(400, "Malformed HTTP version in the request line")
        raise HttpError(505, "Only HTTP/1.0 and HTTP/1.1 are supported")
    if _NOT_TARGET.search(parts[1]):
        raise HttpError(400, "Malformed request target")
    head = Head(
        parts[0].decode("ascii"),
        parts[1].decode("latin-1"),
        _VERSIONS[parts[2]],
        _read_headers(rfile, limits),
    )
    if head.version == "HTTP/1.1" and head.get("host") is None:
        raise HttpError(400, "An HTTP/1.1 request needs a Host header")
    return head


def _is_token(method: bytes) -> bool:
    return method in _METHODS or _TOKEN.fullmatch(method) is not None


def _read_headers(rfile: IO[bytes], limits: Limits) -> list[tuple[str, str]]:
    if isinstance(rfile, io.BufferedReader):
        found = _ordinary_headers(rfile, limits)
        if found is not None:
            return found
    headers: list[tuple[str, str]] = []
    while True:
        line = rfile.readline(limits.header_field + 2)
        if line in (b"\r\n", b"\n"):
            return headers
        if not line.endswith(b"\n"):
            if len(line) > limits.header_field:
                raise HttpError(400, f"A header line is longer than {limits.header_field} bytes")
            raise ClientGone("the connection ended inside the request headers")
        if len(line.rstrip(b"\r\n")) > limits.header_field:
            raise HttpError(400, f"A header line is longer than {limits.header_field} bytes")
        if len(headers) >= limits.header_fields:
            raise HttpError(400, f"More than {limits.header_fields} header lines")
        if line[:1] in (b" ", b"\t"):
            raise HttpError(400, "Folded header lines are not accepted")
        name, colon, value = line.partition(b":")
        if not colon or not _TOKEN.fullmatch(name):
            raise HttpError(400, "Malformed header line")
        text = value.strip(b" \t\r\n")
        if b"\r" in text or b"\n" in text or b"\0" in text:
            raise HttpError(400, "Malformed header value")
        headers.append((name.decode("ascii").lower(), text.decode("latin-1")))


def _ordinary_headers(rfile: io.BufferedReader, limits: Limits) -> list[tuple[str, str]] | None:
    """The headers at once, when the buffer holds them all and every line is ordinary (within
    the limits, nothing `_read_headers` refuses or reads differently); None, having read
    nothing, otherwise: then they are read line by line."""
    data = rfile.peek(1)
    if data[:2] == b"\r\n":
        rfile.read(2)
        return []
    end = data.find(b"\r\n\r\n")
    if end < 0 or end + 2 > limits.header_field:  # a short block: no line is too long
        return None
    block = data[: end + 2]
    known = _KNOWN_BLOCKS.get(block)
    if known is None:
        text = block.decode("latin-1")
        if _ORDINARY.fullmatch(text) is None:
            return None
        known = []
        for line in text[:-2].split("\r\n"):
            name, _, value = line.partition(":")  # a token holds no colon
            known.append((name.lower(), value.strip(" \t")))
        if len(_KNOWN_BLOCKS) >= _KEPT_BLOCKS:
            _KNOWN_BLOCKS.clear()
        _KNOWN_BLOCKS[block] = known
    if len(known) > limits.header_fields:
        return None
    rfile.read(end + 4)
    return list(known)


# Ordinary blocks of header lines read lately, and their headers: a client sends the same
# headers again and again (an SDK's polls differ in their request line only).
_KNOWN_BLOCKS: dict[bytes, list[tuple[str, str]]] = {}
_KEPT_BLOCKS = 64


def body_length(head: Head) -> tuple[int, bool]:
    """The body's Content-Length and whether it is chunked (its length then unknown, 0)."""
    joined = head.joined
    length = joined.get("content-length")
    encoding = joined.get("transfer-encoding")
    if encoding is None:  # the usual cases first: no body, or one plain length
        if length is None:
            return 0, False
        if _DIGITS.fullmatch(length):
            return int(length), False
    lengths = [] if length is None else [part.strip() for part in length.split(",")]
    if encoding is not None:
        if lengths:
            raise HttpError(400, "Content-Length and Transfer-Encoding together")
        if encoding.strip().lower() != "chunked":
            raise HttpError(501, f"Transfer-Encoding {encoding!r} is not supported")
        if head.version == "HTTP/1.0":
            raise HttpError(400, "Transfer-Encoding in an HTTP/1.0 request")
        return 0, True
    if not lengths:
        return 0, False
    if any(not _DIGITS.fullmatch(v) for v in lengths) or len(set(map(int, lengths))) != 1:
        shown = ", ".join(lengths)[:100]
        raise HttpError(400, f"Invalid Content-Length {shown!r}: expecting a non-negative integer")
    return int(lengths[0]), False


def read_chunked(rfile: IO[bytes], limit: int) -> bytes:
    """A whole chunked body, decoded; 400 for bad framing, 413 past `limit` bytes."""
    body = bytearray()
    while True:
        line = rfile.readline(_MAX_CHUNK_LINE)
        if not line:
            raise ClientGone("the connection ended inside a chunked body")
        match = _CHUNK_SIZE.fullmatch(line)
        if match is None:
            raise HttpError(400, "Invalid chunk size line in a chunked body")
        size = int(match.group(1), 16)
        if size == 0:
            break
        if len(body) + size > limit:
            raise HttpError(413, f"A chunked request body over {limit} bytes")
        data = rfile.read(size)
        if len(data) < size:
            raise ClientGone("the connection ended inside a chunk")
        body += data
        if rfile.readline(3) not in (b"\r\n", b"\n"):
            raise HttpError(400, "A chunk is not followed by CRLF")
    for _ in range(100):  # trailer fields, ignored
        line = rfile.readline(_MAX_CHUNK_LINE)
        if line in (b"\r\n", b"\n"):
            return bytes(body)
        if not line.endswith(b"\n") or b":" not in line:
            raise HttpError(400, "Invalid trailer in a chunked body")
    raise HttpError(400, "Too many trailer lines in a chunked body")


def error_bytes(status: int, message: str) -> bytes:
    """A whole HTTP/1.1 response for the server's own error, closing the connection."""
    body = (message + "\n").encode("utf-8")
    return (
        f"HTTP/1.1 {status} {HTTPStatus(status).phrase}\r\n"
        "Content-Type: text/plain; charset=UTF-8\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    ).encode("latin-1") + body
