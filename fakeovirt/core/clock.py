"""The engine's clock: every phase change and timestamp reads time from here.

The core never looks at wall time itself. Tests hand it a `ManualClock` and move
time with `advance()`; the CLI hands it a system clock (see `fakeovirt.clocks`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol

__all__ = ["EPOCH", "Clock", "ManualClock"]

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


class Clock(Protocol):
    """Anything with a `now()` that returns an aware UTC datetime."""

    def now(self) -> datetime: ...


class ManualClock:
    """A clock that only moves when told to; the default for tests."""

    def __init__(self, start: datetime = EPOCH) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> datetime:
        """Move time forward by `seconds` (never backwards) and return the new time."""
        if seconds < 0:
            raise ValueError("time only moves forward")
        self._now += timedelta(seconds=seconds)
        return self._now

    def set(self, when: datetime) -> None:
        """Jump to `when`, which must not be in the past."""
        if when < self._now:
            raise ValueError("time only moves forward")
        self._now = when
