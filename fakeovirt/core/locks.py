"""The engine's in-memory locks, as the running work of a `State` holds them.

Rules of this file (ovirt-engine `CommandBase.acquireLockInternal`, `InMemoryLockManager`):
- locks are not stored: who holds what is read off the unfinished work (backups, snapshots
  being taken, transfers, disk operations), so a lock can never outlive its holder;
- a command asks for exclusive and shared locks on VMs and disks before it validates; an
  exclusive request conflicts with any holder, a shared one with an exclusive holder;
- a conflict refuses with the *holder's* registered message, worded with the *requester's*
  action and type (`LockMessage`, `extractVariableDeclarations`).
Holders (scope = the whole command unless noted):
- a `use_active` (legacy) backup: the VM exclusively (VM_IS_DURING_BACKUP) and each of its
  disks (DISK_IS_LOCKED) (`StartVmBackupCommand.getExclusiveLocks`);
- a snapshot-path (hybrid) backup: every image disk of the VM (DISK_IS_LOCKED), no VM lock
  (`HybridBackupCommand.getExclusiveLocks`);
- a snapshot being taken: the VM exclusively (SNAPSHOT_IS_BEING_TAKEN_FOR_VM)
  (`CreateSnapshotForVmCommand.getExclusiveLocks`);
- a plain image transfer: its disk, shared for a download, exclusive for an upload
  (DISK_IS_BEING_TRANSFERRED) (`TransferDiskImageCommand.getSharedLocks/getExclusiveLocks`);
- a disk being updated (extended): the disk exclusively (DISKS_LOCKED) and its VM shared
  (VM_IS_LOCKED) (`UpdateDiskCommand`, scope Command).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from . import messages as msg
from .model import Disk, ImageTransfer
from .phases import BackupPath
from .state import State
from .translate import Command, Message, Refused, refuse

__all__ = ["Held", "disk_holders", "require", "vm_holders"]


@dataclass(frozen=True)
class Held:
    """One lock a running piece of work holds: its message and the message's values."""

    exclusive: bool
    message: Message
    values: dict[str, str] = field(default_factory=dict)


def vm_holders(state: State, vm_id: str) -> Iterator[Held]:
    """The locks held on VM `vm_id`."""
    vm = state.vms.get(vm_id)
    backup = state.unfinished_backup(vm_id)
    if backup is not None and backup.path is not BackupPath.SNAPSHOT:
        yield Held(True, msg.VM_IS_DURING_BACKUP)
    for snapshot in state.vm_snapshots(vm_id):
        if snapshot.type == "regular" and snapshot.status == "locked":
            yield Held(True, msg.SNAPSHOT_IS_BEING_TAKEN_FOR_VM, {"VmName": vm.name if vm else ""})
    for disk in state.vm_disks(vm) if vm else ():
        if disk.work is not None and disk.work.kind == "update":
            yield Held(False, msg.VM_IS_LOCKED)


def disk_holders(state: State, disk: Disk) -> Iterator[Held]:
    """The locks held on `disk`."""
    vm = state.vm_of_disk(disk.id)
    backup = state.unfinished_backup(vm.id) if vm is not None else None
    if backup is not None:
        hybrid = backup.path is BackupPath.SNAPSHOT
        if (hybrid and not disk.shareable) or disk.id in backup.disk_ids:
            yield Held(True, msg.DISK_IS_LOCKED)
    for work in state.unfinished():  # what runs, never the history
        if isinstance(work, ImageTransfer) and work.disk_id == disk.id and not work.backup_id:
            exclusive = work.direction == "upload"
            yield Held(exclusive, msg.DISK_IS_BEING_TRANSFERRED, {"DiskName": disk.alias})
    if disk.work is not None and disk.work.kind == "update":
        yield Held(True, msg.DISKS_LOCKED)


def require(
    state: State,
    command: Command,
    *,
    exclusive_vms: Iterable[str] = (),
    shared_vms: Iterable[str] = (),
    exclusive_disks: Iterable[Disk] = (),
    shared_disks: Iterable[Disk] = (),
) -> None:
    """Refuse as the engine does when any of these locks is taken; change nothing."""
    wanted: list[tuple[bool, list[Held]]] = []
    for vm_id in exclusive_vms:
        wanted.append((True, list(vm_holders(state, vm_id))))
    for disk in exclusive_disks:
        wanted.append((True, list(disk_holders(state, disk))))
    for vm_id in shared_vms:
        wanted.append((False, list(vm_holders(state, vm_id))))
    for disk in shared_disks:
        wanted.append((False, list(disk_holders(state, disk))))
    for exclusive, holders in wanted:
        for held in holders:
            if exclusive or held.exclusive:
                raise _conflict(command, held)


def _conflict(command: Command, held: Held) -> Refused:
    return refuse(command, held.message, **held.values)
