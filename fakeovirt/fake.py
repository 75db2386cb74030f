"""`FakeOvirt`: the object users hold. One engine, its web app, and (when asked) a server.

    with FakeOvirt() as fake:                 # demo scenario, HTTPS on 127.0.0.1, a free port
        connection = ovirtsdk4.Connection(
            url=fake.url, username=fake.username, password=fake.password, ca_file=fake.ca_file
        )
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

from werkzeug.test import Client

from .core.clock import Clock, ManualClock
from .core.engine import Engine
from .core.model import Disk, Vm
from .core.policy import TransitionPolicy
from .core.scenario import Scenario
from .web.app import API_PREFIX, FakeOvirtApp, ServerError
from .web.auth import DEFAULT_USERS, Authenticator
from .web.journal import Journal
from .web.server import BackgroundServer

__all__ = ["FakeOvirt"]


class FakeOvirt:
    """A fake oVirt engine you can serve, reset, and drive from Python."""

    def __init__(
        self,
        scenario: Scenario | str = "demo",
        *,
        clock: Clock | None = None,
        policy: TransitionPolicy | None = None,
        users: Mapping[str, str] | None = None,
        strict: bool = False,
    ) -> None:
        if isinstance(scenario, str):
            scenario = Scenario.named(scenario)
        self.lock = threading.RLock()
        self.engine = Engine(scenario, clock=clock or ManualClock(), policy=policy, lock=self.lock)
        self.users = dict(DEFAULT_USERS if users is None else users)
        self.app = FakeOvirtApp(self.engine, authenticator=Authenticator(self.users), strict=strict)
        self._server: BackgroundServer | None = None

    # -- serving ---------------------------------------------------------------------
    def start(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        tls: bool = True,
        ca_dir: Path | None = None,
    ) -> FakeOvirt:
        """Serve on a background thread; `url`, `ca_file` and friends are set once this returns."""
        if self._server is not None:
            raise RuntimeError("this FakeOvirt is already serving")
        self._server = BackgroundServer(self.app, host, port, tls=tls, ca_dir=ca_dir).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> FakeOvirt:
        return self if self._server is not None else self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def server(self) -> BackgroundServer:
        if self._server is None:
            raise RuntimeError("not serving: call start() or use `with FakeOvirt() as fake:`")
        return self._server

    @property
    def origin(self) -> str:
        """`https://127.0.0.1:PORT`: where SSO, the API and imageio live."""
        return self.server.origin

    @property
    def url(self) -> str:
        """The API URL to give `ovirtsdk4.Connection`."""
        return self.origin + API_PREFIX

    @property
    def ca_file(self) -> str | None:
        ca = self.server.ca_file
        return str(ca) if ca else None

    @property
    def username(self) -> str:
        return next(iter(self.users))

    @property
    def password(self) -> str:
        return self.users[self.username]

    def connection_kwargs(self) -> dict[str, object]:
        """Keyword arguments for `ovirtsdk4.Connection(**...)`."""
        return {
            "url": self.url,
            "username": self.username,
            "password": self.password,
            "ca_file": self.ca_file,
            "insecure": self.ca_file is None,
        }

    def client(self) -> Client:
        """An in-process werkzeug test client (no socket) for fast tests."""
        return Client(self.app)

    # -- state ----------------------------------------------------------------------
    def reset(self, scenario: Scenario | str | None = None) -> None:
        """Back to the scenario's start: inventory, clock-driven lifecycles, journal, errors."""
        if isinstance(scenario, str):
            scenario = Scenario.named(scenario)
        with self.lock:
            self.engine.reset(scenario)
            self.app.journal.clear()
            self.app.errors.clear()

    @property
    def journal(self) -> Journal:
        return self.app.journal

    @property
    def errors(self) -> list[ServerError]:
        return self.app.errors

    @property
    def clock(self) -> Clock:
        return self.engine.clock

    def advance(self, seconds: float) -> None:
        """Move a manual clock forward and apply what became due."""
        clock = self.engine.clock
        if not isinstance(clock, ManualClock):
            raise TypeError("advance() needs a ManualClock; this engine runs on another clock")
        with self.lock:
            clock.advance(seconds)
            self.engine.tick()

    def vm(self, name: str) -> Vm:
        with self.lock:
            return self.engine.vm_by_name(name)

    def disk(self, alias: str) -> Disk:
        with self.lock:
            return self.engine.disk_by_alias(alias)

    def guest_write(self, disk: str, offset: int, data: bytes) -> None:
        """The guest writes to a disk (by id or alias); the blocks become dirty."""
        with self.lock:
            target = self.engine.state.disks.get(disk) or self.engine.disk_by_alias(disk)
            self.engine.guest_write(target.id, offset, data)
