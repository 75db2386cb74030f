"""The README's promises: two set-up commands first, CI runs the second, the tour runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def setup_commands() -> list[str]:
    first_block = re.search(r"```sh\n(.*?)```", README, re.S)
    assert first_block is not None, "README must start with a sh block of set-up commands"
    assert README.index(first_block.group(0)) < README.index("\n## "), "set-up comes first"
    return [line for line in first_block.group(1).splitlines() if line.strip()]


def test_readme_begins_with_exactly_two_setup_commands() -> None:
    commands = setup_commands()
    assert len(commands) == 2
    assert "fakeovirt serve --scenario demo" in commands[0]
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    lines = [line.strip() for line in ci.splitlines()]
    assert setup_commands()[1] in lines


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README, re.S)


def test_readme_tour_runs(capsys: pytest.CaptureFixture[str]) -> None:
    tour = python_blocks()[0]
    exec(compile(tour, "README.md", "exec"), {"__name__": "readme"})
    assert "checkpoint" in capsys.readouterr().out


def test_readme_plugin_example_passes_as_a_downstream_test(pytester: pytest.Pytester) -> None:
    """In-process: the plugin runs in processes of its own in test_plugin.py's xdist run."""
    pytester.makepyfile(test_readme_example=python_blocks()[1])
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
