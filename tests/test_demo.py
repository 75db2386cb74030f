"""`fakeovirt demo` runs to its final check, and that check can fail."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from fakeovirt.core.content import DiskContent
from fakeovirt.demo import Demo, DemoFailed, run_demo

from .qemutools import require_qemu

ROOT = Path(__file__).resolve().parents[1]


def test_the_demo_command_ends_with_the_restore_check(tmp_path: Path) -> None:
    require_qemu()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "fakeovirt", "demo", "--workdir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    out = result.stdout
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
