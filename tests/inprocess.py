"""Run a Python script as `__main__` inside the test process, as `subprocess.run` would run it.

A script of the SDK's examples spends about half a second starting an interpreter and
importing ovirtsdk4 and ovirt_imageio before its first request; in the test process those
are loaded already. The script's code runs unmodified, over the same sockets, against the
same fake; what a process would have of its own is given to it for the run and taken back:
`sys.argv`, `sys.path[0]` (the script's folder), the working directory, the environment
(`HOME`, the proxy variables), stdout and stderr (captured), the root logger (the examples
call `logging.basicConfig`), its SIGINT and SIGTERM handlers (ovirt-img sets its own), short
`time.sleep` polls (the `sitecustomize` of a real run, tests/sdkexamples.py), and its own
modules beside it (`helpers.*`), forgotten afterwards.
An exception it raises is its traceback on stderr and exit status 1, `sys.exit(n)` is `n`.
One script at a time: the process's state is not shared.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import runpy
import signal
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Iterator
from pathlib import Path

__all__ = ["run_script"]

_ONE_AT_A_TIME = threading.Lock()
_sleep = time.sleep


def run_script(
    command: list[str], *, cwd: Path, env: dict[str, str], sleep_cap: float
) -> subprocess.CompletedProcess[str]:
    """Run `command` (`[python, script, *args]`) here: its exit status, stdout and stderr."""
    script = command[1]
    out, err = io.StringIO(), io.StringIO()
    with (
        _ONE_AT_A_TIME,
        _as_a_process(command[1:], cwd, env, sleep_cap, script),
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
    ):
        code = _main(script)
    return subprocess.CompletedProcess(command, code, out.getvalue(), err.getvalue())


def _main(script: str) -> int:
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit as stop:
        if stop.code is None or isinstance(stop.code, int):
            return stop.code or 0
        print(stop.code, file=sys.stderr)
        return 1
    except BaseException:
        traceback.print_exc()
        return 1
    return 0


@contextlib.contextmanager
def _as_a_process(
    argv: list[str], cwd: Path, env: dict[str, str], sleep_cap: float, script: str
) -> Iterator[None]:
    root = logging.getLogger()
    saved_env, saved_cwd = dict(os.environ), os.getcwd()
    saved_argv, saved_path = sys.argv, list(sys.path)
    saved_handlers, saved_level = list(root.handlers), root.level
    saved_modules = set(sys.modules)
    saved_signals = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        os.environ.clear()
        os.environ.update(env)
        os.chdir(cwd)
        sys.argv = list(argv)
        sys.path.insert(0, str(Path(script).parent))
        root.handlers = []
        time.sleep = lambda seconds: _sleep(min(float(seconds), sleep_cap))
        yield
    finally:
        time.sleep = _sleep
        for sig, handler in saved_signals.items():
            signal.signal(sig, handler)
        for handler in root.handlers:
            if handler not in saved_handlers:
                handler.close()
        root.handlers = saved_handlers
        root.setLevel(saved_level)
        os.environ.clear()
        os.environ.update(saved_env)
        os.chdir(saved_cwd)
        sys.argv, sys.path[:] = saved_argv, saved_path
        folder = str(Path(script).parent)
        for name in set(sys.modules) - saved_modules:
            if (getattr(sys.modules[name], "__file__", None) or "").startswith(folder):
                del sys.modules[name]
