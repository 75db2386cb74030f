"""The engine's in-memory locks, as the running work of a `State` holds them.

Rules of this file (`BLL/lock/InMemoryLockManager.java`, `BLL/CommandBase.java:819-825`):
- locks are not stored: who holds what is read off the unfinished work (backups, snapshots
  being taken, transfers, disk operations), so a lock is released exactly when its holder
  ends, and finding the holders never walks finished history;
- a command takes its locks before it validates; an exclusive request conflicts with any
  holder, a shared one only with an exclusive holder;
- a conflict refuses with the *holder's* registered message, worded with the *requester's*
  action and type (`LockMessage`, `extractVariableDeclarations`): ``Cannot remove Snapshot.
  Disk d1 is being transferred.``
Holders (scope = the whole command unless noted):
- a `use_active` (legacy) backup: the VM exclusively (VM_IS_DURING_BACKUP) and each of its
  disks (DISK_IS_LOCKED) (`StartVmBackupCommand.java:740-748`);
- a snapshot-path (hybrid) backup: every image disk of the VM that is not shareable
  (DISK_IS_LOCKED), no VM lock (`HybridBackupCommand.java:209-218`);
- a snapshot being taken (not one being merged away): the VM exclusively
  (SNAPSHOT_IS_BEING_TAKEN_FOR_VM) (`CreateSnapshotForVmCommand.java:803-819`); removing a
  snapshot takes the VM lock only while it starts (`RemoveSnapshotCommand.java:166-167`);
- an image transfer, not of a backup (`TransferDiskImageCommand.java:450-491`): its disk,
  shared for a download, exclusive for an upload; a transfer by `<snapshot id>` also the
  disk's VM, shared (DISK_IS_BEING_TRANSFERRED);
- a disk being updated (extended): the disk exclusively (DISKS_LOCKED) and its VM shared
  (VM_IS_LOCKED) (`UpdateDiskCommand`).
Two ways in: `require` for commands that name themselves with a `translate.Command` (the first
conflict answers), `acquire` for those that speak `"<action> <type>"` (a key's holders answer
together, comma-separated, as the engine joins a shared lock's messages).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from . import messages as msg
from .errors import Conflict
from .model import Disk, ImageTransfer
from .phases import BackupPath
from .state import State
from .translate import Command, Message, Refused, refuse, render_for

__all__ = [
    "Held",
    "Key",
    "acquire",
    "disk_holders",
    "disk_key",
    "require",
    "vm_holders",
    "vm_key",
]

Key = tuple[str, str]  # ("VM" | "DISK", id)


def vm_key(vm_id: str) -> Key:
    return ("VM", vm_id)


def disk_key(disk_id: str) -> Key:
    return ("DISK", disk_id)


@dataclass(frozen=True)
class Held:
    """One lock a running piece of work holds: its message and the message's values."""

    exclusive: bool
    message: Message
    values: dict[str, str] = field(default_factory=dict)


def vm_holders(state: State, vm_id: str) -> Iterator[Held]:
    """The locks held on VM `vm_id`, exclusive ones first."""
    vm = state.vms.get(vm_id)
    cloned = {  # a snapshot a clone keeps locked holds no lock (AddVmFromSnapshot's lockEntities)
        str(v.work.changes.get("snapshot"))
        for v in state.vms.values()
        if v.work and v.work.kind == "clone"
    }
    for snapshot in state.vm_snapshots(vm_id):
        if snapshot.id in cloned:
            continue
        if snapshot.type == "regular" and snapshot.status == "locked" and not snapshot.removing:
            yield Held(True, msg.SNAPSHOT_IS_BEING_TAKEN_FOR_VM, {"VmName": vm.name if vm else ""})
    backup = state.unfinished_backup(vm_id)
    if backup is not None and backup.path is not BackupPath.SNAPSHOT:
        yield Held(True, msg.VM_IS_DURING_BACKUP)
    for work in state.unfinished():  # what runs, never the history
        if isinstance(work, ImageTransfer) and work.image_id is not None and not work.backup_id:
            owner = state.vm_of_disk(work.disk_id)
            if owner is not None and owner.id == vm_id:
                disk = state.disks.get(work.disk_id)
                alias = disk.alias if disk is not None else ""
                yield Held(False, msg.DISK_IS_BEING_TRANSFERRED, {"DiskName": alias})
    for disk in state.vm_disks(vm) if vm else ():
        if disk.work is not None and disk.work.kind == "update":
            yield Held(False, msg.VM_IS_LOCKED)


def disk_holders(state: State, disk: Disk) -> Iterator[Held]:
    """The locks held on `disk`, exclusive ones first."""
    vm = state.vm_of_disk(disk.id)
    backup = state.unfinished_backup(vm.id) if vm is not None else None
    if backup is not None:
        hybrid = backup.path is BackupPath.SNAPSHOT
        if (hybrid and not disk.shareable) or disk.id in backup.disk_ids:
            yield Held(True, msg.DISK_IS_LOCKED)
    if disk.work is not None and disk.work.kind == "update":
        yield Held(True, msg.DISKS_LOCKED)  # the engine leaves ${diskAliases} unset
    for work in state.unfinished():
        if isinstance(work, ImageTransfer) and work.disk_id == disk.id and not work.backup_id:
            exclusive = work.direction == "upload"
            yield Held(exclusive, msg.DISK_IS_BEING_TRANSFERRED, {"DiskName": disk.alias})


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


def acquire(
    state: State,
    what: str,
    *,
    shared: Iterable[Key] = (),
    exclusive: Iterable[Key] = (),
) -> None:
    """Refuse with the holders' messages when the locks cannot be taken; take nothing.

    ``what`` is the requester's ``"<action> <type>"`` (``"remove Snapshot"``); shared keys
    are checked before exclusive ones.
    """
    for key in shared:
        found = [h for h in _holders(state, key) if h.exclusive]
        if found:
            raise Conflict(_join(what, found))
    for key in exclusive:
        found = list(_holders(state, key))
        if found:
            raise Conflict(_join(what, found))


def _holders(state: State, key: Key) -> Iterator[Held]:
    group, entity_id = key
    if group == "VM":
        yield from vm_holders(state, entity_id)
        return
    disk = state.disks.get(entity_id)
    if disk is not None:
        yield from disk_holders(state, disk)


def _join(what: str, found: list[Held]) -> str:
    texts = dict.fromkeys(render_for(what, h.message, **h.values) for h in found)
    return ", ".join(texts)


def _conflict(command: Command, held: Held) -> Refused:
    return refuse(command, held.message, **held.values)
