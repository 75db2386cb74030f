"""Stopping is prompt and quiet whatever the clients do: SIGTERM or SIGINT of `fakeovirt
serve`, `FakeOvirt.stop()`, and the plugin's session teardown (issue 10).

The crowd: a download whose reader stopped reading, 200 idle keep-alive TLS connections and
32 slow-header clients. The property under test is the time to stop, bounded at 1 s (it
takes a few tens of milliseconds; it took over 10 s when stopping waited on stalled clients).
The two `fakeovirt serve` processes stopped here are also the ones whose exit code, last
words and what they leave behind (a generated CA removed, a `--ca-dir` kept) are checked:
one process per signal.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import ovirtsdk4 as sdk
import ovirtsdk4.types as types
import pytest

from fakeovirt import FakeOvirt, TransitionPolicy
from fakeovirt.web.serving import Timeouts
from tests import sdkflow

from .rawclients import Crowd, Server, accepted, closed_by_server, crowd
from .test_cli import LOG_LINE, start_serve

PROMPT = 1.0


def a_download_url(connection: sdk.Connection) -> str:
    """The imageio URL of a running download of vm-up's first disk, in a fresh backup."""
    vm = connection.system_service().vms_service().list(search="name=vm-up")[0]
    disks = sdkflow.vm_disks(connection, vm.id)
    backup = sdkflow.start_backup(connection, vm.id, [types.Disk(id=disks[0].id)])
    transfer = sdkflow.create_transfer(
        connection, disks[0].id, types.ImageTransferDirection.DOWNLOAD, backup_id=backup.id
    )
    return str(transfer.transfer_url)


def gather(clients: Crowd, connection: sdk.Connection) -> None:
    """The crowd; the idle and slow clients connect while the SDK starts the download (the
    server's first backup request builds its schema: the two overlap)."""
    with ThreadPoolExecutor(1) as pool:
        download_url = pool.submit(a_download_url, connection)
        clients.idle_keep_alive(200)
        clients.slow_headers(32)
        clients.stalled_download(download_url.result(timeout=60))


@dataclass
class Stopped:
    """A `fakeovirt serve` process stopped by a signal while a crowd held it: what it left
    and said, and how long it took to stop."""

    args: tuple[str, ...]
    details: dict[str, str]
    ready: Path
    code: int
    out: str
    err: str
    took: float

    def said_nothing_but_its_log(self) -> bool:
        """stderr is empty with `--quiet`, else only access-log lines (the download the
        stop cut is one that ends ` (aborted)`)."""
        if "--quiet" in self.args:
            return self.err == ""
        lines = (line.removesuffix(" (aborted)") for line in self.err.splitlines())
        return all(LOG_LINE.match(line) for line in lines)  # docs/server.md: the access log


def serve_crowd_then_signal(
    where: Path,
    sig: signal.Signals,
    *args: str,
    env: dict[str, str] | None = None,
    together: threading.Barrier | None = None,
) -> Stopped:
    """`fakeovirt serve ARGS`, the crowd of `gather`, then `sig`; with `together`, the signal
    waits until every run sharing it has gathered its crowd, so that no run is timed while
    another one's hundreds of TLS handshakes load the machine."""
    args = ("--policy", "immediate", *args)
    try:
        served = start_serve(where, *args, env=env)
    except BaseException:
        if together is not None:
            together.abort()  # the other runs fail rather than wait for this one
        raise
    try:
        connection = sdk.Connection(**served.details)
        with crowd(Server(served.http().origin, served.details["ca_file"])) as clients:
            try:
                gather(clients, connection)
            except BaseException:
                if together is not None:
                    together.abort()
                raise
            if together is not None:
                together.wait(timeout=120)
            start = time.monotonic()
            code, out, err = served.stop(sig)
            took = time.monotonic() - start
    finally:
        if served.process.poll() is None:
            served.process.kill()
            served.process.wait()
        if served.process.stdout is not None:
            served.process.stdout.close()
    return Stopped(args, served.details, served.ready, code, out, err, took)


@pytest.fixture(scope="module")
def scratch_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The temporary directory (`TMPDIR`) of the process `terminated` stops."""
    return tmp_path_factory.mktemp("scratch")


@pytest.fixture(scope="module")
def ca_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("kept") / "ca"


@pytest.fixture(scope="module")
def both_stopped(
    tmp_path_factory: pytest.TempPathFactory, scratch_tmp: Path, ca_dir: Path
) -> dict[signal.Signals, Stopped]:
    """The two runs of `terminated` and `interrupted`, at once: each is a process of its
    own with a crowd of its own, so the module waits for the longer one, not for both."""
    own_tmp = {**os.environ, "TMPDIR": str(scratch_tmp)}
    runs = {
        signal.SIGTERM: (tmp_path_factory.mktemp("terminated"), ("--quiet",), own_tmp),
        signal.SIGINT: (tmp_path_factory.mktemp("interrupted"), ("--ca-dir", str(ca_dir)), None),
    }
    together = threading.Barrier(len(runs))
    with ThreadPoolExecutor(len(runs)) as pool:
        started = {
            sig: pool.submit(serve_crowd_then_signal, where, sig, *args, env=env, together=together)
            for sig, (where, args, env) in runs.items()
        }
        return {sig: run.result(timeout=300) for sig, run in started.items()}


@pytest.fixture(scope="module")
def terminated(both_stopped: dict[signal.Signals, Stopped]) -> Stopped:
    """`fakeovirt serve --quiet` with its own `TMPDIR`, stopped by SIGTERM: the tests of a
    prompt and clean stop and of what it removes look at the same run."""
    return both_stopped[signal.SIGTERM]


@pytest.fixture(scope="module")
def interrupted(both_stopped: dict[signal.Signals, Stopped]) -> Stopped:
    """`fakeovirt serve --ca-dir DIR`, logging each request, stopped by SIGINT: the tests of
    a prompt and clean stop and of what it keeps look at the same run."""
    return both_stopped[signal.SIGINT]


def stopped_by(request: pytest.FixtureRequest, sig: signal.Signals) -> Stopped:
    name = {signal.SIGTERM: "terminated", signal.SIGINT: "interrupted"}[sig]
    stopped: Stopped = request.getfixturevalue(name)
    return stopped


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serve_stops_within_a_second_on_a_signal_whatever_clients_do(
    request: pytest.FixtureRequest, sig: signal.Signals
) -> None:
    stopped = stopped_by(request, sig)
    assert stopped.code == 0
    assert stopped.said_nothing_but_its_log(), stopped.err
    assert stopped.out.strip().endswith("fakeovirt stopped")
    assert stopped.took < PROMPT, f"serve took {stopped.took:.2f} s to stop"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serve_stops_cleanly_on_a_signal(
    request: pytest.FixtureRequest, sig: signal.Signals
) -> None:
    stopped = stopped_by(request, sig)
    assert stopped.code == 0
    assert "fakeovirt stopped" in stopped.out
    assert "Traceback" not in stopped.err
    assert stopped.said_nothing_but_its_log(), stopped.err


def test_serve_removes_its_ca_directory_and_ready_file_at_exit(
    terminated: Stopped, scratch_tmp: Path
) -> None:
    assert Path(terminated.details["ca_file"]).parent.parent == scratch_tmp
    assert terminated.code == 0
    assert list(scratch_tmp.iterdir()) == []
    assert not terminated.ready.exists()


def test_serve_keeps_a_ca_directory_given_with_ca_dir(interrupted: Stopped, ca_dir: Path) -> None:
    assert interrupted.details["ca_file"] == str(ca_dir / "ca.pem")
    assert interrupted.code == 0
    assert sorted(p.name for p in ca_dir.iterdir()) == ["ca.pem", "server.key", "server.pem"]
    assert not interrupted.ready.exists()


def test_fakeovirt_stop_returns_within_a_second_whatever_clients_do() -> None:
    patient = Timeouts(head=300, keep_alive=300)  # the whole crowd stays connected
    fake = FakeOvirt(policy=TransitionPolicy.immediate()).start(timeouts=patient)
    try:
        connection = sdk.Connection(**fake.connection_kwargs())
        with crowd(Server(fake.origin, fake.ca_file)) as clients:
            gather(clients, connection)
            assert accepted(233, fake.server)
            start = time.monotonic()
            fake.stop()
            took = time.monotonic() - start
    finally:
        fake.stop()
    assert took < PROMPT, f"FakeOvirt.stop() took {took:.2f} s"


def test_after_stop_no_connection_is_served_any_more() -> None:
    fake = FakeOvirt().start()
    try:
        with crowd(Server(fake.origin, fake.ca_file)) as clients:
            clients.idle_keep_alive(20)
            clients.slow_headers(5)
            server = fake.server
            fake.stop()
            assert server.connections == 0
            for sock in clients.sockets:
                sock.settimeout(5)
                assert closed_by_server(sock)
    finally:
        fake.stop()


CLIENTS_LEFT_OPEN = """
import json, time

import pytest

OPEN = []


@pytest.fixture(scope="session", autouse=True)
def teardown_clock():  # set up first, torn down last: after the session's server
    times = {}
    yield times
    times["end"] = time.monotonic()
    with open("teardown.json", "w") as out:
        json.dump({"seconds": times["end"] - times["start"]}, out)


@pytest.fixture(scope="session", autouse=True)
def before_the_server_stops(teardown_clock, fakeovirt_server):
    yield  # torn down just before the session's server
    teardown_clock["start"] = time.monotonic()
"""

TEST_LEAVING_CLIENTS = """
import base64, socket, ssl

from conftest import OPEN

AUTH = base64.b64encode(b"admin@internal:fakeovirt").decode()
GET = f"GET /ovirt-engine/api HTTP/1.1\\r\\nHost: x\\r\\nAuthorization: Basic {AUTH}\\r\\n\\r\\n"


def test_leaves_idle_and_slow_clients_behind(fakeovirt):
    host, port = fakeovirt.origin.split("://")[1].rsplit(":", 1)
    context = ssl.create_default_context(cafile=fakeovirt.ca_file)

    def connect():
        sock = socket.create_connection((host, int(port)))
        return context.wrap_socket(sock, server_hostname=host)

    for n in range(50):
        OPEN.append(sock := connect())
        sock.sendall(GET.encode())
        assert sock.recv(20).startswith(b"HTTP/1.1 200")
    OPEN.append(slow := connect())
    slow.sendall(b"GET /ovirt-engine/api HTTP/1.1\\r\\nHost: x\\r\\nX-Slow: ")
    OPEN.append(socket.create_connection((host, int(port))))
"""


def test_the_plugin_session_teardown_stops_within_a_second_with_clients_left_open(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeconftest(CLIENTS_LEFT_OPEN)
    pytester.makepyfile(test_left=TEST_LEAVING_CLIENTS)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert "Traceback" not in result.stdout.str() + result.stderr.str()
    took = json.loads((pytester.path / "teardown.json").read_text())["seconds"]
    assert took < PROMPT, f"the session teardown took {took:.2f} s"
