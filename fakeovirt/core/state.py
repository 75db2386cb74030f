"""What one engine holds: its inventory, its lifecycles, its clock, ids and log.

Command modules (`backups`, `checkpoints`, `transfers`) change a `State`; the
`Engine` facade in `engine.py` is what users call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from . import messages
from .clock import Clock
from .errors import NotFound
from .events import EventLog
from .ids import IdSource
from .model import (
    Backup,
    Checkpoint,
    Cluster,
    DataCenter,
    Disk,
    Event,
    Host,
    ImageTransfer,
    Job,
    Snapshot,
    StorageDomain,
    Vm,
)
from .policy import TransitionPolicy

__all__ = ["State"]

V = TypeVar("V")


@dataclass
class State:
    clock: Clock
    ids: IdSource
    policy: TransitionPolicy
    data_centers: dict[str, DataCenter] = field(default_factory=dict)
    clusters: dict[str, Cluster] = field(default_factory=dict)
    hosts: dict[str, Host] = field(default_factory=dict)
    storage_domains: dict[str, StorageDomain] = field(default_factory=dict)
    vms: dict[str, Vm] = field(default_factory=dict)
    disks: dict[str, Disk] = field(default_factory=dict)
    snapshots: dict[str, Snapshot] = field(default_factory=dict)
    backups: dict[str, Backup] = field(default_factory=dict)
    checkpoints: dict[str, Checkpoint] = field(default_factory=dict)
    transfers: dict[str, ImageTransfer] = field(default_factory=dict)
    jobs: dict[str, Job] = field(default_factory=dict)
    events: EventLog = field(default_factory=EventLog)

    def now(self) -> datetime:
        return self.clock.now()

    # -- lookups that answer 404 ------------------------------------------------
    def vm(self, vm_id: str) -> Vm:
        return _get(self.vms, vm_id, "VM")

    def disk(self, disk_id: str) -> Disk:
        return _get(self.disks, disk_id, "disk")

    def host(self, host_id: str) -> Host:
        return _get(self.hosts, host_id, "host")

    def backup(self, vm_id: str, backup_id: str) -> Backup:
        backup = _get(self.backups, backup_id, "backup")
        if backup.vm_id != vm_id:
            raise NotFound(messages.NOT_FOUND.format(kind="backup", id=backup_id))
        return backup

    def checkpoint(self, vm_id: str, checkpoint_id: str) -> Checkpoint:
        checkpoint = _get(self.checkpoints, checkpoint_id, "checkpoint")
        if checkpoint.vm_id != vm_id:
            raise NotFound(messages.NOT_FOUND.format(kind="checkpoint", id=checkpoint_id))
        return checkpoint

    def transfer(self, transfer_id: str) -> ImageTransfer:
        return _get(self.transfers, transfer_id, "image transfer")

    # -- derived views --------------------------------------------------------------
    def vm_disks(self, vm: Vm) -> list[Disk]:
        return [self.disks[a.disk_id] for a in vm.attachments if a.disk_id in self.disks]

    def vm_of_disk(self, disk_id: str) -> Vm | None:
        return next((vm for vm in self.vms.values() if vm.attachment(disk_id)), None)

    def vm_snapshots(self, vm_id: str) -> list[Snapshot]:
        return [s for s in self.snapshots.values() if s.vm_id == vm_id]

    def vm_backups(self, vm_id: str) -> list[Backup]:
        return [b for b in self.backups.values() if b.vm_id == vm_id]

    def unfinished_backup(self, vm_id: str) -> Backup | None:
        return next((b for b in self.vm_backups(vm_id) if not b.phase.finished), None)

    def chain(self, vm_id: str) -> list[Checkpoint]:
        """The VM's checkpoints from the root to the newest (leaf)."""
        by_parent = {c.parent_id: c for c in self.checkpoints.values() if c.vm_id == vm_id}
        out: list[Checkpoint] = []
        node = by_parent.get(None)
        while node is not None and len(out) <= len(by_parent):
            out.append(node)
            node = by_parent.get(node.id)
        return out

    def leaf_checkpoint(self, vm_id: str) -> Checkpoint | None:
        chain = self.chain(vm_id)
        return chain[-1] if chain else None

    def log(
        self,
        kind: str,
        description: str,
        *,
        user: str | None = None,
        vm: Vm | None = None,
        subjects: tuple[str, ...] = (),
    ) -> Event:
        return self.events.add(
            kind,
            description,
            time=self.now(),
            user=user,
            vm_id=vm.id if vm else None,
            host_id=vm.host_id if vm else None,
            subjects=subjects,
        )


def _get(store: dict[str, V], key: str, kind: str) -> V:
    try:
        return store[key]
    except KeyError:
        raise NotFound(messages.NOT_FOUND.format(kind=kind, id=key)) from None
