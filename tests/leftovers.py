"""Nothing left behind, checked on every run of the suite (issue 9's acceptance).

The run gets a temporary directory of its own (`TMPDIR` and `tempfile.tempdir`, inherited by
xdist workers and by every `fakeovirt serve` the tests start); at the end the run fails if any
`fakeovirt*` entry remains in it, as one would in `/tmp`, and the directory is removed. Having
its own directory keeps the check exact while other runs share the machine's `/tmp`.
`tests/conftest.py` takes these two hooks; tests/test_leftovers.py checks them.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

__all__ = ["PREFIX", "leftovers", "pytest_configure", "pytest_sessionfinish"]

PREFIX = "fakeovirt"
_OWNER = "FAKEOVIRT_TESTS_TMPDIR"  # set for the run: workers and nested runs keep the parent's
_KEY = pytest.StashKey[Path]()


def leftovers(directory: Path) -> list[str]:
    """The `fakeovirt*` entries in `directory`."""
    return sorted(p.name for p in directory.iterdir() if p.name.startswith(PREFIX))


def pytest_configure(config: pytest.Config) -> None:
    if hasattr(config, "workerinput") or os.environ.get(_OWNER):
        return
    scratch = Path(tempfile.mkdtemp(prefix="tests-tmp-"))
    os.environ["TMPDIR"] = os.environ[_OWNER] = str(scratch)
    tempfile.tempdir = str(scratch)
    config.stash[_KEY] = scratch


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    scratch = session.config.stash.get(_KEY, None)
    if scratch is None:
        return
    left = leftovers(scratch)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if left:
        if reporter is not None:
            reporter.write_line(
                f"left behind in the run's temporary directory {scratch}:", red=True
            )
            reporter.write_line("  " + "  ".join(left), red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    elif exitstatus == 0:
        shutil.rmtree(scratch, ignore_errors=True)
    elif reporter is not None:
        reporter.write_line(f"the run's temporary files are in {scratch}")
