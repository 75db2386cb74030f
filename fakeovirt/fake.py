"""`FakeOvirt`: the object users hold. One engine, its web app, and (when asked) a server.

    with FakeOvirt() as fake:                 # demo scenario, HTTPS on 127.0.0.1, a free port
        connection = ovirtsdk4.Connection(
            url=fake.url, username=fake.username, password=fake.password, ca_file=fake.ca_file
        )
        with fake.inject(faults.http_error(503, method="POST", path="/vms/*/backups")):
            ...  # the client's backups get a 503 <fault> here

Resets are cheap (a fraction of a millisecond), so tests share one served fake and reset it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from werkzeug.test import Client

from . import lookup
from .clocks import SystemClock
from .core.backups import BackupRequest
from .core.clock import Clock, ManualClock
from .core.content import ContentView
from .core.engine import Engine
from .core.model import Backup, Disk, Event, ImageTransfer, Snapshot, Vm
from .core.phases import BackupPhase
from .core.policy import TransitionPolicy
from .core.profile import Profile, as_profile
from .core.retention import Retention
from .core.scenario import Scenario
from .core.snapshots import SnapshotRequest
from .core.transfers import TransferRequest
from .core.volumes import Volume
from .faults import Fault
from .injection import FaultSet, Injection
from .records import TransferInfo
from .stall import StallWatch
from .web.app import API_PREFIX, FakeOvirtApp, ServerError
from .web.auth import DEFAULT_USERS, Authenticator
from .web.journal import DEFAULT_SIZE as DEFAULT_JOURNAL_SIZE
from .web.journal import Journal
from .web.serving import BackgroundServer, Timeouts

__all__ = ["FakeOvirt", "as_clock", "as_policy"]

ScenarioLike = Scenario | str | Mapping[str, Any]
ProfileLike = Profile | str
PolicyLike = TransitionPolicy | str | Mapping[str, Any]
ClockLike = Clock | str | datetime
FaultLike = Fault | Mapping[str, Any]


class FakeOvirt:
    """A fake oVirt engine you can serve, reset, and drive from Python."""

    def __init__(
        self,
        scenario: ScenarioLike = "demo",
        *,
        clock: ClockLike | None = None,
        policy: PolicyLike | None = None,
        users: Mapping[str, str] | None = None,
        strict: bool = False,
        journal_size: int = DEFAULT_JOURNAL_SIZE,
        retention: Retention | None = None,
        profile: ProfileLike = "documented",
    ) -> None:
        """`journal_size`: exchanges the journal keeps (older ones are dropped and counted);
        `retention`: how long finished backups, transfers, jobs and events stay (the
        engine's defaults, see `fakeovirt.core.retention`); `profile`: `documented` (the API
        documentation's contract) or `engine` (what engine 4.5's code does where it departs
        from it), see docs/fidelity.md. `clock` and `policy` take what `reset` takes (a
        clock, `manual`, `system` or a start time; a policy, `reads:N`, `seconds:T` or its
        dict form); a malformed one raises `ValueError` here."""
        self._scenarios: dict[str, Scenario] = {}
        self.lock = threading.RLock()
        self.engine = Engine(
            self.resolve_scenario(scenario),
            clock=ManualClock() if clock is None else as_clock(clock),
            policy=None if policy is None else as_policy(policy),
            lock=self.lock,
            retention=retention,
            profile=profile,
        )
        self.users = dict(DEFAULT_USERS if users is None else users)
        self.faults = FaultSet(self.engine)
        self.app = FakeOvirtApp(
            self.engine,
            authenticator=Authenticator(self.users),
            strict=strict,
            journal=Journal(size=journal_size),
            faults=self.faults,
        )
        self.app.journal.listen(StallWatch(self.engine, self.lock).heard)
        self._server: BackgroundServer | None = None

    # -- serving ---------------------------------------------------------------------
    def start(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        tls: bool = True,
        ca_dir: Path | None = None,
        access_log: Callable[[str], None] | None = None,
        timeouts: Timeouts | None = None,
    ) -> FakeOvirt:
        """Serve on a background thread; `url`, `ca_file` and friends are set once this returns.

        With `tls`, the CA and server certificate go to `ca_dir`, else to a temporary
        directory that `stop()` removes (or the interpreter's exit, if `stop()` never runs).
        `access_log(line)` hears of every request (`GET /ovirt-engine/api 200 1.2 ms`).
        `timeouts` replaces the real systems' waits (docs/server.md), e.g. to test a client's
        own timeout handling quickly. A busy port raises `OSError`.
        """
        if self._server is not None:
            raise RuntimeError("this FakeOvirt is already serving")
        self._server = BackgroundServer(
            self.app,
            host,
            port,
            tls=tls,
            ca_dir=ca_dir,
            access_log=access_log,
            timeouts=timeouts,
        ).start()
        return self

    def stop(self) -> None:
        """Stop serving, within a second whatever the clients do; remove a generated CA."""
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
        """The background server while serving; a `RuntimeError` when not."""
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
        """The CA file to give the client (`ca_file=`), None when serving plain HTTP."""
        ca = self.server.ca_file
        return str(ca) if ca else None

    @property
    def username(self) -> str:
        """The first user's name (`admin@internal` unless `users=` said otherwise)."""
        return next(iter(self.users))

    @property
    def password(self) -> str:
        """That user's password (`fakeovirt` unless `users=` said otherwise)."""
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
    def reset(
        self,
        scenario: ScenarioLike | None = None,
        *,
        policy: PolicyLike | None = None,
        clock: ClockLike | None = None,
        faults: Iterable[FaultLike] = (),
        strict: bool | None = None,
        profile: ProfileLike | None = None,
    ) -> None:
        """Back to the scenario's start: inventory, lifecycles, journal, errors, fault rules.

        Given, `policy` (a policy, its dict form, or `immediate`/`reads:N`/`seconds:T`),
        `clock` (a clock, `manual`, `system`, or a start time for a manual clock),
        `strict` and `profile` (`documented` or `engine`) replace the current ones; `faults`
        are installed after the reset.
        """
        chosen = None if scenario is None else self.resolve_scenario(scenario)
        new_profile = None if profile is None else as_profile(profile)
        new_policy = None if policy is None else as_policy(policy)
        new_clock = None if clock is None else as_clock(clock)
        rules = [f if isinstance(f, Fault) else Fault.from_dict(f) for f in faults]  # check first
        with self.lock:
            if new_clock is not None:
                self.engine.clock = new_clock
            if strict is not None:
                self.app.strict = strict
            self.app.reset(chosen)
            if new_policy is not None:  # after the rebuild: it reschedules the new state only
                self.engine.policy = new_policy
            if new_profile is not None:
                self.engine.profile = new_profile
            self.faults.add(*rules)

    def inject(self, *faults: FaultLike) -> Injection:
        """Install fault rules (see `fakeovirt.faults`); as a context manager, for a block."""
        __tracebackhide__ = True
        return self.faults.add(*faults)

    @property
    def journal(self) -> Journal:
        """The exchanges answered since the last reset, and assertions on them."""
        return self.app.journal

    @property
    def errors(self) -> list[ServerError]:
        """Exceptions fakeovirt raised while answering since the last reset (its own bugs)."""
        return self.app.errors

    @property
    def started_at(self) -> datetime:
        """Engine time of the last reset; `history()` counts seconds from it."""
        return self.app.started_at

    @property
    def clock(self) -> Clock:
        """The engine's clock: a `ManualClock` unless one was given."""
        return self.engine.clock

    @property
    def policy(self) -> TransitionPolicy:
        """The engine's transition policy; assign a policy, its dict form or `reads:N`."""
        return self.engine.policy

    @policy.setter
    def policy(self, policy: PolicyLike) -> None:
        with self.lock:
            self.engine.policy = as_policy(policy)

    @property
    def profile(self) -> Profile:
        """The behaviour profile: `fake.profile.name` is `documented` or `engine`."""
        return self.engine.profile

    @profile.setter
    def profile(self, profile: ProfileLike) -> None:
        """Switch profiles without a reset: work started from now on follows the new one."""
        chosen = as_profile(profile)
        with self.lock:
            self.engine.profile = chosen

    def advance(self, seconds: float) -> None:
        """Move a manual clock forward and apply what became due."""
        clock = self.engine.clock
        if not isinstance(clock, ManualClock):
            raise TypeError("advance() needs a ManualClock; this engine runs on another clock")
        with self.lock:
            clock.advance(seconds)
            self.engine.tick()

    def release(self, entity_id: str) -> None:
        """Let a backup or image transfer leave the phase its policy holds."""
        __tracebackhide__ = True
        with self.lock:
            lookup.backup_or_transfer(self.engine.state, entity_id)
            self.engine.release(entity_id)

    def set_freeze_fails(self, vm: str, fails: bool = True) -> None:
        """Make the guest's filesystem freeze fail (or work again) on a VM, by name or id."""
        __tracebackhide__ = True
        with self.lock:
            self.engine.set_freeze_fails(lookup.vm(self.engine.state, vm).id, fails)

    def history(self, entity_id: str) -> list[tuple[str, float]]:
        """A backup's or transfer's phases as the API shows them, with the engine-clock
        seconds since the last reset at which each began: `[("initializing", 0.0), ...]`."""
        __tracebackhide__ = True
        with self.lock:
            entity = lookup.backup_or_transfer(self.engine.state, entity_id)
            return [
                (
                    phase.rest if isinstance(phase, BackupPhase) else phase.value,
                    (when - self.started_at).total_seconds(),
                )
                for phase, when in entity.history
            ]

    def events(self, *, code: int | None = None) -> list[Event]:
        """The engine's events still kept, oldest first; only those with `code` when given.

        Events age out as the engine's audit log does (30 days, at the daily cleanup), and
        at most `Retention.events_kept` stay (`engine.state.events.dropped` counts the rest).
        """
        with self.lock:
            events = self.engine.state.events.newest_first()[::-1]
        return [e for e in events if code is None or e.code == code]

    def resolve_scenario(self, scenario: ScenarioLike) -> Scenario:
        """A scenario object from itself, a name or a file path (loaded once per FakeOvirt, so
        resets reuse its seeded disk content), or the dict form of a scenario file."""
        if isinstance(scenario, Scenario):
            return scenario
        if isinstance(scenario, str):
            if scenario not in self._scenarios:
                self._scenarios[scenario] = Scenario.named(scenario)
            return self._scenarios[scenario]
        return Scenario.from_dict(dict(scenario))

    # -- lookups: each raises `UnknownEntity` (a LookupError) naming what exists -------------
    def vm(self, name: str) -> Vm:
        """The VM named `name` (or with that id), as the engine holds it now."""
        __tracebackhide__ = True
        with self.lock:
            return lookup.vm(self.engine.state, name)

    def disk(self, alias: str) -> Disk:
        """The disk with alias `alias` (or with that id); `.content` is what the guest sees."""
        __tracebackhide__ = True
        with self.lock:
            return lookup.disk(self.engine.state, alias)

    def transfer(self, transfer_id: str) -> TransferInfo:
        """A record of an image transfer and the data requests on its ticket: what moved,
        what was torn (a body that ended short) and why. See docs/data-plane.md."""
        __tracebackhide__ = True
        with self.lock:
            return TransferInfo.of(lookup.transfer(self.engine.state, transfer_id))

    def transfers(self) -> list[TransferInfo]:
        """Records of every image transfer the engine still keeps, oldest first."""
        with self.lock:
            return [TransferInfo.of(t) for t in self.engine.state.transfers.values()]

    # -- acting as a client would, without HTTP ------------------------------------------
    def start_backup(self, vm: str, request: BackupRequest | None = None) -> Backup:
        """Start a backup of a VM (by name or id) as `POST /vms/{id}/backups` would; without
        `request`, of all its disks. The engine's refusals raise `EngineError`s."""
        __tracebackhide__ = True
        with self.lock:
            found = lookup.vm(self.engine.state, vm)
            wanted = request or BackupRequest(disk_ids=tuple(a.disk_id for a in found.attachments))
            return self.engine.start_backup(found.id, wanted)

    def start_transfer(self, request: TransferRequest) -> ImageTransfer:
        """Start an image transfer as `POST /imagetransfers` would; its `ticket` is the
        imageio ticket (`/images/<ticket>`). The engine's refusals raise `EngineError`s."""
        with self.lock:
            return self.engine.start_transfer(request)

    def backup_content(self, backup_id: str, disk: str) -> ContentView:
        """A disk's content (by id or alias) at a backup's point in time: what a correct
        restore of that backup must equal. Kept until the engine forgets the backup."""
        with self.lock:
            backup = self.engine.state.backups.get(backup_id)
            if backup is None:
                raise KeyError(f"no backup {backup_id}")
            target = self.engine.state.disks.get(disk) or self.engine.disk_by_alias(disk)
            view = backup.views.get(target.id)
            if view is None:
                raise KeyError(f"backup {backup_id} does not hold disk {target.alias}")
            return view

    def guest_write(self, disk: str, offset: int, data: bytes) -> None:
        """The guest writes to a disk (by id or alias); the blocks become dirty."""
        __tracebackhide__ = True
        with self.lock:
            self.engine.guest_write(lookup.disk(self.engine.state, disk).id, offset, data)

    # -- snapshots (docs/snapshots.md) -----------------------------------------------------
    def snapshot(
        self,
        vm: str,
        description: str = "fakeovirt snapshot",
        *,
        disks: Iterable[str] | None = None,
        persist_memorystate: bool = False,
    ) -> Snapshot:
        """Take a snapshot of a VM (name or id) by the engine's rules, as
        `POST /vms/{vm}/snapshots` does; `disks` (aliases or ids) limits it to those. It is
        ``locked`` until the policy ends its creation (at once under `immediate`)."""
        with self.lock:
            vm_id = lookup.vm(self.engine.state, vm).id
            disk_ids = None if disks is None else tuple(self._disk(d).id for d in disks)
            request = SnapshotRequest(description, persist_memorystate, disk_ids)
            return self.engine.create_snapshot(vm_id, request)

    def snapshots(self, vm: str) -> list[Snapshot]:
        """A VM's snapshots (name or id), "Active VM" first, as the API lists them."""
        with self.lock:
            return self.engine.snapshots(lookup.vm(self.engine.state, vm).id)

    def remove_snapshot(self, vm: str, snapshot_id: str) -> None:
        """Remove a snapshot by the engine's rules; it is merged away when the policy says."""
        with self.lock:
            self.engine.remove_snapshot(lookup.vm(self.engine.state, vm).id, snapshot_id)

    def volumes(self, disk: str) -> list[Volume]:
        """A disk's volumes (alias or id), base first: each one's image id, parent, and what
        it reads (`guest`: the disk at that point; `own`: that layer alone)."""
        with self.lock:
            return self._disk(disk).volumes.volumes()

    def _disk(self, disk: str) -> Disk:
        return lookup.disk(self.engine.state, disk)


def as_policy(value: PolicyLike) -> TransitionPolicy:
    """A policy from itself, its dict form, or `immediate` / `reads:N` / `seconds:T`."""
    if isinstance(value, TransitionPolicy):
        return value
    if isinstance(value, str):
        return TransitionPolicy.parse(value)
    return TransitionPolicy.from_dict(dict(value))


def as_clock(value: ClockLike) -> Clock:
    """A clock from itself, `manual` (at the usual start), `system`, or a start datetime."""
    if isinstance(value, datetime):
        return ManualClock(value)
    if value == "manual":
        return ManualClock()
    if value == "system":
        return SystemClock()
    if isinstance(value, str):
        raise ValueError(f"invalid clock {value!r}: use manual, system, a datetime or a Clock")
    return value
