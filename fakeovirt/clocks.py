"""Clocks for the engine: the manual one for tests, the system one for demos."""

from __future__ import annotations

from datetime import UTC, datetime

from .core.clock import Clock, ManualClock

__all__ = ["Clock", "ManualClock", "SystemClock"]


class SystemClock:
    """Wall-clock UTC time; phases then move in real seconds."""

    def now(self) -> datetime:
        return datetime.now(UTC)
