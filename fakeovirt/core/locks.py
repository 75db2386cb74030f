"""The engine's in-memory locks that fakeovirt models, read off what is running.

Rules of this file (`BLL/lock/InMemoryLockManager.java`, `BLL/CommandBase.java:819-825`):
- a command takes its locks before it validates; on a conflict it fails with the holder's
  registered message, worded with the requester's action and type
  (``Cannot remove Snapshot. Disk d1 is being transferred.``);
- an exclusive lock conflicts with any holder of the key, a shared lock only with an
  exclusive holder; shared keys are checked before exclusive ones, and a shared holder
  answers with every sharer's message;
- nothing is stored: the holders are derived from what runs, so a lock is released exactly
  when its command ends. Who holds what (key: kind, message key in `AppErrors.properties`):
  - a snapshot being created (`CreateSnapshotForVmCommand.java:803-819`, command scope):
    the VM, exclusive, SNAPSHOT_IS_BEING_TAKEN_FOR_VM;
  - an active-volume (legacy) backup (`StartVmBackupCommand.java:740-748`): the VM,
    exclusive, VM_IS_DURING_BACKUP; its disks, exclusive, DISK_IS_LOCKED;
  - a snapshot-path (hybrid) backup (`HybridBackupCommand.java:209-218`): every disk of the
    VM that can take a snapshot, exclusive, DISK_IS_LOCKED;
  - a transfer by `<snapshot id>` (`TransferDiskImageCommand.java:450-471`): the disk's VM,
    shared, DISK_IS_BEING_TRANSFERRED;
  - a download (an upload), not of a backup (`:465-491`): the disk, shared (exclusive),
    DISK_IS_BEING_TRANSFERRED.
  Removing a snapshot takes the VM lock only while it starts (`RemoveSnapshotCommand.java:
  166-167` frees it once the snapshot is locked), so a merge holds none.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from . import messages as msg
from .errors import Conflict
from .phases import BackupPath
from .state import State

__all__ = ["Key", "acquire", "disk_key", "holders", "vm_key"]

Key = tuple[str, str]  # ("VM" | "DISK", id)


def vm_key(vm_id: str) -> Key:
    return ("VM", vm_id)


def disk_key(disk_id: str) -> Key:
    return ("DISK", disk_id)


@dataclass(frozen=True)
class _Holder:
    exclusive: bool
    template: str  # a `messages.LOCK_*` text; {what} is the requester's "<action> <type>"
    name: str = ""  # the VM's or disk's name the text holds

    def text(self, what: str) -> str:
        return self.template.format(what=what, name=self.name)


def acquire(
    state: State,
    what: str,
    *,
    shared: Iterable[Key] = (),
    exclusive: Iterable[Key] = (),
) -> None:
    """Refuse with the holders' messages when the locks cannot be taken; take nothing.

    ``what`` is the requester's ``"<action> <type>"`` (``"remove Snapshot"``).
    """
    for key in shared:
        found = [h for h in holders(state, key) if h.exclusive]
        if found:
            raise Conflict(_join(found, what))
    for key in exclusive:
        found = list(holders(state, key))
        if found:
            raise Conflict(_join(found, what))


def _join(found: list[_Holder], what: str) -> str:
    texts = dict.fromkeys(h.text(what) for h in found)
    return ", ".join(texts)


def holders(state: State, key: Key) -> Iterator[_Holder]:
    """Who holds ``key`` now, exclusive holders first."""
    group, entity_id = key
    if group == "VM":
        yield from _vm_holders(state, entity_id)
    else:
        yield from _disk_holders(state, entity_id)


def _vm_holders(state: State, vm_id: str) -> Iterator[_Holder]:
    vm = state.vms.get(vm_id)
    name = vm.name if vm is not None else ""
    for snapshot in state.vm_snapshots(vm_id):
        if snapshot.status == "locked" and not snapshot.removing:
            yield _Holder(True, msg.LOCK_SNAPSHOT_BEING_TAKEN, name)
    backup = state.unfinished_backup(vm_id)
    if backup is not None and backup.path is not BackupPath.SNAPSHOT:
        yield _Holder(True, msg.LOCK_VM_DURING_BACKUP)
    for transfer in state.vm_transfers(vm_id):
        if transfer.image_id is None or transfer.backup_id is not None:
            continue
        if not transfer.phase.finished:
            disk = state.disks.get(transfer.disk_id)
            alias = disk.alias if disk is not None else ""
            yield _Holder(False, msg.LOCK_DISK_TRANSFERRED, alias)


def _disk_holders(state: State, disk_id: str) -> Iterator[_Holder]:
    vm = state.vm_of_disk(disk_id)
    if vm is not None:
        backup = state.unfinished_backup(vm.id)
        if backup is not None and (
            disk_id in backup.disk_ids
            if backup.path is not BackupPath.SNAPSHOT
            else _snapshot_capable(state, disk_id)
        ):
            yield _Holder(True, msg.LOCK_DISK_LOCKED)
    disk = state.disks.get(disk_id)
    alias = disk.alias if disk is not None else ""
    for transfer in state.vm_transfers(vm.id if vm is not None else None):
        if transfer.disk_id != disk_id or transfer.backup_id is not None:
            continue
        if not transfer.phase.finished:
            exclusive = transfer.direction == "upload"
            yield _Holder(exclusive, msg.LOCK_DISK_TRANSFERRED, alias)


def _snapshot_capable(state: State, disk_id: str) -> bool:
    """The disks a hybrid backup locks: the VM's image disks that are not shareable
    (`DisksFilter.ONLY_NOT_SHAREABLE, ONLY_SNAPABLE, ONLY_ACTIVE`)."""
    disk = state.disks.get(disk_id)
    return disk is not None and not disk.shareable
