"""Nothing left behind in the temporary directory: a served fake removes the CA it made.

(`fakeovirt serve` is checked in test_cli.py, against the real process.)
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from fakeovirt import FakeOvirt


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The process's temporary directory, for this test only."""
    where = tmp_path / "tmp"
    where.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(where))
    return where


def fakeovirt_entries(where: Path) -> list[str]:
    return sorted(p.name for p in where.iterdir() if p.name.startswith("fakeovirt"))


def test_a_stopped_fake_leaves_no_ca_directory(scratch: Path) -> None:
    with FakeOvirt() as fake:
        assert fake.ca_file is not None and Path(fake.ca_file).is_relative_to(scratch)
        assert fakeovirt_entries(scratch) != []
    assert fakeovirt_entries(scratch) == []


def test_a_ca_directory_given_to_start_is_kept(scratch: Path) -> None:
    fake = FakeOvirt().start(ca_dir=scratch / "fakeovirt-mine")
    fake.stop()
    assert fakeovirt_entries(scratch) == ["fakeovirt-mine"]


def test_a_plugin_run_leaves_nothing_behind(scratch: Path, pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from fakeovirt import FakeOvirt

        def test_session_server(fakeovirt):
            assert fakeovirt.ca_file

        def test_more_engines(fakeovirt_factory):
            assert fakeovirt_factory().ca_file

        def test_own_fake():
            with FakeOvirt() as fake:
                assert fake.ca_file
        """
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=3)
    assert fakeovirt_entries(scratch) == []
