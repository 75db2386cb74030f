"""A tiny WSGI app to put fakeovirt's server through its paces, and socket timing helpers."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs

from fakeovirt.web.serving import ENVIRON_IDLE_TIMEOUT, BackgroundServer, Limits, Timeouts

from .rawclients import Server, closed_by_server

MiB = 1 << 20
StartResponse = Callable[..., Any]


_CYCLE = bytes(range(251))


def pattern(offset: int, length: int) -> bytes:
    """Bytes that differ at every offset modulo 251, so a shifted byte shows."""
    start = offset % 251
    return (_CYCLE[start:] + _CYCLE * (length // 251 + 1))[:length]


def tiny_app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    """`?idle=S` sets the connection's timeout as the imageio app does once authorized.

    /echo            the body's length and its first bytes
    /images/big      64 MiB of `pattern` (Content-Length), in 1 MiB chunks
    /short           announces 100 bytes, gives 50
    /raise           announces 100 bytes, gives 50, then raises
    /raise-chunked   no Content-Length (chunked), 50 bytes, then raises
    anything else    200 "ok"
    """
    query = parse_qs(environ["QUERY_STRING"])
    if "idle" in query:
        environ[ENVIRON_IDLE_TIMEOUT] = float(query["idle"][0])
    path = environ["PATH_INFO"]
    if path == "/echo":
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        return _answer(start_response, f"{len(body)} {body[:20]!r}".encode())
    if path.startswith("/images/big"):
        start_response("200 OK", [("Content-Length", str(64 * MiB))])
        return (pattern(i * MiB, MiB) for i in range(64))
    if path == "/short":
        start_response("200 OK", [("Content-Length", "100")])
        return [b"x" * 50]
    if path in ("/raise", "/raise-chunked"):
        headers = [("Content-Length", "100")] if path == "/raise" else []
        start_response("200 OK", headers)
        return _then_raise()
    return _answer(start_response, b"ok")


def _answer(start_response: StartResponse, body: bytes) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


def _then_raise() -> Iterator[bytes]:
    yield b"y" * 50
    raise RuntimeError("the app failed in the middle of its body (on purpose)")


@contextmanager
def serving(
    app: Any = tiny_app,
    *,
    tls: bool = True,
    timeouts: Timeouts | None = None,
    limits: Limits | None = None,
) -> Iterator[tuple[BackgroundServer, Server]]:
    served = BackgroundServer(app, tls=tls, timeouts=timeouts, limits=limits).start()
    try:
        yield served, Server(served.origin, str(served.ca_file) if served.ca_file else None)
    finally:
        served.stop()


def seconds_until_closed(
    sock: socket.socket, limit: float = 30.0, since: float | None = None
) -> float:
    """How long until the server closes `sock` (it must, within `limit`), counted from
    `since` (a `time.monotonic()` taken before the server's timer can have started, so
    that a client slow to get here cannot make the server's wait look shorter) or from
    now."""
    sock.settimeout(limit)
    start = time.monotonic() if since is None else since
    assert closed_by_server(sock), "the server sent bytes instead of closing"
    return time.monotonic() - start
