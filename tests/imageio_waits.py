"""The two 15 s imageio waits of tests/test_imageio_waits.py, and the shorter waits of
tests/test_server_responses.py and tests/test_server_stalls.py (tests/serverwaits.py), run as
a process of their own that the suite starts as soon as its collection ends.

Rules of this file:
- the waits are real: a served fake at its default timeouts, a real TLS client that stops
  reading for 15 s mid-body, the real imageio client idling 15 s on its connection;
- they run in a process of their own, so their 15 s overlap the rest of the run without
  touching it (memory tests count allocations in the test process; a background thread's
  64 MiB would show there);
- the process writes what it saw as JSON: lengths, the first byte that differs from what the
  engine holds (or null), the connection kept, and any exception with its text; the tests
  assert on that report; the server waits' report comes first (`server.json`, about 4 s
  after the start, under a lock of its own), the imageio one (`report.json`) after 15 s;
- one process per run: under xdist the controller starts it as soon as a worker reports the
  waits collected, and whichever worker runs their tests reads its report; a reader waits on
  a lock the process holds until it ends (no polling), and the process is killed after
  `DEADLINE`, so a hang fails the tests instead of stopping the run;
- `python -m tests.imageio_waits DIR` runs it by hand (it writes DIR/server.json and
  DIR/report.json).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

__all__ = [
    "HEAD_START",
    "PAUSE",
    "RANGE",
    "HeadStart",
    "Waits",
    "first_difference",
    "head_start",
    "main",
    "share_with_worker",
    "start_for_workers",
    "stop_head_start",
]

PAUSE = 15.0
MiB = 1 << 20
RANGE = 64 * MiB
DEADLINE = 180.0  # the process is killed after this long: its tests then fail, not hang
DISK = "vm-up-disk1"
ROOT = Path(__file__).resolve().parent.parent


def first_difference(got: bytes, expected: bytes) -> int | None:
    """The first offset where `got` and `expected` differ (a length counts), or None."""
    if got == expected:
        return None
    for index, (a, b) in enumerate(zip(got, expected, strict=False)):
        if a != b:
            return index
    return min(len(got), len(expected))


def stalled_ranged_get(url: str, ca_file: str, expected: bytes) -> dict[str, Any]:
    """GET 64 MiB, read 4 MiB, stop reading for 15 s, then read the rest."""
    from tests.rawclients import Server, request_bytes

    parts = urlsplit(url)
    server = Server(f"{parts.scheme}://{parts.netloc}", ca_file)
    with server.connect(receive_buffer=256 * 1024) as sock:  # so the server stalls too
        extra = f"Range: bytes=0-{len(expected) - 1}\r\n"
        sock.sendall(request_bytes(parts.path, extra=extra))
        reader = sock.makefile("rb")
        status = reader.readline().decode("latin-1").strip()
        while reader.readline() not in (b"\r\n", b""):
            pass
        body = reader.read(4 * MiB)
        time.sleep(PAUSE)
        body += reader.read(len(expected) - len(body))
    return {
        "status": status,
        "length": len(body),
        "first_difference": first_difference(body, expected),
    }


def idle_keep_alive_reads(url: str, ca_file: str, expected: bytes) -> dict[str, Any]:
    """The real client reads 1 MiB, idles 15 s on its connection, reads 1 MiB again."""
    from ovirt_imageio import client

    io = client.ImageioClient(url, cafile=ca_file)
    try:
        before, after = bytearray(MiB), bytearray(MiB)
        io.read(0, before)
        sock = io._backend._con.sock  # the client does not reconnect: same socket or an error
        time.sleep(PAUSE)
        io.read(8 * MiB, after)
        return {
            "before_differs_at": first_difference(bytes(before), expected[:MiB]),
            "after_differs_at": first_difference(bytes(after), expected[8 * MiB : 9 * MiB]),
            "same_connection": io._backend._con.sock is sock,
        }
    finally:
        io.close()


def _outcome(future: Future[dict[str, Any]]) -> dict[str, Any]:
    try:
        return future.result(timeout=120)
    except Exception:
        return {"error": traceback.format_exc()}


def run() -> dict[str, Any]:
    """Serve a fake, start a backup download, run both waits at once; what each saw."""
    import ovirtsdk4 as sdk
    import ovirtsdk4.types as types

    from fakeovirt import FakeOvirt, TransitionPolicy
    from tests import sdkflow
    from tests.servertools import pattern

    fake = FakeOvirt(policy=TransitionPolicy.immediate()).start()
    try:
        for offset in range(0, RANGE, 8 * MiB):  # a different pattern every 8 MiB
            fake.guest_write(DISK, offset, pattern(offset, MiB))
        connection = sdk.Connection(**fake.connection_kwargs())
        vm = fake.vm("vm-up")
        disk = fake.disk(DISK)
        backup = sdkflow.start_backup(connection, vm.id, [types.Disk(id=disk.id)])
        transfer = sdkflow.create_transfer(
            connection, disk.id, types.ImageTransferDirection.DOWNLOAD, backup_id=backup.id
        )
        with fake.lock:
            expected = fake.engine.backup(vm.id, backup.id).views[disk.id].read(0, RANGE)
        assert fake.ca_file is not None
        url = str(transfer.transfer_url)
        with ThreadPoolExecutor(2) as pool:
            stalled = pool.submit(stalled_ranged_get, url, fake.ca_file, expected)
            idle = pool.submit(idle_keep_alive_reads, url, fake.ca_file, expected)
            report = {"stalled": _outcome(stalled), "idle": _outcome(idle)}
        connection.close()
        return report
    finally:
        fake.stop()


def main(argv: list[str]) -> int:
    """Run every wait at once; write the server waits' report to `argv[0]/server.json` as
    soon as they are over (then close the file descriptor `argv[1]`, if given: its lock
    tells the readers), and the imageio waits' report to `argv[0]/report.json`."""
    from tests import serverwaits

    out = Path(argv[0])
    with ThreadPoolExecutor(serverwaits.THREADS) as pool:
        futures = serverwaits.start(pool)  # first: the imageio waits' setup overlaps them

        def server_report() -> None:
            try:
                (out / "server.json").write_text(json.dumps(serverwaits.outcomes(futures)))
            finally:
                if len(argv) > 1:
                    os.close(int(argv[1]))  # the last holder of the lock: readers go on

        reporter = threading.Thread(target=server_report)
        reporter.start()
        try:
            report = run()
        except Exception:
            report = {"error": traceback.format_exc()}
        (out / "report.json").write_text(json.dumps(report))
        reporter.join()
    return 0


class HeadStart:
    """The waits' process, started now. It holds a lock on `<scratch>/running` until it
    ends, and one on `<scratch>/server-running` until its server waits are over, so any
    process of the run can wait for either report (`Waits.report`)."""

    def __init__(self, scratch: Path) -> None:
        self.scratch = scratch
        running = (scratch / "running").open("wb")
        server_running = (scratch / "server-running").open("wb")
        for lock in (running, server_running):
            fcntl.flock(lock, fcntl.LOCK_EX)  # before the start: no reader can come first
        environment = {**os.environ, "TMPDIR": str(scratch)}  # the fake's CA dir too
        with (scratch / "stderr.txt").open("wb") as stderr:
            self._process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "tests.imageio_waits",
                    str(scratch),
                    str(server_running.fileno()),
                ],
                cwd=ROOT,
                env=environment,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                pass_fds=(running.fileno(), server_running.fileno()),  # the locks go with them
            )
        running.close()
        server_running.close()
        self._deadline = threading.Timer(DEADLINE, self._process.kill)
        self._deadline.daemon = True
        self._deadline.start()

    def close(self) -> None:
        """Stop the process if it still runs."""
        self._deadline.cancel()
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()


@dataclass
class Waits:
    """The waits of one run: their scratch folder, and the process when this process
    started it (under xdist the controller does, and the workers read its report)."""

    scratch: Path
    process: HeadStart | None = None

    def report(self, part: str = "report") -> dict[str, Any]:
        """What the imageio waits saw, once their process has ended, or with `part="server"`
        what the server waits saw, once they are over (raises with the process's stderr if
        it wrote no report)."""
        lock = "server-running" if part == "server" else "running"
        with (self.scratch / lock).open("rb") as running:
            fcntl.flock(running, fcntl.LOCK_SH)  # granted when the writer has let it go
        out = self.scratch / f"{part}.json"
        if not out.exists():
            stderr = (self.scratch / "stderr.txt").read_text(errors="replace")
            raise RuntimeError(f"the waits' process wrote no {part}.json:\n{stderr}")
        result: dict[str, Any] = json.loads(out.read_text())
        return result

    def close(self) -> None:
        """Stop the process this process started, and remove what it wrote."""
        if self.process is not None:
            self.process.close()
            shutil.rmtree(self.scratch, ignore_errors=True)


HEAD_START = pytest.StashKey[Waits]()
_SCRATCH = "fakeovirt_imageio_waits"  # the workers' input: the controller's scratch folder


def head_start(config: pytest.Config) -> None:
    """Start the waits' process now, once per run (tests/conftest.py calls this when the
    collection ends, the module's fixture otherwise). An xdist worker starts nothing: it
    reads the report of the process its controller started (`start_for_workers`)."""
    if HEAD_START in config.stash:
        return
    shared = getattr(config, "workerinput", {}).get(_SCRATCH)
    if shared is not None:
        config.stash[HEAD_START] = Waits(Path(shared))
    else:
        scratch = Path(tempfile.mkdtemp(prefix="imageio-waits-"))
        config.stash[HEAD_START] = Waits(scratch, HeadStart(scratch))


def share_with_worker(config: pytest.Config, workerinput: dict[str, Any]) -> None:
    """On the xdist controller: tell a worker where the waits' report will be."""
    if HEAD_START not in config.stash:
        config.stash[HEAD_START] = Waits(Path(tempfile.mkdtemp(prefix="imageio-waits-")))
    workerinput[_SCRATCH] = str(config.stash[HEAD_START].scratch)


def start_for_workers(config: pytest.Config) -> None:
    """On the xdist controller, when a worker has collected the waits: start their process
    (once; the workers are given tests only after every collection has been reported)."""
    waits = config.stash[HEAD_START]
    if waits.process is None:
        waits.process = HeadStart(waits.scratch)


def stop_head_start(config: pytest.Config) -> None:
    """Stop the waits' process this process started, run or not, and remove what it wrote."""
    waits = config.stash.get(HEAD_START, None)
    if waits is not None:
        waits.close()
        del config.stash[HEAD_START]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
