"""What starting fakeovirt's server costs.

Prints, best of several rounds in one run:
- the start of a served fake over HTTPS (bind, TLS context, accept thread), without the
  certificate generation, which is timed on its own (goal: <= 30 ms);
- `FakeOvirt(...).start()` and `stop()` as a user pays them.

The keep-alive HTTPS GET of a backup against a bare WSGI app on the same server (issue 13's
row) is `bench/bench_request.py`'s, which measures it with its CPU time and the in-process
costs beside it.

    python bench/bench_server.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from fakeovirt import FakeOvirt
from fakeovirt.web.serving import BackgroundServer
from fakeovirt.web.tls import make_tls


def best(rounds: int, run: Callable[[], float]) -> float:
    return min(run() for _ in range(rounds))


def _bare(body: bytes) -> Any:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        environ["wsgi.input"].read()
        start_response(
            "200 OK",
            [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))],
        )
        return [body]

    return app


def start_seconds(certs: Path) -> float:
    """Bind, build the TLS context from existing files, start accepting; certificates made
    beforehand (make_tls is timed on its own)."""
    import fakeovirt.web.serving.server as server_module

    made = make_tls("127.0.0.1", certs)
    original = server_module.make_tls
    server_module.make_tls = lambda host, directory=None: made
    try:
        begin = time.perf_counter()
        server = BackgroundServer(_bare(b""), tls=True, ca_dir=certs).start()
        took = time.perf_counter() - begin
    finally:
        server_module.make_tls = original
    server.stop()
    return took


def certificate_seconds(where: Path) -> float:
    begin = time.perf_counter()
    make_tls("127.0.0.1", where)
    return time.perf_counter() - begin


def fake_start_stop_seconds() -> tuple[float, float]:
    fake = FakeOvirt()
    begin = time.perf_counter()
    fake.start()
    started = time.perf_counter()
    fake.stop()
    return started - begin, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cpus, python {platform.python_version()}"
    )
    with tempfile.TemporaryDirectory(prefix="bench-server-") as tmp:
        certs = Path(tmp)
        start = best(args.rounds, lambda: start_seconds(certs))
        made = best(args.rounds, lambda: certificate_seconds(certs / "again"))
    starts = [fake_start_stop_seconds() for _ in range(args.rounds)]
    print(
        f"HTTPS server start, certificates excluded: {start * 1000:6.1f} ms"
        "  (before ~115 ms; goal <= 30 ms)"
    )
    print(f"certificate generation (trustme):          {made * 1000:6.1f} ms")
    print(f"FakeOvirt().start():                       {min(s for s, _ in starts) * 1000:6.1f} ms")
    print(f"FakeOvirt().stop():                        {min(s for _, s in starts) * 1000:6.1f} ms")

    print("keep-alive HTTPS GET of a backup vs a bare app: see bench/bench_request.py")


if __name__ == "__main__":
    main()
