"""The real waits of tests/test_server_responses.py (a reader stalled past the imageio timeout,
connections left idle until the server closes them, a write stalled past the imageio default)
and of tests/test_server_stalls.py (silent, half-shaken, slow and idle clients of a fake with
short timeouts, each timed until the server closes it).

Rules of this file:
- each wait is real: a served `tiny_app` at the `SHORT` timeouts or a served fake at the
  `QUICK` ones, a client that stops reading, stays idle or trickles, timed on the monotonic
  clock;
- they all run at once, each on a server of its own (`start`): together they cost their
  longest wait (3.5 s), not their sum (15 s);
- what each saw is JSON (`outcomes`): the run's waits process (tests/imageio_waits.py)
  runs them beside its 15 s waits and writes them down, so that they overlap the rest of
  the run; the test modules run them themselves when no such process runs.
"""

from __future__ import annotations

import http.client
import json
import time
import traceback
from concurrent.futures import Future, ThreadPoolExecutor
from functools import cache
from typing import Any

import pytest

from fakeovirt import FakeOvirt
from fakeovirt.web.serving import Timeouts

from .imageio_waits import HEAD_START, first_difference
from .rawclients import Server, crowd, read_answer, request_bytes
from .servertools import MiB, pattern, seconds_until_closed, serving

__all__ = [
    "QUICK",
    "SHORT",
    "THREADS",
    "ZERO_OR_LESS",
    "idle_seconds_before_close",
    "outcomes",
    "quick_waits",
    "report",
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
        asked = time.monotonic()  # the server's idle time starts after its answer
        sock.sendall(request_bytes(f"{path}?{query}" if query else path))
        status = read_answer(sock)[0]
        if status != 200:
            raise AssertionError(f"{path}?{query} answered {status}")
        seconds = seconds_until_closed(sock, since=asked)
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


# A fake whose connections wait half a second at most (the imageio ones a second).
QUICK = Timeouts(head=0.5, keep_alive=0.5, body=0.5, send=0.5, imageio=1.0)


# Each time is counted from before the client connects: the server's deadline cannot start
# sooner, so a client slow to get to its wait never makes the server's look shorter.


def silent(server: Server) -> float:
    with crowd(server) as clients:
        begun = time.monotonic()
        clients.silent()
        return seconds_until_closed(clients.sockets[0], since=begun)


def partial_hello(server: Server) -> float:
    with crowd(server) as clients:
        begun = time.monotonic()
        clients.partial_hello()
        return seconds_until_closed(clients.sockets[0], since=begun)


def slow_header(server: Server) -> float:
    with crowd(server) as clients:
        begun = time.monotonic()
        clients.slow_headers(1, every=0.1)
        return seconds_until_closed(clients.sockets[0], since=begun)


def idle_after_three_answers(server: Server) -> float:
    sock = server.connect()
    try:
        for _ in range(3):
            asked = time.monotonic()  # the idle time starts after the last answer
            sock.sendall(request_bytes())
            status = read_answer(sock)[0]
            if status != 200:
                raise AssertionError(f"the API answered {status}")
        return seconds_until_closed(sock, since=asked)
    finally:
        sock.close()


def quick_waits() -> dict[str, float]:
    """A fake at the `QUICK` timeouts, and each waiting client's time until the server
    closes it, all waited at once (one wait, not four), by the client's name."""
    fake = FakeOvirt().start(timeouts=QUICK)
    server = Server(fake.origin, fake.ca_file)
    waits = (silent, partial_hello, slow_header, idle_after_three_answers)
    try:
        with ThreadPoolExecutor(len(waits)) as pool:
            started = {wait.__name__: pool.submit(wait, server) for wait in waits}
            return {name: seconds.result(timeout=60) for name, seconds in started.items()}
    finally:
        fake.stop()


THREADS = len(ZERO_OR_LESS) + 7  # what `start` needs: one thread per wait


def start(pool: ThreadPoolExecutor) -> dict[str, Future[Any]]:
    """Every wait at once on `pool` (it needs `THREADS` threads), by name: `quick` is the
    dictionary of `quick_waits`."""
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
    futures["quick"] = pool.submit(quick_waits)
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


def report(config: pytest.Config) -> dict[str, Any]:
    """What each wait saw (`outcomes`, as JSON reads it): the report of the run's waits
    process when there is one (tests/imageio_waits.py, started when the collection ends:
    by the time a test asks, the waits are usually over), else the waits run here, once
    per process."""
    run_waits = config.stash.get(HEAD_START, None)
    if run_waits is not None:
        return run_waits.report("server")
    return _run_here()


@cache
def _run_here() -> dict[str, Any]:
    with ThreadPoolExecutor(THREADS) as pool:
        seen: dict[str, Any] = json.loads(json.dumps(outcomes(start(pool))))
    return seen
