"""The SDK's own example scripts, run unmodified against a served fake.

The examples ship in the sdist of the installed ovirt-engine-sdk-python (`examples/`), with
`helpers/common.py` reading the engine's address from `~/.config/ovirt.conf`. They are
fetched once with pip into ``~/.cache/fakeovirt`` (``FAKEOVIRT_CACHE`` elsewhere), or taken
from ``FAKEOVIRT_SDK_EXAMPLES``; never copied into this repository. A script runs in a
temporary HOME holding the config for the fake.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import pytest

from fakeovirt import FakeOvirt

__all__ = ["examples_dir", "run_example"]

PACKAGE = "ovirt-engine-sdk-python"


def examples_dir() -> Path:
    """The sdist's `examples/` for the installed SDK version, fetched once per machine."""
    override = os.environ.get("FAKEOVIRT_SDK_EXAMPLES")
    if override:
        return Path(override)
    version = importlib.metadata.version(PACKAGE)
    cache = Path(os.environ.get("FAKEOVIRT_CACHE", Path.home() / ".cache" / "fakeovirt"))
    target = cache / f"sdk-examples-{version}"
    if not target.is_dir():
        cache.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=cache) as tmp:
            _fetch(version, Path(tmp))
            with contextlib.suppress(OSError):  # another worker got there first
                (Path(tmp) / "examples").rename(target)
    return target


def _fetch(version: str, into: Path) -> None:
    """Download the sdist with pip and unpack its `examples/` as ``into/examples``."""
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:"]
    command += ["--quiet", "-d", str(into), f"{PACKAGE}=={version}"]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    archives = list(into.glob("*.tar.gz"))
    if result.returncode or not archives:
        reason = f"cannot fetch the {PACKAGE} {version} sdist: {result.stderr.strip()[-300:]}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    with tarfile.open(archives[0]) as archive:
        members = [m for m in archive.getmembers() if "/examples/" in m.name]
        archive.extractall(into, members=members, filter="data")
    next(into.glob("*/examples")).rename(into / "examples")


def run_example(
    examples: Path, script: str, fake: FakeOvirt, home: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    """Run ``examples/script`` with ``-c fake``, as a user would, against ``fake``."""
    config = home / ".config" / "ovirt.conf"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(
        "[fake]\n"
        f"engine_url = {fake.origin}\n"
        f"username = {fake.username}\n"
        f"password = {fake.password}\n"
        f"cafile = {fake.ca_file}\n",
        encoding="utf-8",
    )
    env = {**os.environ, "HOME": str(home)}
    command = [sys.executable, str(examples / script), "-c", "fake"]
    command += ["--logfile", str(home / "example.log"), *args]
    return subprocess.run(
        command, cwd=home, env=env, capture_output=True, text=True, timeout=120, check=False
    )
