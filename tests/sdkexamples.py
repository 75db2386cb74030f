"""The SDK's own example scripts, run unmodified against a served fake.

The examples ship in the sdist of the installed ovirt-engine-sdk-python (`examples/`), with
`helpers/common.py` reading the engine's address from `~/.config/ovirt.conf`. The sdist is
fetched once with pip into the same cache as `test_sdk_examples_wire.py` uses (or the
examples are taken from ``FAKEOVIRT_SDK_EXAMPLES``); never copied into this repository.
Without a package index the tests are skipped. A script runs in a temporary HOME holding the
config for the fake.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import tempfile
from importlib.metadata import version
from pathlib import Path

import pytest

from fakeovirt import FakeOvirt

__all__ = ["examples_dir", "run_example"]

SDK = version("ovirt-engine-sdk-python")


def examples_dir() -> Path:
    """The `examples/` folder of the installed SDK's sdist, fetched once per machine."""
    override = os.environ.get("FAKEOVIRT_SDK_EXAMPLES")
    if override:
        return Path(override)
    cache = Path(tempfile.gettempdir()) / f"fakeovirt-sdk-sdist-{SDK}"
    found = cache / f"ovirt_engine_sdk_python-{SDK}" / "examples"
    if not found.is_dir():
        cache.mkdir(parents=True, exist_ok=True)
        pip = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:"]
        pip += ["--retries", "1", "--timeout", "20"]  # offline: skip soon
        fetched = subprocess.run(
            [*pip, "-d", str(cache), f"ovirt-engine-sdk-python=={SDK}"],
            capture_output=True,
            text=True,
            check=False,
        )
        archives = sorted(cache.glob("*.tar.gz"))
        if fetched.returncode != 0 or not archives:
            pytest.skip(f"cannot fetch the ovirt-engine-sdk-python {SDK} sdist: {fetched.stderr}")
        with tarfile.open(archives[0]) as archive:
            archive.extractall(cache, filter="data")
    return found


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
