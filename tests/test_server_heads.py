"""The head of an answer on the wire, byte for byte: the app's headers in its order (less the
hop-by-hop ones, which are the server's), then `Date` and `Server` unless the app gave them,
then the framing (`Transfer-Encoding: chunked` without a length on HTTP/1.1) and whether the
connection stays (`Connection: close`, or `keep-alive` to an HTTP/1.0 client that asked)."""

from __future__ import annotations

from typing import Any

import pytest

import fakeovirt.web.serving.response as response_module
from fakeovirt.web.serving.http1 import Head
from fakeovirt.web.serving.response import Response

DATE = "Wed, 02 Dec 2026 02:00:00 GMT"


class _Wire:
    broken = False
    stopping = False

    def __init__(self) -> None:
        self.sent: list[bytes] = []

    def send(self, data: bytes) -> None:
        self.sent.append(bytes(data))


class _Body:
    remaining = 0
    torn = False


def _answer(
    status: str,
    headers: list[tuple[str, str]],
    *,
    method: str = "GET",
    version: str = "HTTP/1.1",
    asked: list[tuple[str, str]] | None = None,
    body: bytes = b"",
) -> tuple[bytes, Response]:
    wire = _Wire()
    response = Response(wire, Head(method, "/p", version, asked or []), _Body())
    response.start_response(status, headers)
    response.write(body)
    response.finish()
    return b"".join(wire.sent), response


@pytest.fixture(autouse=True)
def _fixed_date(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(response_module, "formatdate", lambda *a, **k: DATE)
    monkeypatch.setattr(response_module, "_dated", (0, ""), raising=False)


CASES: list[tuple[str, dict[str, Any], bytes, bool]] = [
    (
        "a plain answer",
        {"status": "200 OK", "headers": [("Content-Type", "a/b"), ("Content-Length", "2")]},
        b"HTTP/1.1 200 OK\r\nContent-Type: a/b\r\nContent-Length: 2\r\n"
        b"Date: " + DATE.encode() + b"\r\nServer: fakeovirt\r\n\r\nok",
        True,
    ),
    (
        "the app's Date, Server and hop-by-hop headers",
        {
            "status": "201 Created",
            "headers": [
                ("Server", "s"),
                ("Keep-Alive", "x"),
                ("content-length", "2"),
                ("DATE", "d"),
                ("Transfer-Encoding", "gzip"),
            ],
        },
        b"HTTP/1.1 201 Created\r\nServer: s\r\ncontent-length: 2\r\nDATE: d\r\n\r\nok",
        True,
    ),
    (
        "the app asks to close (the last Connection header counts)",
        {
            "status": "200 OK",
            "headers": [
                ("Connection", "keep-alive"),
                ("Content-Length", "2"),
                ("connection", "Close"),
            ],
        },
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nDate: "
        + DATE.encode()
        + b"\r\nServer: fakeovirt\r\nConnection: close\r\n\r\nok",
        False,
    ),
    (
        "no length on HTTP/1.1: chunked",
        {"status": "200 OK", "headers": [("X-A", "1")]},
        b"HTTP/1.1 200 OK\r\nX-A: 1\r\nDate: "
        + DATE.encode()
        + b"\r\nServer: fakeovirt\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
        True,
    ),
    (
        "no length on HTTP/1.0: closed",
        {"status": "200 OK", "headers": [], "version": "HTTP/1.0"},
        b"HTTP/1.1 200 OK\r\nDate: "
        + DATE.encode()
        + b"\r\nServer: fakeovirt\r\nConnection: close\r\n\r\nok",
        False,
    ),
    (
        "HTTP/1.0 asking to keep alive",
        {
            "status": "200 OK",
            "headers": [("Content-Length", "2")],
            "version": "HTTP/1.0",
            "asked": [("connection", "Keep-Alive")],
        },
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nDate: "
        + DATE.encode()
        + b"\r\nServer: fakeovirt\r\nConnection: keep-alive\r\n\r\nok",
        True,
    ),
    (
        "a client asking to close",
        {"status": "204 No Content", "headers": [], "asked": [("connection", "x, close")]},
        b"HTTP/1.1 204 No Content\r\nDate: "
        + DATE.encode()
        + b"\r\nServer: fakeovirt\r\nConnection: close\r\n\r\n",
        False,
    ),
    (
        "HEAD: the length, no body",
        {"status": "200 OK", "headers": [("Content-Length", "9")], "method": "HEAD"},
        b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\nDate: "
        + DATE.encode()
        + b"\r\nServer: fakeovirt\r\n\r\n",
        True,
    ),
]


@pytest.mark.parametrize(("case", "given", "wire", "kept"), CASES, ids=[c[0] for c in CASES])
def test_the_answer_head_on_the_wire(
    case: str, given: dict[str, Any], wire: bytes, kept: bool
) -> None:
    sent, response = _answer(**given, body=b"ok")
    assert sent == wire
    assert response.keep_alive() is kept


def test_a_length_the_app_repeats_counts_by_its_last_value() -> None:
    sent, response = _answer(
        "200 OK", [("Content-Length", "9"), ("Content-Length", "2")], body=b"okay"
    )
    assert response.length == 2 and sent.endswith(b"\r\n\r\nok") and not response.keep_alive()
