"""`fakeovirt serve` as a newcomer runs it: details printed, a ready file, clean shutdown."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import ovirtsdk4 as sdk
import pytest

from fakeovirt import Scenario

ROOT = Path(__file__).resolve().parent.parent


def wait_for_file(path: Path, process: subprocess.Popen[str]) -> dict[str, str]:
    """Block on the server's own output until it reports readiness (no sleeping)."""
    assert process.stdout is not None
    printed = []
    for line in process.stdout:
        printed.append(line)
        if "Ctrl-C" in line:
            break
    assert any("/fakeovirt/dashboard" in line for line in printed)
    assert process.poll() is None, f"serve exited early with code {process.wait()}"
    assert path.exists(), "serve printed its details without writing the ready file"
    data: dict[str, str] = json.loads(path.read_text())
    return data


@pytest.fixture
def served(
    tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[tuple[dict[str, str], subprocess.Popen[str]]]:
    extra = getattr(request, "param", [])
    ready = tmp_path / "ready.json"
    process = subprocess.Popen(
        [sys.executable, "-m", "fakeovirt", "serve", "--ready-file", str(ready), *extra],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        yield wait_for_file(ready, process), process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=30)


def test_serve_writes_connection_details_the_sdk_can_use(
    served: tuple[dict[str, str], subprocess.Popen[str]],
) -> None:
    details, _ = served
    assert set(details) == {"url", "username", "password", "ca_file"}
    assert details["url"].startswith("https://127.0.0.1:")
    assert details["url"].endswith("/ovirt-engine/api")
    connection = sdk.Connection(**details)
    names = {vm.name for vm in connection.system_service().vms_service().list()}
    assert "vm-up" in names
    connection.close()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serve_stops_cleanly_on_a_signal(
    served: tuple[dict[str, str], subprocess.Popen[str]], sig: signal.Signals
) -> None:
    _, process = served
    process.send_signal(sig)
    assert process.wait(timeout=30) == 0
    assert process.stdout is not None
    assert "fakeovirt stopped" in process.stdout.read()


@pytest.mark.parametrize(
    "served", [["--http", "--scenario", "docs/examples/scenario.toml"]], indirect=True
)
def test_serve_loads_a_scenario_file_over_plain_http(
    served: tuple[dict[str, str], subprocess.Popen[str]],
) -> None:
    details, _ = served
    assert details["url"].startswith("http://") and details["ca_file"] is None
    connection = sdk.Connection(
        url=details["url"], username=details["username"], password=details["password"]
    )
    vms = connection.system_service().vms_service().list()
    assert sorted(vm.name for vm in vms) == ["db1", "web1"]
    connection.close()


def test_unknown_scenario_is_a_clear_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "fakeovirt", "serve", "--scenario", "nope"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "unknown scenario 'nope'" in result.stderr


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
