"""The audit log: engine-coded events, newest first, searchable like the engine's."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .model import Event

__all__ = ["KINDS", "EventKind", "EventLog"]


@dataclass(frozen=True)
class EventKind:
    code: int
    severity: str


KINDS = {
    "backup_started": EventKind(10790, "normal"),
    "backup_failed": EventKind(10792, "error"),
    "backup_succeeded": EventKind(10793, "normal"),
    "backup_finalized": EventKind(10794, "normal"),
    "backup_failed_to_finalize": EventKind(10795, "error"),
    "backup_stopped": EventKind(10796, "normal"),
    "checkpoint_deleted": EventKind(10797, "normal"),
    "freeze_failed": EventKind(10764, "warning"),
    "snapshot_started": EventKind(45, "normal"),
    "snapshot_finished": EventKind(68, "normal"),
    "transfer_initiated": EventKind(1031, "normal"),
    "transfer_succeeded": EventKind(1032, "normal"),
    "transfer_cancelled": EventKind(1033, "normal"),
    "transfer_failed": EventKind(1034, "error"),
    "upload_paused_timeout": EventKind(1071, "error"),
    "download_canceled_timeout": EventKind(1072, "error"),
    "transfer_canceled_on_timeout": EventKind(1076, "error"),
    "transfer_paused_on_timeout": EventKind(1077, "warning"),
}


class EventLog:
    """Append-only list of events with strictly increasing indexes."""

    def __init__(self) -> None:
        self._events: list[Event] = []

    def add(
        self,
        kind: str,
        description: str,
        *,
        time: datetime,
        user: str | None = None,
        vm_id: str | None = None,
        host_id: str | None = None,
        subjects: tuple[str, ...] = (),
    ) -> Event:
        spec = KINDS[kind]
        event = Event(
            index=len(self._events) + 1,
            code=spec.code,
            severity=spec.severity,
            time=time,
            description=description,
            user=user,
            vm_id=vm_id,
            host_id=host_id,
            subjects=subjects,
        )
        self._events.append(event)
        return event

    def newest_first(self) -> list[Event]:
        return self._events[::-1]

    def get(self, index: int) -> Event | None:
        if 1 <= index <= len(self._events):
            return self._events[index - 1]
        return None

    def __len__(self) -> int:
        return len(self._events)
