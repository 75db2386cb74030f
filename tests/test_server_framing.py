"""HTTP framing the server refuses itself, fast, before any route runs; and framing it keeps.

As httpd does in front of the engine: a bad request line, bad headers or a body whose length
cannot be known get the server's own one-line text/plain answer and the connection closes;
nothing reaches the app (the journal stays empty) and the server goes on serving.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from fakeovirt import FakeOvirt

from .rawclients import BASIC, Server, closed_by_server, read_answer, request_bytes, timed_get
from .servertools import serving

PROMPT = 1.0
POST = "POST /ovirt-engine/api/vms HTTP/1.1\r\nHost: fake\r\n"

BAD_FRAMING = {
    "negative Content-Length": (f"{POST}Content-Length: -1\r\n\r\n", 400),
    "non-numeric Content-Length": (f"{POST}Content-Length: abc\r\n\r\n", 400),
    "Content-Length with a sign": (f"{POST}Content-Length: +5\r\n\r\nhello", 400),
    "two different Content-Lengths": (
        f"{POST}Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
        400,
    ),
    "Content-Length and chunked together": (
        f"{POST}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        400,
    ),
    "an unknown transfer coding": (f"{POST}Transfer-Encoding: gzip\r\n\r\n", 501),
    "a chunk size that is not hex": (f"{POST}Transfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
    "a negative chunk size": (f"{POST}Transfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n", 400),
    "a chunk not ended by CRLF": (
        f"{POST}Transfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n",
        400,
    ),
    "a request line over 8190 bytes": (
        f"GET /ovirt-engine/api/{'a' * 9000} HTTP/1.1\r\nHost: fake\r\n\r\n",
        414,
    ),
    "a header line over 8190 bytes": (f"{POST}X-Big: {'b' * 9000}\r\n\r\n", 400),
    "101 header lines": ("GET / HTTP/1.1\r\nHost: x\r\n" + "X-A: 1\r\n" * 100 + "\r\n", 400),
    "a header without a colon": (f"{POST}Nonsense\r\n\r\n", 400),
    "a space before the colon": (f"{POST}Content-Length : 0\r\n\r\n", 400),
    "a folded header line": (f"{POST}X-A: 1\r\n  folded\r\n\r\n", 400),
    "an HTTP/1.1 request without Host": ("GET /ovirt-engine/api HTTP/1.1\r\n\r\n", 400),
    "HTTP/2.0 in the request line": ("GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505),
    "a request line of one word": ("HELLO\r\n\r\n", 400),
    "a request line with four parts": ("GET / x HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    "a control byte in the target": ("GET /a\x01b HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    "a DEL byte in the target": ("GET /a\x7fb HTTP/1.1\r\nHost: x\r\n\r\n", 400),
}


@pytest.fixture(scope="module")
def served() -> Iterator[FakeOvirt]:
    with FakeOvirt() as fake:
        yield fake


@pytest.fixture
def server(served: FakeOvirt) -> Server:
    served.reset()
    return Server(served.origin, served.ca_file)


@pytest.mark.parametrize("case", list(BAD_FRAMING))
def test_bad_framing_gets_a_fast_4xx_from_the_server_and_nothing_reaches_the_app(
    served: FakeOvirt, server: Server, case: str
) -> None:
    raw, status = BAD_FRAMING[case]
    sock = server.connect()
    start = time.perf_counter()
    sock.sendall(raw.encode("latin-1"))
    answered, headers, body = read_answer(sock)
    took = time.perf_counter() - start
    assert (answered, headers["content-type"]) == (status, "text/plain; charset=UTF-8")
    assert headers["connection"] == "close"
    assert body.endswith(b"\n") and body.count(b"\n") == 1 and b"Traceback" not in body
    assert took < PROMPT
    assert closed_by_server(sock)
    sock.close()
    assert len(served.journal) == 0
    assert timed_get(server)[0] == 200


def test_a_valid_chunked_body_reaches_the_app_decoded_with_its_length() -> None:
    with serving() as (_, server):
        sock = server.connect()
        sock.sendall(
            request_bytes("/echo", "POST", "Transfer-Encoding: chunked\r\n")
            + b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n"
        )
        assert read_answer(sock)[::2] == (200, b"11 b'hello world'")
        sock.sendall(request_bytes())  # the connection is still good for the next request
        assert read_answer(sock)[0] == 200
        sock.close()


def test_expect_100_continue_is_answered_when_the_app_reads_the_body() -> None:
    with serving() as (_, server):
        sock = server.connect()
        expect = "Content-Length: 4\r\nExpect: 100-continue\r\n"
        sock.sendall(request_bytes("/echo", "POST", expect))
        assert sock.recv(100) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(b"body")
        assert read_answer(sock)[::2] == (200, b"4 b'body'")
        sock.close()


def test_pipelined_requests_are_answered_in_order() -> None:
    with serving() as (_, server):
        sock = server.connect()
        sock.sendall(
            request_bytes("/echo", "POST", "Content-Length: 3\r\n") + b"abc" + request_bytes("/x")
        )
        assert read_answer(sock)[::2] == (200, b"3 b'abc'")
        assert read_answer(sock)[::2] == (200, b"ok")
        sock.close()


def test_an_http_1_0_request_is_answered_and_the_connection_closes() -> None:
    with serving() as (_, server):
        sock = server.connect()
        sock.sendall(f"GET /x HTTP/1.0\r\nAuthorization: {BASIC}\r\n\r\n".encode())
        status, headers, body = read_answer(sock)
        assert (status, body, headers["connection"]) == (200, b"ok", "close")
        assert closed_by_server(sock)
        sock.close()


def test_an_answer_that_does_not_read_the_body_closes_the_connection() -> None:
    """The next request could not be found after an unread body: close, after the answer."""
    with serving() as (_, server):
        sock = server.connect()
        sock.sendall(request_bytes("/x", "POST", "Content-Length: 5\r\n") + b"hello")
        status, headers, _ = read_answer(sock)
        assert (status, headers["connection"]) == (200, "close")
        assert closed_by_server(sock)
        sock.close()
