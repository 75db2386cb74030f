"""Disk snapshots: a disk's volumes as `/disks/{id}/disksnapshots` and
`/storagedomains/{id}/disksnapshots` list them.

Rules of this file (oVirt/ovirt-engine `BLL/storage/disk/GetAllDiskSnapshotsQuery.java`,
`BLL/snapshots/GetAllDiskSnapshotsByStorageDomainIdQuery.java`,
`BLL/snapshots/GetDiskSnapshotByImageIdQuery.java`):
- a disk snapshot is one volume of a disk, named by its image id; its VM snapshot is the one
  that froze it ("Active VM" for the active volume of an attached disk);
- active volumes are listed only with ``include_active=true`` (4.4.3 on; the engine's
  default keeps them out for backward compatibility);
- a storage domain lists only volumes whose VM snapshot exists, so a floating disk's volumes
  are not there; ``include_template`` adds template images, which fakeovirt does not model;
- a listing never fails: an unknown disk or domain has no disk snapshots.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from .content import BLOCK_SIZE
from .model import Disk, Snapshot
from .snapshots import owner
from .state import State

__all__ = ["DiskSnapshot", "find", "of_disk", "of_domain", "volume"]


@dataclass(frozen=True)
class DiskSnapshot:
    """One volume of a disk, as a disk snapshot shows it."""

    disk: Disk
    image_id: str
    parent_id: str | None
    active: bool
    snapshot: Snapshot | None  # the VM snapshot the volume belongs to
    format: str  # raw or cow
    status: str  # ok, locked or illegal
    actual_size: int  # bytes the volume itself holds


def volume(state: State, disk: Disk, image_id: str) -> DiskSnapshot:
    """The disk snapshot ``image_id`` of ``disk`` (KeyError when it is not in the chain)."""
    found = disk.volumes.volume(image_id)
    return DiskSnapshot(
        disk=disk,
        image_id=image_id,
        parent_id=found.parent_id,
        active=found.active,
        snapshot=owner(state, disk, image_id),
        format=disk.volume_format(image_id),
        status=disk.volume_state(image_id),
        actual_size=found.own.stored_blocks * BLOCK_SIZE,
    )


def _volumes(state: State, disk: Disk, include_active: bool) -> Iterator[DiskSnapshot]:
    for image_id in disk.volumes.image_ids:
        if include_active or image_id != disk.image_id:
            yield volume(state, disk, image_id)


def of_disk(state: State, disk_id: str, *, include_active: bool = False) -> list[DiskSnapshot]:
    """`GET /disks/{id}/disksnapshots`: the disk's volumes, base first."""
    disk = state.disks.get(disk_id)
    return [] if disk is None else list(_volumes(state, disk, include_active))


def of_domain(state: State, domain_id: str, *, include_active: bool = False) -> list[DiskSnapshot]:
    """`GET /storagedomains/{id}/disksnapshots`: the volumes on the domain that belong to a
    VM snapshot, disk by disk, base first."""
    return [
        found
        for disk in state.disks.values()
        if disk.storage_domain_id == domain_id
        for found in _volumes(state, disk, include_active)
        if found.snapshot is not None
    ]


def find(state: State, image_id: str) -> DiskSnapshot | None:
    """The disk snapshot with this image id, whatever its disk (`GetDiskIdBySnapshotId`)."""
    for disk in state.disks.values():
        if image_id in disk.volumes:
            return volume(state, disk, image_id)
    return None
