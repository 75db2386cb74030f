"""`fakeovirt demo` runs to its final check, and that check can fail."""

from __future__ import annotations

import io
import os
import signal
import ssl
import subprocess
import sys
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from fakeovirt.core.content import DiskContent
from fakeovirt.demo import Demo, DemoFailed, run_demo

from .qemutools import require_qemu

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class DemoRun:
    """`fakeovirt demo --keep-serving` run as a process to its restore check, its dashboard
    fetched, then Ctrl-C (SIGINT): what it printed before and after, and its exit code."""

    workdir: Path
    printed: list[str]  # stdout, up to the "Dashboard:" line of the keep-serving part
    dashboard: int | str | None  # the status of a GET of the dashboard it names
    code: int | None
    rest: str  # stdout after SIGINT
    err: str


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    """One run of the command, for the test of the demo and the test of keeping on serving."""
    require_qemu()
    workdir = tmp_path_factory.mktemp("demo")
    command = ["demo", "--keep-serving", "--pace", "0.001", "--workdir", str(workdir)]
    process = subprocess.Popen(
        [sys.executable, "-m", "fakeovirt", *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    printed: list[str] = []
    dashboard: int | str | None = None
    code = None
    rest = ""
    try:
        assert process.stdout is not None
        for line in process.stdout:
            printed.append(line)
            if line.startswith("Dashboard:"):
                break
        if printed and printed[-1].startswith("Dashboard:"):
            ca_file = printed[-2].rsplit("(CA file ", 1)[1].rstrip(")\n")
            try:
                context = ssl.create_default_context(cafile=ca_file)
                with urllib.request.urlopen(printed[-1].split()[1], context=context) as answer:
                    dashboard = answer.status
            except OSError as error:  # the keep-serving test says so; the demo test goes on
                dashboard = str(error)
            process.send_signal(signal.SIGINT)
            code = process.wait(timeout=30)
            rest = process.stdout.read()
    finally:
        if process.poll() is None:
            process.kill()
        _, err = process.communicate(timeout=30)
    return DemoRun(workdir, printed, dashboard, code, rest, err)


def test_the_demo_command_ends_with_the_restore_check(demo_run: DemoRun) -> None:
    """`fakeovirt demo` as a process (the run the keep-serving test below looks at too)."""
    out = "".join(demo_run.printed)
    assert demo_run.code == 0, out[-2000:] + demo_run.err[-2000:]
    for narration in (
        "== 1. Full backup ==",
        "phase starting",
        "dirty extent",
        "backup_mode incremental",
    ):
        assert narration in out
    assert "OK: every restored chain equals its disk at backup time" in out
    assert sorted(p.name for p in demo_run.workdir.glob("*.qcow2")) == [
        "full-vm-up-disk1.qcow2",
        "full-vm-up-disk2.qcow2",
        "incremental-vm-up-disk1.qcow2",
        "incremental-vm-up-disk2.qcow2",
    ]


def test_the_restore_check_fails_on_a_chain_that_differs(tmp_path: Path) -> None:
    require_qemu()
    image = tmp_path / "image.qcow2"
    subprocess.run(["qemu-img", "create", "-f", "qcow2", str(image), "1M"], check=True)
    content = DiskContent(1 << 20)
    content.write(0, b"not in the image")
    demo = Demo(tmp_path, io.StringIO())

    class Disk:
        alias = "disk"

    with pytest.raises(DemoFailed, match="differs from disk"):
        demo.check(Disk(), image, content.freeze())
    demo.check(Disk(), image, DiskContent(1 << 20).freeze())


def test_the_demo_says_what_is_missing_without_qemu(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", "")
    assert run_demo(None) == 2
    assert "qemu-img" in capsys.readouterr().err


def test_keep_serving_keeps_the_dashboard_up_after_the_demo_until_ctrl_c(
    demo_run: DemoRun,
) -> None:
    printed = demo_run.printed
    assert printed and printed[-1].startswith("Dashboard:"), printed
    assert any(line.startswith("OK: every restored chain") for line in printed), printed
    assert demo_run.dashboard == 200
    assert demo_run.code == 0
    assert demo_run.rest.strip() == "fakeovirt stopped"
    assert "Traceback" not in demo_run.err


def test_pace_pauses_after_each_narrated_step(tmp_path: Path) -> None:
    paused: list[float] = []
    demo = Demo(tmp_path, io.StringIO(), pace=0.25, sleep=paused.append)
    demo.say("a step")
    demo.say()
    demo.say("another step", indent=2)
    assert paused == [0.25, 0.25]
