"""An answer is whole or visibly cut, and an app sets its connection's timeout (the contract
with the imageio app: `environ["fakeovirt.idle_timeout"]`, as the daemon sets the ticket's
`inactivity_timeout` on an authorized connection, ovirt-imageio
`ovirt_imageio/_internal/backends/__init__.py:119-120`)."""

from __future__ import annotations

import http.client
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pytest

from fakeovirt.web.serving import Timeouts

from .rawclients import closed_by_server, read_answer, request_bytes
from .servertools import MiB, pattern, seconds_until_closed, serving

# An API connection idles 0.2 s; an imageio one 1.5 s unless its app says otherwise. (The
# upper bounds below leave a busy machine a second or two to close.)
SHORT = Timeouts(head=5.0, keep_alive=0.2, body=0.5, send=0.5, imageio=1.5)
ZERO_OR_LESS = ["0", "-5", "nan"]


@pytest.mark.parametrize("path", ["/short", "/raise", "/raise-chunked"])
def test_an_answer_the_app_cannot_complete_is_cut_so_the_client_sees_an_error(path: str) -> None:
    with serving() as (_, server):
        connection = server.http()
        connection.request("GET", path)
        response = connection.getresponse()
        start = time.monotonic()
        with pytest.raises(http.client.IncompleteRead):
            response.read()
        assert time.monotonic() - start < 1.0  # cut at once, not when the connection idles out
        connection.close()


def stalled_reader_cut() -> tuple[bytes, int]:
    """Read 1 MiB of a 64 MiB answer, stall past the imageio timeout, read on: (the first
    MiB, how many bytes came before the cut). `IncompleteRead` is the client's error."""
    with serving(timeouts=SHORT) as (_, server):
        connection = server.http()
        connection.request("GET", "/images/big")
        response = connection.getresponse()
        first = response.read(MiB)
        time.sleep(3.5)  # the server's writes wait 1.5 s at most (the imageio timeout)
        try:
            rest = response.read()
        except http.client.IncompleteRead as cut:
            return first, len(cut.partial)
        finally:
            connection.close()
        raise AssertionError(f"a whole body of {MiB + len(rest)} bytes after a stall")


def idle_seconds_before_close(query: str, path: str = "/images/x") -> float:
    """Serve one request with `query`, then time how long the server keeps it open idle."""
    with serving(timeouts=SHORT) as (_, server):
        sock = server.connect()
        sock.sendall(request_bytes(f"{path}?{query}" if query else path))
        assert read_answer(sock)[0] == 200
        seconds = seconds_until_closed(sock)
        sock.close()
        return seconds


def stalled_write_received() -> tuple[int, float]:
    """With the app's idle timeout at 6 s, stall 2.5 s (past the imageio default) before
    reading a 64 MiB answer: (bytes then received, up to 16 MiB and a bit; seconds taken).

    The receive buffer is small, so the server's writes block during the stall: loopback
    buffers hold at most the server's send buffer (`tcp_wmem`'s 4 MiB) and this 64 KiB, so
    more than 16 MiB received means the server kept writing after the stall, not that
    buffers held the answer."""
    with serving(timeouts=SHORT) as (_, server):
        sock = server.connect(receive_buffer=65536)
        sock.sendall(request_bytes("/images/big?idle=6"))
        start = time.monotonic()
        time.sleep(2.5)  # longer than the imageio default (1.5 s): still served, as asked
        received = 0
        while chunk := sock.recv(MiB):
            received += len(chunk)
            if received > 16 * MiB:
                break
        seconds = time.monotonic() - start
        sock.close()
        return received, seconds


@pytest.fixture(scope="module")
def waits() -> Iterator[dict[str, Future[Any]]]:
    """Every wait of this module at once, each on a server of its own, so that the module
    costs its longest wait (3.5 s) rather than their sum (15 s)."""
    with ThreadPoolExecutor(8 + len(ZERO_OR_LESS)) as pool:
        futures: dict[str, Future[Any]] = {
            "stalled reader": pool.submit(stalled_reader_cut),
            "imageio idle": pool.submit(idle_seconds_before_close, ""),
            "api idle": pool.submit(idle_seconds_before_close, "", "/ovirt-engine/api"),
            "idle=3": pool.submit(idle_seconds_before_close, "idle=3"),
            "idle=0.3": pool.submit(idle_seconds_before_close, "idle=0.3"),
            "stalled write": pool.submit(stalled_write_received),
        }
        for value in ZERO_OR_LESS:
            futures[f"idle={value}"] = pool.submit(idle_seconds_before_close, f"idle={value}")
        yield futures


def waited(waits: dict[str, Future[Any]], name: str) -> Any:
    return waits[name].result(timeout=60)


def test_a_reader_stalled_past_the_timeout_is_cut_and_never_sees_a_whole_body(
    waits: dict[str, Future[Any]],
) -> None:
    first, before_the_cut = waited(waits, "stalled reader")
    assert first == pattern(0, MiB)
    assert before_the_cut < 63 * MiB


def test_an_imageio_connection_idles_for_the_imageio_timeout(
    waits: dict[str, Future[Any]],
) -> None:
    assert 1.4 < waited(waits, "imageio idle") < 3.5


def test_an_api_connection_idles_for_the_keep_alive_timeout(
    waits: dict[str, Future[Any]],
) -> None:
    assert 0.15 < waited(waits, "api idle") < 1.2


def test_the_idle_timeout_the_app_sets_lengthens_the_connection_timeout(
    waits: dict[str, Future[Any]],
) -> None:
    assert 2.9 < waited(waits, "idle=3") < 5.5


def test_the_idle_timeout_the_app_sets_shortens_the_connection_timeout(
    waits: dict[str, Future[Any]],
) -> None:
    assert 0.25 < waited(waits, "idle=0.3") < 1.2


@pytest.mark.parametrize("value", ZERO_OR_LESS)
def test_an_idle_timeout_of_zero_or_less_means_the_imageio_default(
    waits: dict[str, Future[Any]], value: str
) -> None:
    assert 1.4 < waited(waits, f"idle={value}") < 3.5


def test_the_idle_timeout_the_app_sets_also_bounds_a_stalled_write(
    waits: dict[str, Future[Any]],
) -> None:
    received, seconds = waited(waits, "stalled write")
    assert received > 16 * MiB
    assert seconds > 2.4


def test_after_an_answer_the_connection_serves_the_next_request_and_closes_when_asked() -> None:
    with serving() as (_, server):
        sock = server.connect()
        sock.sendall(request_bytes("/a"))
        assert read_answer(sock)[0] == 200
        sock.sendall(request_bytes("/b", extra="Connection: close\r\n"))
        status, headers, _ = read_answer(sock)
        assert (status, headers["connection"]) == (200, "close")
        assert closed_by_server(sock)
        sock.close()
