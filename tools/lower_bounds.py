"""Prove the lower bounds pyproject.toml declares: install exactly them, run a quick subset.

    python tools/lower_bounds.py           # what .ci/run does after the suite
    python tools/lower_bounds.py --print   # only the constraints it would install

Every `>=` bound of the runtime dependencies and of the user-facing extras (`hypothesis`,
`clients`), and pytest's and pytest-xdist's (the plugin runs inside the user's pytest), is
installed as `==` into a scratch virtualenv next to fakeovirt from this checkout; the script
checks that pip installed those very versions, then runs `SUBSET` there: the tests that
drive what each dependency does for us (werkzeug's routing, wrappers, test client and HTTP
parsing; xmlschema's strict checks and lxml's agreement with them; defusedxml's parsing;
trustme's CA; the real clients over HTTPS; the plugin through pytester; the strategies). A
run takes a few minutes, most of it pip; it is a CI step, not a test, so the default suite
stays fast and offline-friendly. The scratch virtualenv is removed afterwards.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

from packaging.version import Version

__all__ = ["SUBSET", "minimums"]

ROOT = Path(__file__).resolve().parent.parent
EXTRAS = ("hypothesis", "clients")  # the extras users install
RUNNERS = ("pytest", "pytest-xdist")  # from the test extra: the plugin lives in the user's pytest
SUBSET = (
    "tests/test_backups_sdk.py",  # SDK over HTTPS: routing, wrappers, trustme's CA, the server
    "tests/test_imageio.py",  # the data endpoint with the real imageio client
    "tests/test_strict_schema.py",  # xmlschema: every answer checked
    "tests/test_validators_agree.py",  # lxml's libxml2 agrees with xmlschema on strict checks
    "tests/test_bad_input.py",  # defusedxml and werkzeug's request parsing on hostile bodies
    "tests/test_json.py",  # werkzeug's Accept parsing, the JSON codec
    "tests/test_control_plane.py",  # the control plane through the test client
    "tests/test_plugin.py",  # the pytest plugin, through pytester
    "tests/test_strategies.py",  # hypothesis strategies
)
_BOUND = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*>=\s*([0-9][^,;\s]*)")


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def minimums(pyproject: Path = ROOT / "pyproject.toml") -> dict[str, str]:
    """Package name -> its declared lower bound; a requirement without one is an error."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    extras = project["optional-dependencies"]
    wanted = list(project["dependencies"])
    for extra in EXTRAS:
        wanted += extras[extra]
    wanted += [r for r in extras["test"] if _canonical(re.split(r"[<>=!~\[ ]", r)[0]) in RUNNERS]
    found: dict[str, str] = {}
    for requirement in wanted:
        match = _BOUND.match(requirement)
        if match is None:
            raise ValueError(f"{requirement!r} declares no lower bound (name>=version)")
        found[_canonical(match.group(1))] = match.group(2)
    return found


def _run(*command: str) -> None:
    print("lower-bounds:", " ".join(command), flush=True)
    subprocess.run(command, cwd=ROOT, check=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--print", action="store_true", help="print the constraints and stop")
    parser.add_argument("--keep", action="store_true", help="keep the scratch virtualenv")
    args = parser.parse_args(argv)
    pins = minimums()
    constraints = "".join(f"{name}=={version}\n" for name, version in sorted(pins.items()))
    if args.print:
        print(constraints, end="")
        return 0
    scratch = Path(tempfile.mkdtemp(prefix="lower-bounds-"))
    try:
        (scratch / "constraints.txt").write_text(constraints, encoding="utf-8")
        _run(sys.executable, "-m", "venv", str(scratch / "venv"))
        python = str(scratch / "venv" / "bin" / "python")
        pip = [python, "-m", "pip", "--disable-pip-version-check"]
        package = f"{ROOT}[{','.join(EXTRAS)}]"
        _run(*pip, "install", "-q", "-c", str(scratch / "constraints.txt"), "-e", package, *RUNNERS)
        listed = subprocess.run(
            [*pip, "list", "--format", "json"], capture_output=True, text=True, check=True
        ).stdout
        installed = {_canonical(p["name"]): Version(p["version"]) for p in json.loads(listed)}
        wrong = {n: installed.get(n) for n, v in pins.items() if installed.get(n) != Version(v)}
        if wrong:
            print(f"lower-bounds: pip did not install the minimums: {wrong}", file=sys.stderr)
            return 1
        print("lower-bounds: installed", ", ".join(f"{n} {v}" for n, v in sorted(pins.items())))
        _run(python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2", *SUBSET)
    except subprocess.CalledProcessError as error:
        print(f"lower-bounds: failed: {error}", file=sys.stderr)
        return 1
    finally:
        if args.keep:
            print(f"lower-bounds: kept {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
