"""`fakeovirt serve` as a newcomer runs it: the real process, its options, output and exit."""

from __future__ import annotations

import dataclasses
import http.client
import json
import re
import signal
import socket
import ssl
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import ovirtsdk4 as sdk
import pytest

from fakeovirt import FakeOvirt, Scenario
from fakeovirt.cli import main

from .rawclients import BASIC
from .test_control_plane import Http

ROOT = Path(__file__).resolve().parent.parent
LOG_LINE = re.compile(r"^\d\d:\d\d:\d\d (GET|POST|PUT|DELETE) (/\S*) (\d{3}) \d+\.\d ms$")


def fakeovirt(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the `fakeovirt` command to its end, as a process."""
    return subprocess.run(
        [sys.executable, "-m", "fakeovirt", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )


def in_process(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run `fakeovirt.cli.main` (what the command runs) in this process: (exit code, stdout,
    stderr). An exception escapes, and fails the test, as a traceback would in a terminal."""
    try:
        code = main(list(args))
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


@dataclass
class Served:
    """A running `fakeovirt serve` process, its ready file and its stderr (a file)."""

    process: subprocess.Popen[str]
    details: dict[str, str]
    ready: Path
    stderr: Path
    printed: list[str]

    def http(self) -> Http:
        origin = self.details["url"].removesuffix("/ovirt-engine/api")
        return Http(origin, self.details["ca_file"])

    def stop(self, sig: int = signal.SIGTERM) -> tuple[int, str, str]:
        """Signal it, wait for its exit: (exit code, the rest of stdout, all of stderr)."""
        self.process.send_signal(sig)
        code = self.process.wait(timeout=30)
        assert self.process.stdout is not None
        with self.process.stdout:
            return code, self.process.stdout.read(), self.stderr.read_text()


@dataclass
class Begun:
    """A `fakeovirt serve` process started, not yet known to be ready."""

    process: subprocess.Popen[str]
    ready: Path
    stderr: Path


def begin_serve(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> Begun:
    """Start `fakeovirt serve --ready-file ...`; `ready` waits for it."""
    ready_file = tmp_path / "ready.json"
    errors = tmp_path / "stderr.txt"
    with errors.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "fakeovirt", "serve", "--ready-file", str(ready_file), *args],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            cwd=ROOT,
            env=env,
        )
    return Begun(process, ready_file, errors)


def ready(begun: Begun) -> Served:
    """Block on the output of a started `fakeovirt serve` until it is ready."""
    process = begun.process
    assert process.stdout is not None
    printed = []
    for line in process.stdout:
        printed.append(line)
        if "Ctrl-C" in line:
            break
    assert process.poll() is None, f"serve exited early: {begun.stderr.read_text()}"
    assert any("/fakeovirt/dashboard" in line for line in printed)
    assert begun.ready.exists(), "serve printed its details without writing the ready file"
    return Served(process, json.loads(begun.ready.read_text()), begun.ready, begun.stderr, printed)


def start_serve(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> Served:
    """Start `fakeovirt serve --ready-file ...` and block on its output until it is ready."""
    return ready(begin_serve(tmp_path, *args, env=env))


def stop_quietly(served: Served) -> None:
    """Stop as Ctrl-C would (so that it removes its CA directory), kill if it does not stop."""
    if served.process.poll() is None:
        served.process.send_signal(signal.SIGINT)
        try:
            served.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            served.process.kill()
    served.process.wait(timeout=30)
    if served.process.stdout is not None:
        served.process.stdout.close()


def start_serves(
    tmp_path_factory: pytest.TempPathFactory, **runs: tuple[str, ...]
) -> dict[str, Served]:
    """Start a `fakeovirt serve` process per run (name -> options) at once, then wait for
    each to be ready: the processes start side by side (all are killed if one fails)."""
    begun = {name: begin_serve(tmp_path_factory.mktemp(name), *args) for name, args in runs.items()}
    try:
        return {name: ready(one) for name, one in begun.items()}
    except BaseException:
        for one in begun.values():
            one.process.kill()
            one.process.communicate(timeout=30)
        raise


SCENARIO_FILE = "docs/examples/scenario.toml"  # its own seed (7) and policy (reads:1)
OPTIONS = (
    "--http", "--scenario", SCENARIO_FILE, "--clock", "manual", "--seed", "42",
    "--profile", "engine", "--quiet",
)  # fmt: skip


@pytest.fixture(scope="module")
def serves(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Served]]:
    """The module's two `fakeovirt serve` processes, started side by side: `plain` with no
    options, shared by the tests that only ask it things, and `optioned` with `OPTIONS`,
    shared by the tests of each of them: one process instead of one per option (only the
    clock test moves anything: the clock). `plain` serves the defaults (HTTPS, the demo
    scenario, the system clock, a log line per request); test_signals.py stops two more
    processes, with a crowd of clients, by SIGTERM and SIGINT."""
    served = start_serves(tmp_path_factory, plain=(), optioned=OPTIONS)
    with ExitStack() as stops:  # each is stopped, whatever stopping the other raised
        for one in served.values():
            stops.callback(stop_quietly, one)
        yield served


@pytest.fixture(scope="module")
def plain(serves: dict[str, Served]) -> Served:
    """`fakeovirt serve` with no options."""
    return serves["plain"]


@pytest.fixture(scope="module")
def optioned(serves: dict[str, Served]) -> Served:
    """`fakeovirt serve` with `OPTIONS`."""
    return serves["optioned"]


def logged_after(served: Served, paths: list[str]) -> list[str]:
    """GET each of `paths` on one keep-alive connection, then one more request: the server
    logs a request before it reads the next one on a connection, so once that answer is in,
    the log lines of `paths` are in `served.stderr`. Its lines that name one of `paths`."""
    origin = urlsplit(served.details["url"])
    assert origin.hostname is not None and origin.port is not None
    connection: http.client.HTTPConnection
    if origin.scheme == "https":
        context = ssl.create_default_context(cafile=served.details["ca_file"])
        connection = http.client.HTTPSConnection(origin.hostname, origin.port, context=context)
    else:
        connection = http.client.HTTPConnection(origin.hostname, origin.port)
    try:
        for path in [*paths, "/ovirt-engine/api?last=1"]:
            connection.request("GET", path, headers={"Authorization": BASIC})
            connection.getresponse().read()
    finally:
        connection.close()
    lines = served.stderr.read_text().splitlines()
    return [line for line in lines if any(f" {path} " in line for path in paths)]


# -- serving -----------------------------------------------------------------------------------
def test_serve_writes_connection_details_the_sdk_can_use(plain: Served) -> None:
    details = plain.details
    assert set(details) == {"url", "username", "password", "ca_file"}
    assert details["url"].startswith("https://127.0.0.1:")
    assert details["url"].endswith("/ovirt-engine/api")
    connection = sdk.Connection(**details)
    names = {vm.name for vm in connection.system_service().vms_service().list()}
    assert "vm-up" in names
    connection.close()


def test_serve_loads_a_scenario_file_over_plain_http(optioned: Served) -> None:
    assert {"--http", SCENARIO_FILE} <= set(OPTIONS)
    details = optioned.details
    assert details["url"].startswith("http://") and details["ca_file"] is None
    connection = sdk.Connection(
        url=details["url"], username=details["username"], password=details["password"]
    )
    vms = connection.system_service().vms_service().list()
    assert sorted(vm.name for vm in vms) == ["db1", "web1"]
    connection.close()


def test_serve_logs_one_line_per_request_on_stderr(plain: Served) -> None:
    paths = ["/ovirt-engine/api?logged=1", "/ovirt-engine/api/nope?logged=1"]
    lines = logged_after(plain, paths)
    logged = [m.groups() for line in lines if (m := LOG_LINE.match(line))]
    assert logged == [("GET", paths[0], "200"), ("GET", paths[1], "404")], lines


def test_serve_quiet_logs_no_requests(optioned: Served) -> None:
    assert "--quiet" in OPTIONS
    assert logged_after(optioned, ["/ovirt-engine/api?quiet=1"]) == []
    assert optioned.stderr.read_text() == ""


def test_serve_with_a_manual_clock_lets_the_control_plane_move_time(optioned: Served) -> None:
    http = optioned.http()
    assert http.ok("GET", "/fakeovirt/clock").json() == {
        "now": "2026-01-01T00:00:00.000+00:00",
        "manual": True,
    }
    moved = http.ok("POST", "/fakeovirt/clock", {"advance": 90}).json()
    assert moved["now"] == "2026-01-01T00:01:30.000+00:00"


def test_serve_on_the_system_clock_refuses_to_move_time(plain: Served) -> None:
    assert plain.http().call("POST", "/fakeovirt/clock", {"advance": 90}).status == 409


def test_serve_profile_engine_serves_the_engines_behaviour(optioned: Served) -> None:
    assert any("(profile engine)" in line for line in optioned.printed)
    assert optioned.http().ok("GET", "/fakeovirt/profile").json()["name"] == "engine"


def test_serve_seed_overrides_the_scenario_seed(optioned: Served) -> None:
    """The scenario file says `seed = 7`; `--seed 42` wins."""
    inventory = optioned.http().ok("GET", "/fakeovirt/inventory").json()
    served_ids = {vm["name"]: vm["id"] for vm in inventory["vms"]}
    from_file = Scenario.load(ROOT / SCENARIO_FILE)
    assert from_file.seed == 7
    seeded = FakeOvirt(dataclasses.replace(from_file, seed=42))
    default = FakeOvirt(from_file)
    assert served_ids == {name: seeded.vm(name).id for name in served_ids}
    assert served_ids != {name: default.vm(name).id for name in served_ids}


# -- the command line ------------------------------------------------------------------------
def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    """As `main` runs it (the command's own process runs below and in the serve tests)."""
    from importlib.metadata import version

    code, stdout, _ = in_process(capsys, "--version")
    assert (code, stdout) == (0, f"fakeovirt {version('fakeovirt')}\n")


SERVE_OPTIONS = (
    "--host", "--port", "--http", "--scenario", "--seed", "--policy", "--profile", "--clock",
    "--username", "--password", "--ca-dir", "--ready-file", "--quiet",
)  # fmt: skip


def test_serve_help_has_a_description_and_every_option_with_its_default(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, stdout, _ = in_process(capsys, "serve", "--help")
    assert code == 0
    assert "Serve a fake oVirt engine" in " ".join(stdout.split())
    entries = re.split(r"\n(?=  -)", stdout.split("options:\n")[1])
    described = {entry.split()[0]: " ".join(entry.split()) for entry in entries}
    assert sorted(described) == sorted(["-h,", *SERVE_OPTIONS])
    for option in SERVE_OPTIONS:
        assert "(default: " in described[option], described[option]


@pytest.mark.parametrize(
    "args, message",
    [
        (["serve", "--bogus"], "unrecognized arguments: --bogus"),
        (["serve", "--port", "http"], "not an integer: 'http'"),
        (["serve", "--port", "70000"], "port must be 0..65535"),
        (["serve", "--clock", "sundial"], "invalid choice: 'sundial'"),
        (["serve", "--profile", "strict"], "invalid choice: 'strict'"),
        (["serve", "--policy", "sometimes"], "argument --policy"),
        (["serve", "--scenario", "missing.toml"], "no such file: missing.toml"),
        (["serve", "--scenario", "nope"], "unknown scenario 'nope'"),
        (["serve", "--scenario", "tests"], "scenario file tests: not a regular file"),
        (["demo", "--pace", "-1"], "seconds must be 0..3600"),
        (["launch"], "invalid choice: 'launch'"),
    ],
)
def test_a_mistake_is_one_line_on_stderr_and_exit_2(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, stdout, stderr = in_process(capsys, *args)
    assert code == 2
    assert len(stderr.splitlines()) == 1, stderr
    assert message in stderr
    assert stdout == ""


def test_the_process_says_a_mistake_in_one_line_as_main_does() -> None:
    """The command itself (`python -m fakeovirt`): the same line, the same exit code."""
    result = fakeovirt("serve", "--scenario", "nope")
    assert (result.returncode, result.stdout) == (2, "")
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith("fakeovirt: unknown scenario 'nope'")


def test_a_busy_port_is_one_line_on_stderr_and_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    """As `main` runs it (the process test above shows that the command exits with what
    `main` returns)."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, stdout, stderr = in_process(capsys, "serve", "--port", str(port))
    assert (code, stdout) == (1, "")
    assert stderr == f"fakeovirt: cannot serve on 127.0.0.1:{port}: address already in use\n"


def test_a_malformed_scenario_file_is_one_line_on_stderr(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[[vms]]\nname = \n")
    code, _, stderr = in_process(capsys, "serve", "--scenario", str(bad))
    assert code == 2
    assert len(stderr.splitlines()) == 1 and str(bad) in stderr, stderr


def test_scenario_file_example_parses_with_its_policy() -> None:
    scenario = Scenario.load(ROOT / "docs" / "examples" / "scenario.toml")
    assert [vm.name for vm in scenario.vms] == ["db1", "web1"]
    assert scenario.vms[0].disks[1].format == "raw"
    assert scenario.policy is not None and scenario.policy.reads == 1


@pytest.mark.parametrize(
    "data, message",
    [
        ({"vms": [{"name": "x", "disks": [{"alias": "d", "format": "qcow"}]}]}, "format"),
        ({"vms": [{"name": "x", "disks": [{"alias": "d", "colour": 1}]}]}, "malformed"),
        ({"vms": [{"disks": []}]}, "malformed"),
        ({"policy": {"mode": "sometimes"}}, "policy mode"),
        ({"vms": [{"name": "x", "status": "runnin"}]}, "status must be one of"),
    ],
)
def test_malformed_scenarios_are_rejected_with_a_reason(
    data: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        Scenario.from_dict(data)
