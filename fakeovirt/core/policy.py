"""Transition policy: when the engine's own progress moves a backup or a transfer.

A policy is set per engine and may be overridden per backup. One of:
- `immediate()`: every automatic step happens at once;
- `after_reads(n)`: a phase is shown to `n` reads of the entity, then moves on the next read
  (only a read of that entity moves it: clock ticks and other requests do not);
- `after_seconds(t)`: a phase lasts `t` seconds of engine time (manual or system clock); a
  chain of timed phases keeps exact times however late the clock is read.
Any of them can also hold named phases until `Engine.release()` and fail at a named phase
(the automatic step out of that phase fails instead of advancing). Phase names are the ones
the REST API shows (`starting`, `finalizing`, `transferring`, ...); an unknown name is a
`ValueError`, so a typo never silently holds nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from .phases import BackupPhase, TransferPhase

__all__ = ["PHASE_NAMES", "Progress", "TransitionPolicy"]

MAX_READS = 1_000_000
MAX_SECONDS = 86_400.0  # a phase lasts at most a day; hold a phase to keep it longer
PHASE_NAMES = frozenset(p.rest for p in BackupPhase) | frozenset(p.value for p in TransferPhase)
_POLICY_KEYS = ("mode", "reads", "seconds", "hold", "fail_at")


@dataclass(frozen=True)
class TransitionPolicy:
    """When automatic phase changes happen."""

    reads: int | None = None
    seconds: float | None = None
    hold: frozenset[str] = frozenset()
    fail_at: str | None = None

    def __post_init__(self) -> None:
        if self.reads is not None and self.seconds is not None:
            raise ValueError("a policy counts reads or seconds, not both")
        if self.reads is not None:
            if isinstance(self.reads, bool) or not isinstance(self.reads, int):
                raise ValueError(f"reads must be an integer, got {self.reads!r}")
            if not 0 <= self.reads <= MAX_READS:
                raise ValueError(f"reads must be >= 0 and at most {MAX_READS}")
        if self.seconds is not None:
            if isinstance(self.seconds, bool) or not isinstance(self.seconds, int | float):
                raise ValueError(f"seconds must be a number, got {self.seconds!r}")
            if not 0 <= self.seconds <= MAX_SECONDS:  # also refuses NaN
                raise ValueError(f"seconds must be >= 0 and at most {MAX_SECONDS}")
        named = self.hold | ({self.fail_at} if self.fail_at is not None else set())
        unknown = sorted(named - PHASE_NAMES)
        if unknown:
            known = ", ".join(sorted(PHASE_NAMES))
            raise ValueError(f"unknown phase {', '.join(unknown)}: use one of {known}")

    @classmethod
    def immediate(cls) -> TransitionPolicy:
        return cls()

    @classmethod
    def after_reads(cls, reads: int = 1) -> TransitionPolicy:
        return cls(reads=reads)

    @classmethod
    def after_seconds(cls, seconds: float) -> TransitionPolicy:
        return cls(seconds=seconds)

    def holding(self, *phases: str) -> TransitionPolicy:
        """The same policy, also holding `phases` until released."""
        return replace(self, hold=self.hold | frozenset(phases))

    def failing_at(self, phase: str | None) -> TransitionPolicy:
        """The same policy, failing the automatic step out of `phase`."""
        return replace(self, fail_at=phase)

    @classmethod
    def parse(cls, text: str) -> TransitionPolicy:
        """`immediate`, `reads:N` or `seconds:T` (the CLI's and the plugin's spelling)."""
        mode, _, number = text.partition(":")
        try:
            if mode == "immediate" and not number:
                return cls.immediate()
            if mode == "reads":
                return cls.after_reads(int(number or 1))
            if mode == "seconds":
                return cls.after_seconds(float(number or 1))
        except ValueError:
            pass
        raise ValueError(f"invalid policy {text!r}: use immediate, reads:N or seconds:T")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TransitionPolicy:
        """Build from a scenario or control-plane mapping; every key and type is checked.

        `{"mode": "reads", "reads": 1}`, `{"mode": "seconds", "seconds": 2}`,
        `{"mode": "immediate"}`, each optionally with `"hold": [...]`, `"fail_at": "..."`.
        Without `mode`, a `reads` or `seconds` key says which.
        """
        if not isinstance(data, Mapping):
            raise ValueError(f"a policy is a mapping (a JSON object), got {data!r:.60}")
        unknown = sorted(repr(k) for k in data if k not in _POLICY_KEYS)
        if unknown:
            raise ValueError(f"unknown policy keys: {', '.join(unknown)}")
        counted = [k for k in ("reads", "seconds") if k in data]
        mode = data.get("mode", counted[0] if counted else "immediate")
        if mode not in ("immediate", "reads", "seconds"):
            raise ValueError(f"unknown policy mode {mode!r:.60}: use immediate, reads or seconds")
        if [k for k in counted if k != mode]:
            article = "an" if mode == "immediate" else "a"
            raise ValueError(f"{article} {mode} policy takes no {' or '.join(counted)}")
        if mode == "reads":
            policy = cls(reads=data.get("reads", 1))
        elif mode == "seconds":
            seconds = data.get("seconds", 1.0)
            policy = cls(seconds=float(seconds) if type(seconds) is int else seconds)
        else:
            policy = cls.immediate()
        hold = data.get("hold", [])
        if not isinstance(hold, list | tuple) or not all(isinstance(p, str) for p in hold):
            raise ValueError("hold must be a list of phase names")
        fail_at = data.get("fail_at")
        if fail_at is not None and not isinstance(fail_at, str):
            raise ValueError("fail_at must be a phase name")
        return policy.holding(*hold).failing_at(fail_at)

    def to_dict(self) -> dict[str, Any]:
        if self.reads is not None:
            out: dict[str, Any] = {"mode": "reads", "reads": self.reads}
        elif self.seconds is not None:
            out = {"mode": "seconds", "seconds": self.seconds}
        else:
            out = {"mode": "immediate"}
        out["hold"] = sorted(self.hold)
        out["fail_at"] = self.fail_at
        return out


@dataclass
class Progress:
    """Where one entity stands in its current phase: how long and how often seen."""

    since: datetime
    reads: int = 0
    released: set[str] = field(default_factory=set)

    def restart(self, since: datetime) -> None:
        self.since = since
        self.reads = 0

    def due(self, policy: TransitionPolicy, phase: str, now: datetime) -> bool:
        """Whether the automatic step out of `phase` may happen now."""
        if phase in policy.hold and phase not in self.released:
            return False
        if policy.reads is not None:
            return self.reads >= policy.reads
        due_at = self.due_at(policy, phase)
        return due_at is not None and due_at <= now

    def due_at(self, policy: TransitionPolicy, phase: str) -> datetime | None:
        """When the clock alone makes the step out of `phase` due (the engine's schedule);
        None when only a read or a release can (a per-read policy, a held phase)."""
        if policy.reads is not None or (phase in policy.hold and phase not in self.released):
            return None
        if policy.seconds is not None:
            return self.since + timedelta(seconds=policy.seconds)
        return self.since

    def next_since(
        self, policy: TransitionPolicy, now: datetime, phase: str | None = None
    ) -> datetime:
        """When the phase after `phase` starts: on time, not late, so timed chains stay exact.

        A held phase ends when it is released (`now`). Without `phase`, any hold in the policy
        counts as holding this one.
        """
        held = phase in policy.hold if phase is not None else bool(policy.hold)
        if policy.seconds is not None and not held:
            return min(now, self.since + timedelta(seconds=policy.seconds))
        return now
