"""The known trap of a `seconds:` policy on a manual clock: phases wait for time nobody moves.

A client that polls a backup until it is ready, against an engine whose phases last seconds
of a `ManualClock` that the test never advances, polls forever. `StallWatch` hears of every
exchange the journal records and warns once per reset (`StalledClockWarning`), the moment
one backup or image transfer has been read `THRESHOLD` times in a row at the same engine
time while its next step waits only for that clock. Pytest shows the warning with the test
(`-W error::fakeovirt.StalledClockWarning` makes it an error in the server's answer).

Rules of this file:
- only a wait the clock alone ends counts: a held phase, `ready` (waiting for finalize),
  `transferring` and a per-read or immediate policy never warn;
- the watch reads the engine under its lock and changes nothing; a reset (the journal's
  numbering starting again) starts it afresh.
"""

from __future__ import annotations

import re
import threading
import warnings
from contextlib import AbstractContextManager
from datetime import datetime

from .core import backups, transfers
from .core.clock import ManualClock
from .core.engine import Engine
from .core.model import Backup, ImageTransfer
from .core.phases import TRANSFER_TRANSITIONS, BackupPhase
from .web.journal import API_PREFIX, Exchange

__all__ = ["THRESHOLD", "StallWatch", "StalledClockWarning"]

THRESHOLD = 10  # reads of one entity at one engine time before the warning
_POLLED = re.compile(
    re.escape(API_PREFIX) + r"/(?:vms/[^/]+/backups|imagetransfers)/(?P<id>[^/]+)/?"
)


class StalledClockWarning(UserWarning):
    """A backup or transfer is polled again and again while its phase waits for a manual
    clock that nobody advances (a `seconds:` policy): call `fake.advance(seconds)`, use
    `clock="system"`, or a `reads:N` policy."""


class StallWatch:
    """Counts repeated reads of one entity at one engine time; warns once per reset."""

    def __init__(self, engine: Engine, lock: AbstractContextManager[object]) -> None:
        self._engine = engine
        self._lock = lock
        self._guard = threading.Lock()
        self._last: tuple[str, datetime, str] | None = None  # entity, engine time, phase
        self._count = 0
        self._index = 0  # the journal index last seen: lower means a reset
        self.warned = False

    def __call__(self, exchange: Exchange) -> None:
        self.heard(exchange.index, exchange.method, exchange.path, exchange.status)

    def heard(self, index: int, method: str, path: str, status: int) -> None:
        """An exchange the journal recorded, by its fields (`Journal.listen`)."""
        if method != "GET" or status != 200:
            return
        match = _POLLED.fullmatch(path)
        if match is None:
            return
        with self._lock:
            waiting = self._waiting_on_clock(match.group("id"))
        with self._guard:
            if index < self._index:
                self._last, self._count, self.warned = None, 0, False
            self._index = index
            if waiting is None:
                self._last, self._count = None, 0
                return
            self._count = self._count + 1 if waiting == self._last else 1
            self._last = waiting
            if self._count < THRESHOLD or self.warned:
                return
            self.warned = True
        entity, _, phase = waiting
        warnings.warn(
            StalledClockWarning(
                f"{entity} was read {THRESHOLD} times in phase {phase} while the manual clock "
                f"stood still, and a seconds policy moves it only when that clock moves: "
                f"advance it (fake.advance(seconds), POST /fakeovirt/clock), or use "
                f'clock="system" or a reads:N policy'
            ),
            stacklevel=1,
        )

    def _waiting_on_clock(self, entity_id: str) -> tuple[str, datetime, str] | None:
        """(entity, now, phase) when the entity's next step waits only for a manual clock."""
        engine = self._engine
        if not isinstance(engine.clock, ManualClock):
            return None
        state = engine.state
        entity: Backup | ImageTransfer | None = state.backups.get(entity_id)
        if isinstance(entity, Backup):
            if entity.phase.finished or entity.phase is BackupPhase.READY:
                return None
            due = backups.next_due(state, entity)
            phase, name = entity.phase.rest, f"backup {entity.id}"
        else:
            entity = state.transfers.get(entity_id)
            if entity is None or (entity.phase, "advance") not in TRANSFER_TRANSITIONS:
                return None
            due = entity.progress.due_at(transfers.policy_of(state, entity), entity.phase.value)
            phase, name = entity.phase.value, f"image transfer {entity.id}"
        if due is None:  # a read, a release or the client moves it
            return None
        now = state.now()
        if due <= now:  # it is due
            return None
        return name, now, phase
