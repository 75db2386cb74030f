"""Mutants of the snapshot and upload paths: the ready SDK and imageio machines, one bug each."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fakeovirt import DiskSpec, Scenario, VmSpec
from fakeovirt.stateful import ApiFault, BackupApiMachine, SnapshotInfo
from fakeovirt.stateful_sdk import ImageioBackupMachine, SdkBackupMachine

__all__ = ["DOWN", "SNAPSHOT_MUTANTS"]

# One VM, down: the engine serves the active volume of its disk to any transfer, so a client
# that transfers the disk instead of the snapshot's volume gets the guest's later writes (on a
# running VM the engine refuses that transfer with a 409 instead).
DOWN = Scenario(
    name="down",
    vms=(VmSpec("vm-cold", "down", disks=(DiskSpec("vm-cold-disk1", seeded_blocks=4),)),),
)


class DoesNotWaitForOk(SdkBackupMachine):
    """Misread status: reads every snapshot as ok, so it never waits out locked and would
    download from a snapshot still being taken."""

    def take_snapshot(
        self, vm_id: str, description: str, disk_ids: Sequence[str] | None
    ) -> SnapshotInfo:
        info = super().take_snapshot(vm_id, description, disk_ids)
        return SnapshotInfo(info.id, info.description, "ok", info.type)

    def get_snapshot(self, vm_id: str, snapshot_id: str) -> SnapshotInfo:
        info = super().get_snapshot(vm_id, snapshot_id)
        return SnapshotInfo(info.id, info.description, "ok", info.type)


class NeverRemovesTheSnapshot(SdkBackupMachine):
    """Leftover snapshot: its cleanup is a no-op, so every backup leaves a snapshot behind."""

    def remove_snapshot(self, vm_id: str, snapshot_id: str) -> None:
        pass


class SnapshotsEveryDisk(SdkBackupMachine):
    """Ignored disk subset: never sends disk_attachments, so the snapshot takes every disk."""

    def take_snapshot(
        self, vm_id: str, description: str, disk_ids: Sequence[str] | None
    ) -> SnapshotInfo:
        return super().take_snapshot(vm_id, description, None)


class InventsASnapshotOnRefusal(SdkBackupMachine):
    """Swallowed fault: hides a refused snapshot behind a made-up one."""

    def take_snapshot(
        self, vm_id: str, description: str, disk_ids: Sequence[str] | None
    ) -> SnapshotInfo:
        try:
            return super().take_snapshot(vm_id, description, disk_ids)
        except ApiFault:
            return SnapshotInfo("made-up", description, "ok")


class ReadsTheActiveVolume(ImageioBackupMachine):
    """Wrong volume: transfers the disk (its active volume) instead of the snapshot's volume,
    so the download holds the guest's later writes."""

    def download_disk_snapshot(
        self, vm_id: str, snapshot_id: str, disk_id: str
    ) -> str | os.PathLike[str]:
        types = self._sdk.types
        path = self.storage / f"snapshot.{snapshot_id}.{disk_id}.qcow2"
        transfer = self._start_transfer(
            types.ImageTransfer(
                disk=types.Disk(id=disk_id),
                direction=types.ImageTransferDirection.DOWNLOAD,
                format=types.DiskFormat.RAW,
            )
        )
        try:
            self._imageio.download(transfer.transfer_url, str(path), self.fake.ca_file)
        finally:
            self._finalize_transfer(transfer)
        self._snapshot_files[snapshot_id, disk_id] = path
        return path


class UploadsRawIntoCow(ImageioBackupMachine):
    """Wrong upload format: leaves out format=raw, so the FILE backend takes the guest's raw
    bytes as the qcow2 volume itself."""

    def _upload_request(self, disk_id: str) -> Any:
        request = super()._upload_request(disk_id)
        request.format = None
        return request


class LeavesTheUploadOpen(ImageioBackupMachine):
    """Upload left open: uploads the bytes and never finalizes the transfer."""

    def connect(self) -> None:
        super().connect()
        self.uploads: set[str] = set()

    def _upload(self, image: Path, transfer: Any) -> None:
        super()._upload(image, transfer)
        self.uploads.add(transfer.id)

    def _finalize_transfer(self, transfer: Any) -> None:
        if transfer.id not in self.uploads:
            super()._finalize_transfer(transfer)


SNAPSHOT_MUTANTS: dict[str, tuple[type[BackupApiMachine], str]] = {
    cls.__name__: (cls, (cls.__doc__ or "").split(":")[0])
    for cls in (
        DoesNotWaitForOk,
        NeverRemovesTheSnapshot,
        SnapshotsEveryDisk,
        InventsASnapshotOnRefusal,
        ReadsTheActiveVolume,
        UploadsRawIntoCow,
        LeavesTheUploadOpen,
    )
}
