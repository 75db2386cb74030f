"""The SDK's own example scripts, run unmodified against a served fake.

The examples ship in the sdist of the installed ovirt-engine-sdk-python (`examples/`), with
`helpers/common.py` reading the engine's address from `~/.config/ovirt.conf`. The sdist is
fetched once with pip into `CACHE`, under the checkout's `.pytest_cache/` (git ignores it; a
test run leaves nothing in the temporary directory), or the examples are taken from
``FAKEOVIRT_SDK_EXAMPLES``; never copied into this repository. Without a package index the
tests are skipped. A script runs in a temporary HOME holding the config for the fake, as a
process of its own or, with ``in_process=True``, inside the test process (tests/inprocess.py:
the same script without half a second of interpreter start and imports).
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.metadata import version
from pathlib import Path

import pytest

from fakeovirt import FakeOvirt
from tests.connect_proxy import TerminatingProxy
from tests.inprocess import run_script

__all__ = [
    "CACHE",
    "ENGINE40",
    "ENGINE40_USERS",
    "QUICK_SLEEP",
    "as_engine40",
    "example_environment",
    "examples_dir",
    "run_example",
    "run_hardcoded",
    "run_hardcoded_process",
    "write_engine_config",
]

SDK = version("ovirt-engine-sdk-python")
# Examples that take no `-c` option reach https://engine40.example.com as this user.
ENGINE40 = "engine40.example.com"
ENGINE40_USERS = {"admin@internal": "redhat123"}
CACHE = Path(__file__).resolve().parent.parent / ".pytest_cache" / "d" / f"ovirt-sdk-sdist-{SDK}"


def examples_dir(cache: Path = CACHE) -> Path:
    """The `examples/` folder of the installed SDK's sdist, fetched once per checkout (one
    process at a time: xdist workers wait for the first one's download)."""
    override = os.environ.get("FAKEOVIRT_SDK_EXAMPLES")
    if override:
        return Path(override)
    found = cache / f"ovirt_engine_sdk_python-{SDK}" / "examples"
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not found.is_dir():
            _fetch(cache)
    return found


def _fetch(cache: Path) -> None:
    with tempfile.TemporaryDirectory(dir=cache) as scratch:
        pip = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:"]
        pip += ["--retries", "1", "--timeout", "20"]  # offline: skip soon
        fetched = subprocess.run(
            [*pip, "-d", scratch, f"ovirt-engine-sdk-python=={SDK}"],
            capture_output=True,
            text=True,
            check=False,
        )
        archives = sorted(Path(scratch).glob("*.tar.gz"))
        if fetched.returncode != 0 or not archives:
            pytest.skip(f"cannot fetch the ovirt-engine-sdk-python {SDK} sdist: {fetched.stderr}")
        with tarfile.open(archives[0]) as archive:
            archive.extractall(cache, filter="data")


def run_example(
    examples: Path, script: str, fake: FakeOvirt, home: Path, *args: str, in_process: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run ``examples/script`` with ``-c fake``, as a user would, against ``fake``."""
    write_engine_config(home / ".config" / "ovirt.conf", fake)
    command = [sys.executable, str(examples / script), "-c", "fake"]
    command += ["--logfile", str(home / "example.log"), *args]
    return _run(command, home, example_environment(home), in_process)


def _run(
    command: list[str], cwd: Path, env: dict[str, str], in_process: bool
) -> subprocess.CompletedProcess[str]:
    if in_process:
        return run_script(command, cwd=cwd, env=env, sleep_cap=QUICK_SLEEP)
    return subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def write_engine_config(config: Path, fake: FakeOvirt) -> None:
    """A `[fake]` section with the engine's URL, user, password and CA file, as both the SDK
    examples (`~/.config/ovirt.conf`) and `ovirt-img` (`ovirt-img.conf`) read it."""
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(
        "[fake]\n"
        f"engine_url = {fake.origin}\n"
        f"username = {fake.username}\n"
        f"password = {fake.password}\n"
        f"cafile = {fake.ca_file}\n",
        encoding="utf-8",
    )


@contextmanager
def as_engine40(fake: FakeOvirt, workdir: Path) -> Iterator[tuple[FakeOvirt, Path, str]]:
    """Serve `fake` (plain HTTP) behind a TLS proxy for `ENGINE40`, as the examples with a
    hard-coded engine expect: `(fake, working directory holding ca.pem, proxy url)`."""
    fake.start(tls=False)
    proxy = TerminatingProxy(ENGINE40, (fake.server.host, fake.server.port), workdir)
    try:
        yield fake, workdir, proxy.url
    finally:
        proxy.close()
        fake.stop()


def run_hardcoded(
    examples: Path, engine40: tuple[FakeOvirt, Path, str], name: str, *, in_process: bool = False
) -> str:
    """Run ``examples/name``, which reaches `ENGINE40` itself, through the proxy; its stdout."""
    fake, workdir, _ = engine40
    done = run_hardcoded_process(examples, engine40, name, in_process=in_process)
    log = workdir / "example.log"
    assert done.returncode == 0, done.stderr + (log.read_text() if log.exists() else "")
    assert fake.errors == []
    return done.stdout


def run_hardcoded_process(
    examples: Path, engine40: tuple[FakeOvirt, Path, str], name: str, *, in_process: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run ``examples/name`` through the proxy, whatever its end: the finished process."""
    _, workdir, proxy = engine40
    env = example_environment(workdir)
    env.update(https_proxy=proxy, HTTPS_PROXY=proxy, no_proxy="", NO_PROXY="")
    return _run([sys.executable, str(examples / name)], workdir, env, in_process)


def example_environment(home: Path) -> dict[str, str]:
    """The environment a script of the SDK's or ovirt-imageio's runs in: ``HOME`` is `home`,
    and its `time.sleep` polls are short (see `_SITECUSTOMIZE`)."""
    path = os.pathsep.join(filter(None, [str(_quick_sleep(home)), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "HOME": str(home), "PYTHONPATH": path}


# The examples poll with `time.sleep(5)` between reads, ovirt-img (ovirt-imageio's
# client/_ovirt.py) sleeps 1 s before each read of a disk or transfer it waits for. Under test
# the fake's lifecycles move on reads (a per-read or the immediate policy), never on wall time,
# so the sleeps only cost time: a `sitecustomize` shortens them to 2 ms (`QUICK_SLEEP`, also
# in-process). The scripts' code runs unmodified.
QUICK_SLEEP = 0.002
_SITECUSTOMIZE = f"""\
import time

_sleep = time.sleep
time.sleep = lambda seconds: _sleep(min(seconds, {QUICK_SLEEP}))
"""


def _quick_sleep(home: Path) -> Path:
    """A directory whose `sitecustomize.py` shortens the example's sleeps."""
    site = home / "quick-sleep"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(_SITECUSTOMIZE, encoding="utf-8")
    return site
