"""One headless Chromium for the tests that look at the dashboard, driven over its DevTools
pipe (`--remote-debugging-pipe`: JSON messages ended by a NUL byte on file descriptors 3 and
4), so that each page costs a tab rather than a browser start (a second each).

`Browser.dump_dom(url)` does what `chromium --headless --virtual-time-budget=3000 --dump-dom
URL` did for these tests: a fresh tab loads the page, then runs it for 3 s of virtual time
(time that stands still while a request is pending: the page polls its state meanwhile), and
returns `document.documentElement.outerHTML`; with `screenshot`, it also writes a PNG. The
browser starts at first use, in each process that uses it, and ends when the process exits.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import itertools
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

__all__ = ["Browser", "browser_session", "shared_browser"]

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
BUDGET_MS = 3000
_ON_3_AND_4 = (
    "import os, sys; os.dup2(int(sys.argv[1]), 3); os.dup2(int(sys.argv[2]), 4); "
    "os.execvp(sys.argv[3], sys.argv[3:])"
)
WAIT = 120.0  # seconds for any one answer of the browser


class Browser:
    """A Chromium process and the pipe to its DevTools."""

    def __init__(self, binary: str) -> None:
        self._profile = tempfile.mkdtemp(prefix="chromium-profile-")
        to_browser, browser_reads = os.pipe()[::-1]  # (write end, read end)
        from_browser, browser_writes = os.pipe()
        self.process = subprocess.Popen(
            [
                sys.executable,  # puts the two pipe ends on 3 and 4, then becomes the browser
                "-c",
                _ON_3_AND_4,
                str(browser_reads),
                str(browser_writes),
                binary,
                *FLAGS,
                "--remote-debugging-pipe",
                f"--user-data-dir={self._profile}",
                "about:blank",
            ],
            pass_fds=(browser_reads, browser_writes),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(browser_reads)
        os.close(browser_writes)
        self._to = to_browser
        self._from = from_browser
        self._ids = itertools.count(1)
        self._buffer = b""
        self._events: list[dict[str, Any]] = []

    # -- the protocol --------------------------------------------------------------------
    def call(self, method: str, params: dict[str, Any] | None = None, **where: str) -> Any:
        """Send one command (to a tab with `sessionId=...`) and return its result."""
        number = next(self._ids)
        message = {"id": number, "method": method, "params": params or {}, **where}
        os.write(self._to, json.dumps(message).encode() + b"\0")
        while True:
            answer = self._receive()
            if answer.get("id") == number:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer.get("result", {})
            self._events.append(answer)

    def event(self, method: str, session: str) -> dict[str, Any]:
        """Wait for the event `method` of the tab `session`."""
        while True:
            for kept in self._events:
                if kept.get("method") == method and kept.get("sessionId") == session:
                    self._events.remove(kept)
                    return kept
            self._events.append(self._receive())

    def _receive(self) -> dict[str, Any]:
        deadline = time.monotonic() + WAIT
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._from], [], [], left)[0]:
                raise TimeoutError("chromium did not answer")
            chunk = os.read(self._from, 1 << 20)
            if not chunk:
                raise RuntimeError(f"chromium ended (exit code {self.process.poll()})")
            self._buffer += chunk
        message, _, self._buffer = self._buffer.partition(b"\0")
        received: dict[str, Any] = json.loads(message)
        return received

    # -- what the tests ask ----------------------------------------------------------------
    def dump_dom(
        self, url: str, *, screenshot: Path | None = None, window: tuple[int, int] = (800, 600)
    ) -> str:
        """The page's DOM after 3 s of virtual time in a fresh tab; a PNG in `screenshot`."""
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        try:
            session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})
            tab = {"sessionId": session["sessionId"]}
            width, height = window
            metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False}
            self.call("Emulation.setDeviceMetricsOverride", metrics, **tab)
            self.call("Page.enable", **tab)
            self.call("Page.navigate", {"url": url}, **tab)
            self.event("Page.loadEventFired", tab["sessionId"])
            policy = {"policy": "pauseIfNetworkFetchesPending", "budget": BUDGET_MS}
            self.call("Emulation.setVirtualTimePolicy", policy, **tab)
            self.event("Emulation.virtualTimeBudgetExpired", tab["sessionId"])
            outer = {"expression": "document.documentElement.outerHTML", "returnByValue": True}
            dom: str = self.call("Runtime.evaluate", outer, **tab)["result"]["value"]
            if screenshot is not None:
                shot = self.call("Page.captureScreenshot", {"format": "png"}, **tab)
                screenshot.write_bytes(base64.b64decode(shot["data"]))
            return dom
        finally:
            self.call("Target.closeTarget", {"targetId": target})

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for fd in (self._to, self._from):
            with contextlib.suppress(OSError):
                os.close(fd)
        shutil.rmtree(self._profile, ignore_errors=True)


_SHARED: dict[str, Browser] = {}


def shared_browser(binary: str) -> Browser:
    """This process's browser: started at the first call, ended by `browser_session` (or at
    exit, if the process ends without it)."""
    if binary not in _SHARED or _SHARED[binary].process.poll() is not None:
        browser = _SHARED[binary] = Browser(binary)
        atexit.register(browser.close)
    return _SHARED[binary]


@pytest.fixture(scope="session")
def browser_session() -> Iterator[None]:
    """Ends the shared browser with the test session, so that it is gone (and its profile
    directory with it) before the run checks and removes its temporary directory. A module
    whose tests use `shared_browser` imports this fixture and marks them with it."""
    yield
    while _SHARED:
        _SHARED.popitem()[1].close()
