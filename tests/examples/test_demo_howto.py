"""The demo from Python: the same narration as `fakeovirt demo`, into any text stream."""

import io
import shutil

import pytest

from fakeovirt.demo import run_demo


def test_the_demo_restores_what_it_backed_up(tmp_path):
    if shutil.which("qemu-img") is None:
        pytest.skip("the demo restores with qemu-img: apt-get install qemu-utils")
    narration = io.StringIO()
    assert run_demo(tmp_path, out=narration) == 0
    assert "OK: every restored chain equals its disk at backup time" in narration.getvalue()
    assert (tmp_path / "incremental-vm-up-disk1.qcow2").exists()
