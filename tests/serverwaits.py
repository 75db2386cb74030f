"""The real waits of tests/test_server_responses.py: a reader stalled past the imageio timeout,
connections left idle until the server closes them, a write stalled past the imageio default.

Rules of this file:
- each wait is real: a served `tiny_app` at the `SHORT` timeouts, a client that stops
  reading or stays idle, timed on the monotonic clock;
- they all run at once, each on a server of its own (`start`): together they cost their
  longest wait (3.5 s), not their sum (15 s);
- what each saw is JSON (`outcomes`): the run's waits process (tests/imageio_waits.py)
  runs them beside its 15 s waits and writes them down, so that they overlap the rest of
  the run; tests/test_server_responses.py runs them itself when no such process runs.
"""

from __future__ import annotations

import http.client
import time
import traceback
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from fakeovirt.web.serving import Timeouts

from .imageio_waits import first_difference
from .rawclients import read_answer, request_bytes
from .servertools import MiB, pattern, seconds_until_closed, serving

__all__ = [
    "SHORT",
    "ZERO_OR_LESS",
    "idle_seconds_before_close",
    "outcomes",
    "stalled_reader_cut",
    "stalled_write_received",
    "start",
]

# An API connection idles 0.2 s; an imageio one 1.5 s unless its app says otherwise. (The
# upper bounds of the tests leave a busy machine a second or two to close.)
SHORT = Timeouts(head=5.0, keep_alive=0.2, body=0.5, send=0.5, imageio=1.5)
ZERO_OR_LESS = ["0", "-5", "nan"]


def stalled_reader_cut() -> tuple[int | None, int]:
    """Read 1 MiB of a 64 MiB answer, stall past the imageio timeout, read on: (where the
    first MiB differs from the app's bytes, or None; how many bytes came before the cut).
    `IncompleteRead` is the client's error."""
    with serving(timeouts=SHORT) as (_, server):
        connection = server.http()
        connection.request("GET", "/images/big")
        response = connection.getresponse()
        first = response.read(MiB)
        time.sleep(3.5)  # the server's writes wait 1.5 s at most (the imageio timeout)
        try:
            rest = response.read()
        except http.client.IncompleteRead as cut:
            return first_difference(first, pattern(0, MiB)), len(cut.partial)
        finally:
            connection.close()
        raise AssertionError(f"a whole body of {MiB + len(rest)} bytes after a stall")


def idle_seconds_before_close(query: str, path: str = "/images/x") -> float:
    """Serve one request with `query`, then time how long the server keeps it open idle."""
    with serving(timeouts=SHORT) as (_, server):
        sock = server.connect()
        sock.sendall(request_bytes(f"{path}?{query}" if query else path))
        status = read_answer(sock)[0]
        if status != 200:
            raise AssertionError(f"{path}?{query} answered {status}")
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


def start(pool: ThreadPoolExecutor) -> dict[str, Future[Any]]:
    """Every wait at once on `pool` (it needs `len(ZERO_OR_LESS) + 6` threads), by name."""
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
    return futures


def outcomes(futures: dict[str, Future[Any]]) -> dict[str, Any]:
    """What each wait saw, as JSON: `{"value": ...}` or `{"error": its traceback}`."""
    seen: dict[str, Any] = {}
    for name, future in futures.items():
        try:
            seen[name] = {"value": future.result(timeout=60)}
        except Exception:
            seen[name] = {"error": traceback.format_exc()}
    return seen
