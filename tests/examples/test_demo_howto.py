"""The demo from Python: the same narration as `fakeovirt demo`, into any text stream."""

import io

from fakeovirt.demo import run_demo
from tests.qemutools import require_qemu


def test_the_demo_restores_what_it_backed_up(tmp_path):
    require_qemu()
    narration = io.StringIO()
    assert run_demo(tmp_path, out=narration) == 0
    assert "OK: every restored chain equals its disk at backup time" in narration.getvalue()
    assert (tmp_path / "incremental-vm-up-disk1.qcow2").exists()
