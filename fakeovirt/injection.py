"""Fault rules at work: matching requests, firing faults, answering as the engine would.

The faults themselves are declared in `fakeovirt/faults.py`; the rules of matching and
firing are listed there.
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from werkzeug.wrappers import Request, Response

from .core import messages as msg
from .core.engine import Engine
from .core.errors import EngineError
from .core.model import VmStatus
from .core.phases import BackupPhase, TransferPhase
from .core.state import State
from .faults import INJECTED_ERROR, MAX_LATENCY, Fault
from .web.app import DropConnection
from .web.fault_response import fault_response
from .web.journal import API_PREFIX, ENVIRON_FAULTS, path_matches

__all__ = ["MAX_RULES", "FaultSet", "Injection", "Rule"]

MAX_RULES = 1000


class Rule:
    """A fault installed in a `FaultSet`, with its counters."""

    def __init__(self, fault: Fault) -> None:
        self.fault = fault
        self.seen = 0  # requests it matched while not exhausted
        self.fired = 0
        self._random = random.Random(fault.seed)

    @property
    def exhausted(self) -> bool:
        return self.fault.times is not None and self.fired >= self.fault.times

    def try_fire(self) -> bool:
        """Count one matching request; whether the fault fires on it."""
        if self.exhausted:
            return False
        self.seen += 1
        if self.seen <= self.fault.after:
            return False
        if self.fault.probability < 1.0 and self._random.random() >= self.fault.probability:
            return False
        self.fired += 1
        return True

    def refund(self) -> None:
        """The effect could not happen (nothing was created): do not count this firing."""
        self.fired -= 1

    def describe(self) -> dict[str, Any]:
        return {**self.fault.to_dict(), "seen": self.seen, "fired": self.fired}

    def __repr__(self) -> str:
        return f"Rule({self.fault!r}, fired={self.fired})"


class Injection:
    """Rules added together; leaving the `with` block removes them."""

    def __init__(self, owner: FaultSet, rules: list[Rule]) -> None:
        self.owner = owner
        self.rules = rules

    @property
    def fired(self) -> int:
        """How many times these rules fired."""
        return sum(rule.fired for rule in self.rules)

    def remove(self) -> None:
        """Uninstall these rules now (leaving the `with` block does it too)."""
        self.owner.remove(*self.rules)

    def __enter__(self) -> Injection:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.remove()


@dataclass
class _FreezeRestore:
    """A VM whose freeze flag a rule set for one backup, to put back once it froze."""

    state: State
    vm_id: str
    backup_id: str
    original: bool


@dataclass(frozen=True)
class _Target:
    method: str
    path: str

    @property
    def imageio(self) -> bool:
        return self.path.startswith("/images/")


_VM = re.compile(re.escape(API_PREFIX) + r"/vms/([^/]+)")
_DISK = re.compile(re.escape(API_PREFIX) + r"/disks/([^/]+)")
_TRANSFER = re.compile(re.escape(API_PREFIX) + r"/imagetransfers/([^/]+)")
_TICKET = re.compile(r"/images/([^/]+)")


class FaultSet:
    """The fault rules of one engine, consulted by its app for every request."""

    def __init__(self, engine: Engine, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self._engine = engine
        self._sleep = sleep
        self._lock = threading.RLock()
        self._rules: list[Rule] = []
        self._hidden: dict[str, str] = {}  # path -> "backup" / "image transfer", 404 once
        self._freezes: list[_FreezeRestore] = []

    # -- managing rules -----------------------------------------------------------------
    @property
    def active(self) -> bool:
        return bool(self._rules or self._hidden or self._freezes)

    @property
    def rules(self) -> list[Rule]:
        with self._lock:
            return list(self._rules)

    def add(self, *faults: Fault | Mapping[str, Any]) -> Injection:
        """Install rules after the existing ones; use the result as a context manager.

        Every fault is checked first: a refused one (`ValueError`) installs nothing.
        """
        __tracebackhide__ = True  # a refused fault reads as its message, at the user's call
        built = []
        for fault in faults:  # a loop, not a comprehension: no frame of ours to show
            built.append(Rule(fault if isinstance(fault, Fault) else Fault.from_dict(fault)))
        with self._lock:
            if len(self._rules) + len(built) > MAX_RULES:
                raise ValueError(f"at most {MAX_RULES} fault rules at a time")
            self._rules.extend(built)
        return Injection(self, built)

    def remove(self, *rules: Rule) -> None:
        with self._lock:
            self._rules = [rule for rule in self._rules if rule not in rules]

    def clear(self) -> None:
        """Remove every rule and forget what pending effects were waiting for."""
        with self._engine.lock, self._lock:
            self._settle(force=True)
            self._rules.clear()
            self._hidden.clear()

    def load(self, specs: list[Any]) -> list[dict[str, Any]]:
        faults = [Fault.from_dict(spec) for spec in specs]
        return [rule.describe() for rule in self.add(*faults).rules]

    def describe(self) -> list[dict[str, Any]]:
        return [rule.describe() for rule in self.rules]

    # -- answering ----------------------------------------------------------------------
    def __call__(self, request: Request, answer: Callable[[], Response]) -> Response:
        target = _Target(request.method.upper(), request.path.rstrip("/") or "/")
        applied: list[str] = request.environ.setdefault(ENVIRON_FAULTS, [])
        with self._engine.lock, self._lock:
            self._settle()
            hidden = self._hidden.pop(target.path, None) if target.method == "GET" else None
            if hidden is not None:
                applied.append("not_found_after_create")
                entity_id = target.path.rsplit("/", 1)[-1]
                return fault_response(404, msg.NOT_FOUND.format(kind=hidden, id=entity_id))
            delays = [r for r in self._candidates(target, "latency") if r.try_fire()]
        if delays:
            applied.extend("latency" for _ in delays)
            self._sleep(min(MAX_LATENCY, sum(r.fault.seconds or 0.0 for r in delays)))
        with self._engine.lock, self._lock:
            chosen = next((r for r in self._candidates(target, None) if r.try_fire()), None)
            if chosen is not None:
                applied.append(chosen.fault.kind)
                effect: _Effect = getattr(self, _EFFECTS[chosen.fault.kind])
                return effect(chosen, target, answer)
        return answer()

    def _candidates(self, target: _Target, kind: str | None) -> Iterable[Rule]:
        """Rules of `kind` (None: every kind but latency) that match and may take effect."""
        for rule in list(self._rules):
            fault = rule.fault
            if (fault.kind == "latency") != (kind == "latency") or rule.exhausted:
                continue
            if fault.methods is not None and fault.methods != target.method:
                continue
            if not any(path_matches(p, target.path) for p in fault.paths):
                continue
            if fault.vm is not None and self._vm_of(target) != self._vm_id(fault.vm):
                continue
            if self._applies(fault, target):
                yield rule

    def _applies(self, fault: Fault, target: _Target) -> bool:
        """Whether the fault's effect is possible for this request right now."""
        state = self._engine.state
        if fault.kind == "freeze_fails":  # only a running guest is asked to freeze
            vm = state.vms.get(self._vm_of(target) or "")
            return vm is not None and vm.status is VmStatus.UP
        if fault.kind == "backup_fails_at":
            return self._vm_of(target) is not None
        if fault.kind == "checkpoint_invalid":
            return bool(self._checkpoints_to_invalidate(fault, target))
        if fault.kind in ("transfer_paused", "transfer_cancelled"):
            self._engine.tick()
            transfer = state.transfers.get(self._transfer_of(target) or "")
            return transfer is not None and transfer.phase is TransferPhase.TRANSFERRING
        return True

    # -- what a request is about ----------------------------------------------------------
    def _vm_id(self, name_or_id: str) -> str | None:
        state = self._engine.state
        if name_or_id in state.vms:
            return name_or_id
        return next((vm.id for vm in state.vms.values() if vm.name == name_or_id), None)

    def _vm_of(self, target: _Target) -> str | None:
        state = self._engine.state
        if match := _VM.match(target.path):
            return match.group(1) if match.group(1) in state.vms else None
        disk_id = None
        if match := _DISK.match(target.path):
            disk_id = match.group(1)
        elif transfer_id := self._transfer_of(target):
            disk_id = state.transfers[transfer_id].disk_id
        vm = state.vm_of_disk(disk_id) if disk_id else None
        return vm.id if vm else None

    def _transfer_of(self, target: _Target) -> str | None:
        state = self._engine.state
        if match := _TRANSFER.match(target.path):
            return match.group(1) if match.group(1) in state.transfers else None
        if match := _TICKET.match(target.path):
            ticket = match.group(1)
            transfer = state.transfer_by_ticket(ticket)
            return transfer.id if transfer else None
        return None

    def _checkpoints_to_invalidate(self, fault: Fault, target: _Target) -> list[str]:
        vm_id = self._vm_of(target)
        if vm_id is None:
            return []
        chain = self._engine.state.chain(vm_id)
        return [c.id for c in chain if c.state != "invalid" and fault.checkpoint in (None, c.id)]

    def _settle(self, *, force: bool = False) -> None:
        """Put back freeze flags whose backup has frozen (or is gone, or the engine reset)."""
        state = self._engine.state
        keep = []
        for item in self._freezes:
            backup = state.backups.get(item.backup_id)
            frozen = backup is None or backup.phase not in (
                BackupPhase.INITIALIZING,
                BackupPhase.STARTING,
            )
            if item.state is not state:
                continue
            if force or frozen:
                vm = state.vms.get(item.vm_id)
                if vm is not None:
                    vm.guest.freeze_fails = item.original
            else:
                keep.append(item)
        self._freezes = keep

    # -- effects: each answers a request its rule fired on, under the engine lock ---------
    def _http_error(self, rule: Rule, target: _Target, answer: _Answer) -> Response:
        fault = rule.fault
        if fault.handled:
            _swallow(answer)
        status = fault.status or 500
        detail = fault.detail or INJECTED_ERROR.format(status=status)
        if target.imageio:  # imageio speaks text/plain, as in web/imageio.py
            return Response(detail + "\n", status, content_type="text/plain; charset=UTF-8")
        return fault_response(status, detail)

    def _drop(self, rule: Rule, target: _Target, answer: _Answer) -> Response:
        if rule.fault.handled:
            _swallow(answer)
        raise DropConnection(rule.fault.kind)

    def _freeze(self, rule: Rule, target: _Target, answer: _Answer) -> Response:
        state = self._engine.state
        vm = state.vms[self._vm_of(target) or ""]
        original = vm.guest.freeze_fails
        vm.guest.freeze_fails = True
        backup_id = None
        try:
            response = answer()
            backup_id = _created(response)
        finally:
            if backup_id is None:
                vm.guest.freeze_fails = original
                rule.refund()
            else:  # a live backup freezes later, when it leaves `starting`
                self._freezes.append(_FreezeRestore(state, vm.id, backup_id, original))
        return response

    def _backup_fails(self, rule: Rule, target: _Target, answer: _Answer) -> Response:
        state = self._engine.state
        original = state.policy
        failing = original.failing_at(rule.fault.phase)
        pinned = [e for e in state.unfinished() if e.policy is None]
        for entity in pinned:  # only the new backup may follow the failing policy
            entity.policy = original
        state.policy = failing
        backup_id = None
        try:
            response = answer()
            backup_id = _created(response)
        finally:
            state.policy = original
            for entity in pinned:
                entity.policy = None
        backup = state.backups.get(backup_id or "")
        if backup is None:
            rule.refund()
        elif backup.policy is None:
            backup.policy = failing
        return response

    def _invalidate(self, rule: Rule, target: _Target, answer: _Answer) -> Response:
        vm_id = self._vm_of(target) or ""
        for checkpoint_id in self._checkpoints_to_invalidate(rule.fault, target):
            self._engine.invalidate_checkpoints(vm_id, checkpoint_id)
        return answer()

    def _hide(self, rule: Rule, target: _Target, answer: _Answer) -> Response:
        response = answer()
        if _created(response) is None:
            rule.refund()
        else:
            path = urlsplit(response.headers["Location"]).path.rstrip("/")
            self._hidden[path] = "backup" if "/backups/" in path else "image transfer"
        return response

    def _pause(self, rule: Rule, target: _Target, answer: _Answer) -> Response:
        self._engine.system_transfer_event(self._transfer_of(target) or "", "system_pause")
        return answer()

    def _cancel(self, rule: Rule, target: _Target, answer: _Answer) -> Response:
        self._engine.system_transfer_event(self._transfer_of(target) or "", "system_cancel")
        return answer()


_Answer = Callable[[], Response]
_Effect = Callable[[Rule, _Target, _Answer], Response]
_EFFECTS = {
    "freeze_fails": "_freeze",
    "backup_fails_at": "_backup_fails",
    "checkpoint_invalid": "_invalidate",
    "not_found_after_create": "_hide",
    "transfer_paused": "_pause",
    "transfer_cancelled": "_cancel",
    "http_error": "_http_error",
    "drop_connection": "_drop",
}


def _created(response: Response) -> str | None:
    """The id of what a 201 answer created, from its `Location`."""
    location = response.headers.get("Location")
    if response.status_code != 201 or not location:
        return None
    return urlsplit(location).path.rstrip("/").rsplit("/", 1)[-1]


def _swallow(answer: _Answer) -> None:
    """Let the engine act, and lose its answer."""
    with suppress(EngineError):
        answer().close()
