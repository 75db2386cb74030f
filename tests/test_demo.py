"""`fakeovirt demo` runs to its final check, and that check can fail."""

from __future__ import annotations

import io
import os
import signal
import ssl
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from fakeovirt.cli import main
from fakeovirt.core.content import DiskContent
from fakeovirt.demo import Demo, DemoFailed, run_demo

from .qemutools import require_qemu

ROOT = Path(__file__).resolve().parents[1]


def test_the_demo_command_ends_with_the_restore_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`fakeovirt demo` as `main` runs it, in this process (the keep-serving test below runs
    the command as a process, to the same restore check)."""
    require_qemu()
    code = main(["demo", "--workdir", str(tmp_path)])
    out, err = capsys.readouterr()
    assert code == 0, out[-2000:] + err[-2000:]
    for narration in (
        "== 1. Full backup ==",
        "phase starting",
        "dirty extent",
        "backup_mode incremental",
    ):
        assert narration in out
    assert "OK: every restored chain equals its disk at backup time" in out
    assert sorted(p.name for p in tmp_path.glob("*.qcow2")) == [
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


def test_keep_serving_keeps_the_dashboard_up_after_the_demo_until_ctrl_c(tmp_path: Path) -> None:
    require_qemu()
    command = ["demo", "--keep-serving", "--pace", "0.001", "--workdir", str(tmp_path)]
    process = subprocess.Popen(
        [sys.executable, "-m", "fakeovirt", *command],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert process.stdout is not None
        printed = []
        for line in process.stdout:
            printed.append(line)
            if line.startswith("Dashboard:"):
                break
        assert any(line.startswith("OK: every restored chain") for line in printed), printed
        ca_file = printed[-2].rsplit("(CA file ", 1)[1].rstrip(")\n")
        dashboard = line.split()[1]
        context = ssl.create_default_context(cafile=ca_file)
        with urllib.request.urlopen(dashboard, context=context) as answer:
            assert answer.status == 200
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
        assert process.stdout.read().strip() == "fakeovirt stopped"
    finally:
        if process.poll() is None:
            process.kill()
        _, err = process.communicate(timeout=30)
    assert "Traceback" not in err


def test_pace_pauses_after_each_narrated_step(tmp_path: Path) -> None:
    paused: list[float] = []
    demo = Demo(tmp_path, io.StringIO(), pace=0.25, sleep=paused.append)
    demo.say("a step")
    demo.say()
    demo.say("another step", indent=2)
    assert paused == [0.25, 0.25]
