"""Nothing left behind in the temporary directory: a served fake removes the CA it made.

(`fakeovirt serve` is checked in test_signals.py, against the real process; the whole suite runs in
a temporary directory of its own and fails if it leaves a `fakeovirt*` entry: tests/leftovers.py.)
"""

from __future__ import annotations

import os
import subprocess
import sys
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


def test_a_script_that_dies_before_stop_leaves_no_ca_directory(tmp_path: Path) -> None:
    """A user's script starts a fake and raises before `stop()` (no `with`): the CA directory
    goes at the interpreter's exit all the same."""
    script = (
        "from fakeovirt import FakeOvirt\n"
        "fake = FakeOvirt().start()\n"
        "print(fake.ca_file, flush=True)\n"
        "raise SystemExit('the script fails here')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, "TMPDIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1 and "the script fails here" in done.stderr, done.stderr
    ca_file = Path(done.stdout.strip())
    assert ca_file.parent.parent == tmp_path  # it was made where the test can look
    assert fakeovirt_entries(tmp_path) == []


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


ROOT = Path(__file__).resolve().parent.parent


def test_the_suite_runs_in_its_own_temporary_directory_and_checks_it() -> None:
    """tests/leftovers.py gave this run a directory of its own; the end of the run checks it."""
    assert Path(tempfile.gettempdir()).name.startswith("tests-tmp-")


def a_run_of_its_own(monkeypatch: pytest.MonkeyPatch, tmp: Path) -> None:
    """Set up a pytest run in this process (`pytester.runpytest`) as `python -m pytest` with
    `TMPDIR=tmp` starts: not a run's worker. What its hooks set (`TMPDIR`, the owner variable,
    `tempfile.tempdir`) is put back when the test ends."""
    monkeypatch.delenv("FAKEOVIRT_TESTS_TMPDIR")
    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))  # what Python reads from TMPDIR


def test_a_run_that_leaves_a_fakeovirt_entry_behind_fails(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    a_run_of_its_own(monkeypatch, tmp_path)
    pytester.makeconftest(
        "from tests.leftovers import pytest_configure, pytest_sessionfinish  # noqa: F401\n"
    )
    pytester.makepyfile(
        """
        import tempfile
        from pathlib import Path

        def test_forgets_to_clean_up():
            Path(tempfile.mkdtemp(prefix="fakeovirt-oops-")).joinpath("ca.pem").touch()
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            f"left behind in the run's temporary directory {tmp_path}/tests-tmp-*",
            "  fakeovirt-oops-*",
        ]
    )


def test_a_clean_run_removes_its_temporary_directory(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    a_run_of_its_own(monkeypatch, tmp_path)
    pytester.makeconftest(
        "from tests.leftovers import pytest_configure, pytest_sessionfinish  # noqa: F401\n"
    )
    pytester.makepyfile("def test_nothing():\n    pass\n")
    made: list[str] = []
    mkdtemp = tempfile.mkdtemp
    monkeypatch.setattr(
        tempfile, "mkdtemp", lambda *a, **k: made.append(mkdtemp(*a, **k)) or made[-1]
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)
    ran_in = [Path(m) for m in made if Path(m).name.startswith("tests-tmp-")]
    assert [m.parent for m in ran_in] == [tmp_path]  # the run made its directory there
    assert list(tmp_path.iterdir()) == []


def test_no_code_writes_to_a_fixed_tmp_path() -> None:
    """Everything goes through `tempfile`, so the run's own directory sees it all."""
    sources = [*ROOT.joinpath("fakeovirt").rglob("*.py"), *ROOT.joinpath("tests").rglob("*.py")]
    fixed = [
        str(p.relative_to(ROOT))
        for p in sources
        if p.name != "test_leftovers.py" and '"/tmp' in p.read_text(encoding="utf-8")
    ]
    assert fixed == []


def test_the_sdk_examples_cache_is_no_temporary_fakeovirt_entry() -> None:
    from tests.sdkexamples import CACHE

    assert CACHE.is_relative_to(ROOT / ".pytest_cache")
    assert not CACHE.is_relative_to(tempfile.gettempdir())
