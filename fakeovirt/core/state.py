"""What one engine holds: its inventory, its lifecycles, its clock, ids, log and schedule.

Command modules (`backups`, `checkpoints`, `transfers`) change a `State`; the
`Engine` facade in `engine.py` is what users call.

Rules of this file: backups, checkpoints and transfers come and go only through the `add_*`
and `remove_*` methods, which keep the indexes (per VM, by ticket, by backup, the checkpoint
chain, what is unfinished) in step with the stores; the stores are for reading. A lookup
costs what it returns, never the VM's or the engine's history.
"""

from __future__ import annotations

from collections.abc import Iterator
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
    Network,
    Snapshot,
    StorageDomain,
    Vm,
    VnicProfile,
)
from .policy import TransitionPolicy
from .profile import DOCUMENTED, Profile
from .retention import Retention
from .schedule import Schedule

__all__ = ["State"]

K = TypeVar("K")
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
    networks: dict[str, Network] = field(default_factory=dict)
    vnic_profiles: dict[str, VnicProfile] = field(default_factory=dict)
    next_mac: int = 1  # the MAC pool hands out 56:6f:…, in order (core/nics.py)
    custom_events: dict[tuple[str, int], int] = field(default_factory=dict)  # -> event index
    events: EventLog = field(default_factory=EventLog)
    schedule: Schedule = field(default_factory=Schedule)
    retention: Retention = field(default_factory=Retention)
    profile: Profile = DOCUMENTED  # for work that starts from now on (core/profile.py)
    # indexes, kept by the add_/remove_ methods
    _vm_backups: dict[str, dict[str, Backup]] = field(default_factory=dict, init=False, repr=False)
    _vm_chain: dict[str, dict[str, Checkpoint]] = field(
        default_factory=dict, init=False, repr=False
    )  # root first
    _child: dict[str, str] = field(default_factory=dict, init=False, repr=False)
    _vm_transfers: dict[str | None, dict[str, ImageTransfer]] = field(
        default_factory=dict, init=False, repr=False
    )
    _backup_transfers: dict[str, dict[str, ImageTransfer]] = field(
        default_factory=dict, init=False, repr=False
    )
    _transfer_vm: dict[str, str | None] = field(default_factory=dict, init=False, repr=False)
    _tickets: dict[str, ImageTransfer] = field(default_factory=dict, init=False, repr=False)
    _unfinished: dict[tuple[str, str], Backup | ImageTransfer] = field(
        default_factory=dict, init=False, repr=False
    )

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

    def floating_disks(self) -> list[Disk]:
        """The disks no VM holds (as a restore creates them before attaching), in order."""
        attached = {a.disk_id for vm in self.vms.values() for a in vm.attachments}
        return [disk for disk in self.disks.values() if disk.id not in attached]

    def vm_of_disk(self, disk_id: str) -> Vm | None:
        return next((vm for vm in self.vms.values() if vm.attachment(disk_id)), None)

    def vm_snapshots(self, vm_id: str) -> list[Snapshot]:
        return [s for s in self.snapshots.values() if s.vm_id == vm_id]

    def vm_backups(self, vm_id: str) -> list[Backup]:
        """The VM's backups, oldest first."""
        return list(self.iter_vm_backups(vm_id))

    def iter_vm_backups(self, vm_id: str) -> Iterator[Backup]:
        """The VM's backups, oldest first (creation order), lazily."""
        return iter(self._vm_backups.get(vm_id, {}).values())

    def unfinished_backup(self, vm_id: str) -> Backup | None:
        """The VM's running backup: only the newest can be, as a backup starts only when
        none runs."""
        newest = next(reversed(self._vm_backups.get(vm_id, {}).values()), None)
        return newest if newest is not None and not newest.phase.finished else None

    def chain(self, vm_id: str) -> list[Checkpoint]:
        """The VM's checkpoints from the root to the newest (leaf)."""
        return list(self.iter_chain(vm_id))

    def iter_chain(self, vm_id: str) -> Iterator[Checkpoint]:
        """The VM's checkpoints from the root to the leaf, lazily."""
        return iter(self._vm_chain.get(vm_id, {}).values())

    def leaf_checkpoint(self, vm_id: str) -> Checkpoint | None:
        return next(reversed(self._vm_chain.get(vm_id, {}).values()), None)

    def vm_transfers(self, vm_id: str | None) -> list[ImageTransfer]:
        """Transfers of the disks of a VM (as attached when the transfer began), oldest first."""
        return list(self._vm_transfers.get(vm_id, {}).values())

    def backup_transfers(self, backup_id: str) -> list[ImageTransfer]:
        """The transfers that read a backup, oldest first."""
        return list(self._backup_transfers.get(backup_id, {}).values())

    def transfer_by_ticket(self, ticket_id: str) -> ImageTransfer | None:
        return self._tickets.get(ticket_id)

    def unfinished(self) -> list[Backup | ImageTransfer]:
        """Backups and transfers that have not finished: what a policy change may move."""
        return list(self._unfinished.values())

    def sizes(self) -> dict[str, int]:
        """How many of each thing the engine holds, indexes and schedule included: after
        finished work has passed its retention, these return to what a fresh engine holds."""
        return {
            "backups": len(self.backups),
            "checkpoints": len(self.checkpoints),
            "transfers": len(self.transfers),
            "jobs": len(self.jobs),
            "snapshots": len(self.snapshots),
            "events": len(self.events),
            "schedule": len(self.schedule),
            "schedule heap": self.schedule.heap_size,
            "unfinished": len(self._unfinished),
            "index vm backups": sum(map(len, self._vm_backups.values())),
            "index vm chain": sum(map(len, self._vm_chain.values())),
            "index children": len(self._child),
            "index vm transfers": sum(map(len, self._vm_transfers.values())),
            "index backup transfers": sum(map(len, self._backup_transfers.values())),
            "index transfer vms": len(self._transfer_vm),
            "index tickets": len(self._tickets),
        }

    # -- the only writers of backups, checkpoints, transfers --------------------------
    def add_backup(self, backup: Backup) -> None:
        self.backups[backup.id] = backup
        self._vm_backups.setdefault(backup.vm_id, {})[backup.id] = backup
        if not backup.phase.finished:
            self._unfinished["backup", backup.id] = backup

    def remove_backup(self, backup_id: str) -> None:
        backup = self.backups.pop(backup_id)
        _discard(self._vm_backups, backup.vm_id, backup_id)
        self._unfinished.pop(("backup", backup_id), None)
        self.schedule.at(("backup", backup_id), None)

    def add_checkpoint(self, checkpoint: Checkpoint) -> None:
        """A new leaf of the VM's chain: its parent is the current leaf."""
        self.checkpoints[checkpoint.id] = checkpoint
        self._vm_chain.setdefault(checkpoint.vm_id, {})[checkpoint.id] = checkpoint
        if checkpoint.parent_id is not None:
            self._child[checkpoint.parent_id] = checkpoint.id

    def remove_checkpoint(self, checkpoint_id: str) -> Checkpoint:
        """Remove a checkpoint and relink its child to its parent."""
        checkpoint = self.checkpoints.pop(checkpoint_id)
        _discard(self._vm_chain, checkpoint.vm_id, checkpoint_id)
        child_id = self._child.pop(checkpoint_id, None)
        if checkpoint.parent_id is not None:
            self._child.pop(checkpoint.parent_id, None)
        if child_id is not None:
            self.checkpoints[child_id].parent_id = checkpoint.parent_id
            if checkpoint.parent_id is not None:
                self._child[checkpoint.parent_id] = child_id
        return checkpoint

    def add_transfer(self, transfer: ImageTransfer, vm_id: str | None) -> None:
        self.transfers[transfer.id] = transfer
        self._tickets[transfer.ticket] = transfer
        self._transfer_vm[transfer.id] = vm_id
        self._vm_transfers.setdefault(vm_id, {})[transfer.id] = transfer
        if transfer.backup_id is not None:
            self._backup_transfers.setdefault(transfer.backup_id, {})[transfer.id] = transfer
        if not transfer.phase.finished:
            self._unfinished["transfer", transfer.id] = transfer

    def remove_transfer(self, transfer_id: str) -> None:
        transfer = self.transfers.pop(transfer_id)
        if self._tickets.get(transfer.ticket) is transfer:
            del self._tickets[transfer.ticket]
        _discard(self._vm_transfers, self._transfer_vm.pop(transfer_id, None), transfer_id)
        if transfer.backup_id is not None:
            _discard(self._backup_transfers, transfer.backup_id, transfer_id)
        self._unfinished.pop(("transfer", transfer_id), None)
        self.schedule.at(("transfer", transfer_id), None)

    def finished(self, entity: Backup | ImageTransfer) -> None:
        """A backup or transfer reached a final phase: no policy moves it any more."""
        kind = "backup" if isinstance(entity, Backup) else "transfer"
        self._unfinished.pop((kind, entity.id), None)

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


def _discard(index: dict[K, dict[str, V]], group: K, key: str) -> None:
    members = index.get(group)
    if members is not None:
        members.pop(key, None)
        if not members:
            del index[group]


def _get(store: dict[str, V], key: str, kind: str) -> V:
    try:
        return store[key]
    except KeyError:
        raise NotFound(messages.NOT_FOUND.format(kind=kind, id=key)) from None
