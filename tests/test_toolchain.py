"""A fresh machine stays green: the checkers are pinned, the runtime dependencies are ranges
whose lower bounds CI proves (tools/lower_bounds.py), and CI runs what the README says."""

from __future__ import annotations

import re
import runpy
import subprocess
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
LOWER_BOUNDS = runpy.run_path(str(ROOT / "tools" / "lower_bounds.py"))
CI = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
# Pinned exactly in the test extra: the checkers, and hypothesis, whose release decides which
# programs the contract machine draws (CI once went red on a machine that had an older
# hypothesis installed: a planted bug was not drawn under its derandomized examples).
PINNED = ("ruff", "mypy", "hypothesis")


def pins() -> dict[str, str]:
    found = {}
    for requirement in PROJECT["optional-dependencies"]["test"]:
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)==([0-9][0-9A-Za-z.]*)", requirement)
        if match:
            found[match.group(1)] = match.group(2)
    return found


def test_the_checkers_and_hypothesis_are_pinned_exactly_in_the_test_extra() -> None:
    assert sorted(pins()) == sorted(PINNED)


@pytest.mark.parametrize("name", PINNED)
def test_the_installed_release_is_the_pinned_one(name: str) -> None:
    assert version(name) == pins()[name], (
        f"{name} {version(name)} is installed, pyproject.toml pins {pins()[name]}: "
        "pip install -e '.[test]'"
    )


def test_every_runtime_dependency_is_a_range_with_a_lower_bound() -> None:
    for requirement in PROJECT["dependencies"]:
        assert ">=" in requirement and "==" not in requirement, requirement
    minimums = LOWER_BOUNDS["minimums"]()
    names = {re.split(r"[<>=!~\[ ]", r)[0].lower() for r in PROJECT["dependencies"]}
    assert names <= set(minimums)


def test_the_lower_bounds_are_the_proven_ones() -> None:
    """Raised to what tools/lower_bounds.py proved: werkzeug 2.3.0 and xmlschema 3.0.0 pass;
    defusedxml 0.7.0 fails (its ParseError is not ElementTree's, so a malformed body became a
    500), 0.7.1 passes."""
    minimums = LOWER_BOUNDS["minimums"]()
    assert {n: minimums[n] for n in ("werkzeug", "xmlschema", "trustme", "defusedxml")} == {
        "werkzeug": "2.3",
        "xmlschema": "3.0",
        "trustme": "1.0",
        "defusedxml": "0.7.1",
    }


def test_ci_proves_the_lower_bounds_after_the_suite() -> None:
    lines = [line.strip() for line in CI.splitlines()]
    suite = next(i for i, line in enumerate(lines) if "python -m pytest" in line)
    assert "python tools/lower_bounds.py" in lines[suite + 1 :]


def test_the_lower_bounds_subset_exists() -> None:
    for path in LOWER_BOUNDS["SUBSET"]:
        assert (ROOT / path).is_file(), path


def test_ci_fails_when_the_install_of_the_readme_command_fails(tmp_path: Path) -> None:
    """`.ci/run` with a `pip` that fails and every other tool present and succeeding: the run
    must fail (it once went on to the lower bounds, and could have ended green)."""
    stubs = tmp_path / "bin"
    stubs.mkdir()
    for name, code in {"pip": 3, "python": 0, "qemu-img": 0, "qemu-nbd": 0, "chromium": 0}.items():
        (stubs / name).write_text(f"#!/bin/sh\nexit {code}\n")
        (stubs / name).chmod(0o755)
    env = {"PATH": f"{stubs}:/usr/bin:/bin", "HOME": str(tmp_path)}
    done = subprocess.run(
        ["bash", str(ROOT / ".ci" / "run")], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 3, done.stdout + done.stderr
