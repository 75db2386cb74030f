"""A VM's disk attached to another VM as of one of its snapshots (the backup-appliance flow).

Rules of this file (oVirt/ovirt-engine 4.5.7):
- the disk is looked up as of the snapshot, `DiskHandler.loadDiskFromSnapshot:43-46` (the
  volume whose `vm_snapshot_id` is that snapshot, `getDiskSnapshotForVmSnapshot`): an unknown
  snapshot, or one without that disk, leaves no disk, and AttachDiskToVm answers
  `The specified disk does not exist.` (`AttachDiskToVmCommand.java:101-104`); the "Active VM"
  snapshot of the disk's own VM finds its active volume;
- the snapshot must then be regular and `ok` (`AttachDiskToVmCommand.java:114-119`,
  `SnapshotsValidator.isRegularSnapshot:122-128`, `isSnapshotStatusOK:137-141`, the status as
  the engine's enum names it);
- while a disk snapshot is attached to another VM, no snapshot of the disk's VM can be removed,
  nor the VM with its disks (`VmValidator.vmNotHavingDeviceSnapshotsAttachedToOtherVms:158-168`,
  `DiskImagesValidator.diskImagesSnapshotsNotAttachedToOtherVms:136-159`, called by
  `RemoveSnapshotCommand.java:403` and `RemoveVmCommand.java:313`).
"""

from __future__ import annotations

from dataclasses import dataclass

from . import messages as msg
from .model import Disk, Snapshot, Vm
from .state import State
from .translate import Command, refuse

__all__ = ["DiskAsOf", "attached_elsewhere", "check_snapshot", "disk_as_of"]


@dataclass(frozen=True)
class DiskAsOf:
    """A disk as a snapshot holds it: the snapshot and the volume that belongs to it."""

    disk: Disk
    snapshot: Snapshot
    image_id: str


def disk_as_of(state: State, disk: Disk, snapshot_id: str) -> DiskAsOf | None:
    """`getDiskSnapshotForVmSnapshot(disk, snapshot)`: None when the snapshot has no such disk."""
    snapshot = state.snapshots.get(snapshot_id)
    if snapshot is None:
        return None
    if snapshot.type == "active":
        owner = state.vm_of_disk(disk.id)
        if owner is None or owner.id != snapshot.vm_id:
            return None
        return DiskAsOf(disk, snapshot, disk.image_id)
    image_id = snapshot.images.get(disk.id)
    if image_id is None or image_id not in disk.volumes.image_ids:
        return None
    return DiskAsOf(disk, snapshot, image_id)


def check_snapshot(command: Command, snapshot: Snapshot) -> None:
    """`isRegularSnapshot`, then `isSnapshotStatusOK`."""
    if snapshot.type != "regular":
        raise refuse(command, msg.VM_SNAPSHOT_TYPE_NOT_REGULAR)
    if snapshot.status != "ok":
        raise refuse(command, msg.INVALID_SNAPSHOT_STATUS, SnapshotStatus=snapshot.status.upper())


def attached_elsewhere(state: State, vm: Vm) -> list[str]:
    """`Disk Alias ,Snapshot Description, VM attached to` for each snapshot of the VM's
    disks that another VM has attached (the engine's `%s ,%s, %s`)."""
    found = []
    for attachment in vm.attachments:
        disk = state.disks.get(attachment.disk_id)
        if disk is None or disk.shareable:
            continue
        for other in state.vms.values():
            for device in other.snapshot_attachments:
                if device.disk_id != disk.id or device.snapshot_id is None:
                    continue
                snapshot = state.snapshots.get(device.snapshot_id)
                description = snapshot.description if snapshot is not None else ""
                found.append(f"{disk.alias} ,{description}, {other.name}")
    return found
