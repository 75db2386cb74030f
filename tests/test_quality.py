"""House rules that a reviewer would otherwise check by hand: lint, types, a pure core."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)


def test_core_imports_no_web_library_time_or_threading() -> None:
    """Importing the whole core loads none of werkzeug, xmlschema, cheroot, time, threading."""
    probe = (
        "import sys, pkgutil, importlib, fakeovirt.core as core\n"
        "before = set(sys.modules)\n"
        "for m in pkgutil.iter_modules(core.__path__):\n"
        "    importlib.import_module('fakeovirt.core.' + m.name)\n"
        "banned = ('werkzeug', 'xmlschema', 'cheroot', 'defusedxml')\n"
        "print(sorted(n for n in sys.modules if n.split('.')[0] in banned))\n"
    )
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", probe],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip() == "[]"
    banned_import = re.compile(r"^\s*(import|from)\s+(time|threading)\b", re.M)
    for source in (ROOT / "fakeovirt" / "core").glob("*.py"):
        assert not banned_import.search(source.read_text()), source.name


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff is not installed")
def test_ruff_is_clean() -> None:
    result = run("ruff", "check", "fakeovirt", "tests", "bench", "tools")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.skipif(shutil.which("mypy") is None, reason="mypy is not installed")
def test_mypy_strict_is_clean() -> None:
    result = run("mypy")
    assert result.returncode == 0, result.stdout + result.stderr
