"""The audit log: engine-coded events, newest first, searchable like the engine's, aged out."""

from __future__ import annotations

from collections.abc import Iterator
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
    "snapshot_remove_started": EventKind(342, "normal"),  # USER_REMOVE_SNAPSHOT
    "snapshot_remove_finished": EventKind(356, "normal"),  # ..._FINISHED_SUCCESS
    "transfer_initiated": EventKind(1031, "normal"),
    "transfer_succeeded": EventKind(1032, "normal"),
    "transfer_cancelled": EventKind(1033, "normal"),
    "transfer_failed": EventKind(1034, "error"),
    "upload_paused_timeout": EventKind(1071, "error"),
    "download_canceled_timeout": EventKind(1072, "error"),
    "transfer_canceled_on_timeout": EventKind(1076, "error"),
    "transfer_paused_on_timeout": EventKind(1077, "warning"),
    # disks, attachments, VMs, NICs and custom events (AuditLogType.java)
    "disk_added": EventKind(2020, "normal"),
    "disk_added_finished": EventKind(2021, "normal"),
    "disk_added_to_vm": EventKind(78, "normal"),
    "disk_added_to_vm_finished": EventKind(97, "normal"),
    "disk_removed": EventKind(2014, "normal"),
    "disk_removed_of_vms": EventKind(2042, "normal"),
    "disk_attached": EventKind(2016, "normal"),
    "disk_detached": EventKind(2018, "normal"),
    "disk_plugged": EventKind(2000, "normal"),
    "disk_unplugged": EventKind(2002, "normal"),
    "vm_disk_updated": EventKind(88, "normal"),
    "disk_updated": EventKind(86, "normal"),
    "disk_extended": EventKind(371, "normal"),
    "vm_added": EventKind(34, "normal"),
    "vm_add_started": EventKind(37, "normal"),  # USER_ADD_VM_STARTED
    "vm_add_finished": EventKind(53, "normal"),  # USER_ADD_VM_FINISHED_SUCCESS
    "vm_removed": EventKind(113, "normal"),
    "vm_started": EventKind(153, "normal"),
    "vm_running": EventKind(32, "normal"),
    "vm_resumed": EventKind(40, "normal"),
    "vm_stopped": EventKind(33, "normal"),
    "vm_stopped_instead_of_shutdown": EventKind(76, "normal"),
    "vm_shutdown": EventKind(73, "normal"),
    "vm_down": EventKind(61, "normal"),
    "vm_already": EventKind(254, "normal"),
    "vm_imported": EventKind(174, "normal"),
    "vm_imported_attach_failed": EventKind(175, "warning"),
    "nic_added": EventKind(932, "normal"),
    "external_normal": EventKind(9801, "normal"),
    "external_warning": EventKind(9802, "warning"),
    "external_error": EventKind(9803, "error"),
    "external_alert": EventKind(9804, "alert"),
}


class EventLog:
    """The engine's events with strictly increasing indexes; the oldest leave first.

    Events leave by age (`drop_before`, the engine's daily cleanup) and, past `kept` events,
    one for each new one (fakeovirt's own bound); `dropped` counts both. Indexes never
    restart, so `from=N` still means "after event N".
    """

    def __init__(self, kept: int | None = None) -> None:
        self._events: list[Event] = []
        self._head = 0  # events before it have left; compacted away in batches
        self._next = 1
        self.kept = kept
        self.dropped = 0

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
            index=self._next,
            code=spec.code,
            severity=spec.severity,
            time=time,
            description=description,
            user=user,
            vm_id=vm_id,
            host_id=host_id,
            subjects=subjects,
        )
        self._next += 1
        self._events.append(event)
        if self.kept is not None and len(self) > self.kept:
            self._drop(len(self) - self.kept)
        return event

    def drop_before(self, cutoff: datetime) -> int:
        """Remove the events logged before `cutoff`, oldest first; return how many left."""
        count = 0
        events, head = self._events, self._head
        while head + count < len(events) and events[head + count].time < cutoff:
            count += 1
        self._drop(count)
        return count

    def newest_first(self) -> list[Event]:
        return self._events[: self._head - 1 if self._head else None : -1]

    def iter_newest_first(self, *, after: int | None = None) -> Iterator[Event]:
        """The events newest first, lazily; with `after`, only those whose index is greater."""
        events = self._events
        for position in range(len(events) - 1, self._head - 1, -1):
            event = events[position]
            if after is not None and event.index <= after:
                return
            yield event

    def get(self, index: int) -> Event | None:
        if not self._events or index < 1:
            return None
        position = index - self._events[0].index
        if self._head <= position < len(self._events):
            return self._events[position]
        return None

    def __len__(self) -> int:
        return len(self._events) - self._head

    def _drop(self, count: int) -> None:
        if count <= 0:
            return
        self._head += count
        self.dropped += count
        if self._head > 64 and self._head * 2 > len(self._events):
            del self._events[: self._head]
            self._head = 0
