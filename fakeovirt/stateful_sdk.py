"""Ready clients for the backup contract of `fakeovirt.stateful`.

- `SdkBackupMachine`: the API contract driven by the real `ovirtsdk4` over the fake's HTTPS,
  backups and checkpoints, and snapshots as `examples/vm_backup.py` takes and removes them.
- `ImageioBackupMachine`: that, plus the data contract driven the way the SDK's
  `examples/backup_vm.py` does it: each disk downloaded by `ovirt_imageio.client` to qcow2,
  a full backup standalone, an incremental one with the file of its `from_checkpoint_id` as
  backing file (a qcow2 chain), files named `N.<to_checkpoint>.<disk>.<mode>.qcow2`. Restoring
  is reading the top of the chain. Disk snapshots are downloaded by an image transfer of the
  snapshot's volume (`download_disk_snapshot.py`), and a restore into a new disk adds the disk
  and uploads the image as `upload_disk.py` does. Start your own tool's contract test from it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .stateful import ApiFault, BackupApiMachine, BackupInfo, CheckpointInfo, SnapshotInfo

__all__ = ["ImageioBackupMachine", "SdkBackupMachine"]

MAX_POLLS = 50


def _close(connection: Any) -> None:
    connection.close()


class SdkBackupMachine(BackupApiMachine):
    """The contract driven through the real `ovirtsdk4` over the fake's HTTPS socket."""

    def connect(self) -> None:
        # One SDK connection (one SSO login) for a whole `run`, as a backup tool keeps its
        # connection from one backup to the next: the fake's reset keeps tokens. A machine
        # built without `run` opens and closes its own per example (docs/contract.md).
        import ovirtsdk4

        self._sdk = ovirtsdk4
        shared = self._run_shared("ovirtsdk4.Connection", self._open_connection, _close)
        self._own_connection = shared is None
        self.connection = shared if shared is not None else self._open_connection()

    def _open_connection(self) -> Any:
        return self._sdk.Connection(**self.fake.connection_kwargs())

    def disconnect(self) -> None:
        if self._own_connection:
            self.connection.close()

    def _vm(self, vm_id: str) -> Any:
        return self.connection.system_service().vms_service().vm_service(vm_id)

    def _sdk_call(self, call: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return call(*args, **kwargs)
        except self._sdk.Error as error:
            detail = error.fault.detail if error.fault is not None else str(error)
            raise ApiFault(error.code or 0, detail or "") from None

    @staticmethod
    def _info(backup: Any) -> BackupInfo:
        return BackupInfo(
            id=backup.id,
            phase=backup.phase.value if backup.phase is not None else "",
            from_checkpoint_id=backup.from_checkpoint_id,
            to_checkpoint_id=backup.to_checkpoint_id,
        )

    def start_backup(
        self,
        vm_id: str,
        disk_ids: Sequence[str],
        *,
        from_checkpoint_id: str | None,
        use_active: bool,
        require_consistency: bool,
    ) -> BackupInfo:
        types = self._sdk.types
        request = types.Backup(
            disks=[types.Disk(id=d) for d in disk_ids],
            from_checkpoint_id=from_checkpoint_id,
        )
        added = self._sdk_call(
            self._vm(vm_id).backups_service().add,
            request,
            use_active=use_active,
            require_consistency=require_consistency,
        )
        return self._info(added)

    def get_backup(self, vm_id: str, backup_id: str) -> BackupInfo:
        service = self._vm(vm_id).backups_service().backup_service(backup_id)
        return self._info(self._sdk_call(service.get))

    def finalize_backup(self, vm_id: str, backup_id: str) -> None:
        service = self._vm(vm_id).backups_service().backup_service(backup_id)
        self._sdk_call(service.finalize)

    def list_checkpoints(self, vm_id: str) -> list[CheckpointInfo]:
        listed = self._sdk_call(self._vm(vm_id).checkpoints_service().list)
        return [CheckpointInfo(c.id, c.parent_id) for c in listed]

    def remove_checkpoint(self, vm_id: str, checkpoint_id: str) -> None:
        service = self._vm(vm_id).checkpoints_service().checkpoint_service(checkpoint_id)
        self._sdk_call(service.remove)

    # -- snapshots, as examples/vm_backup.py --------------------------------------------------
    def _snapshots(self, vm_id: str) -> Any:
        return self._vm(vm_id).snapshots_service()

    @staticmethod
    def _snapshot_info(snapshot: Any) -> SnapshotInfo:
        status, kind = snapshot.snapshot_status, snapshot.snapshot_type
        return SnapshotInfo(
            id=snapshot.id,
            description=snapshot.description or "",
            status=status.value if status is not None else "",
            type=kind.value if kind is not None else "",
        )

    def take_snapshot(
        self, vm_id: str, description: str, disk_ids: Sequence[str] | None
    ) -> SnapshotInfo:
        types = self._sdk.types
        attachments = None
        if disk_ids is not None:
            attachments = [types.DiskAttachment(disk=types.Disk(id=d)) for d in disk_ids]
        request = types.Snapshot(
            description=description, persist_memorystate=False, disk_attachments=attachments
        )
        return self._snapshot_info(self._sdk_call(self._snapshots(vm_id).add, request))

    def get_snapshot(self, vm_id: str, snapshot_id: str) -> SnapshotInfo:
        service = self._snapshots(vm_id).snapshot_service(snapshot_id)
        return self._snapshot_info(self._sdk_call(service.get))

    def list_snapshots(self, vm_id: str) -> list[SnapshotInfo]:
        return [self._snapshot_info(s) for s in self._sdk_call(self._snapshots(vm_id).list)]

    def list_snapshot_disks(self, vm_id: str, snapshot_id: str) -> list[str]:
        service = self._snapshots(vm_id).snapshot_service(snapshot_id).disks_service()
        return [d.id for d in self._sdk_call(service.list)]

    def remove_snapshot(self, vm_id: str, snapshot_id: str) -> None:
        self._sdk_call(self._snapshots(vm_id).snapshot_service(snapshot_id).remove)


class ImageioBackupMachine(SdkBackupMachine):
    """The API and data contracts, with `ovirt_imageio.client` writing qcow2 chains.

    One difference from `backup_vm.py`: when the file of an incremental's checkpoint is
    missing (its backup was never downloaded), the disk is downloaded in full instead of as
    an incremental without a backing file, which could not be restored.
    """

    def connect(self) -> None:
        super().connect()
        from ovirt_imageio import client

        self._imageio = client
        self._files: dict[tuple[str, str], Path] = {}  # (backup, disk) -> top of its chain
        self._snapshot_files: dict[tuple[str, str], Path] = {}  # (snapshot, disk) -> qcow2

    def download_backup(
        self, vm_id: str, backup_id: str, disk_ids: Sequence[str]
    ) -> Mapping[str, str] | None:
        backup_service = self._vm(vm_id).backups_service().backup_service(backup_id)
        backup = self._sdk_call(backup_service.get)
        modes: dict[str, str] = {}
        for disk in self._sdk_call(backup_service.disks_service().list):
            mode = disk.backup_mode.value if disk.backup_mode is not None else "full"
            backing = None
            if mode == "incremental":
                backing = self._find_backing_file(backup.from_checkpoint_id, disk.id)
            name = f"{len(self._files):04d}.{backup.to_checkpoint_id}.{disk.id}.{mode}.qcow2"
            path = self.storage / name
            self._download_disk(backup_id, disk.id, path, backing)
            self._files[backup_id, disk.id] = path
            modes[disk.id] = mode
        return modes

    def restore_disk(self, vm_id: str, backup_id: str, disk_id: str) -> str | os.PathLike[str]:
        return self._files[backup_id, disk_id]

    def download_disk_snapshot(
        self, vm_id: str, snapshot_id: str, disk_id: str
    ) -> str | os.PathLike[str]:
        """As download_disk_snapshot.py: a transfer of the snapshot's volume (its `image_id`
        in the snapshot's disks), guest data (format raw) into a qcow2 file."""
        service = self._snapshots(vm_id).snapshot_service(snapshot_id).disks_service()
        (disk,) = [d for d in self._sdk_call(service.list) if d.id == disk_id]
        path = self.storage / f"snapshot.{snapshot_id}.{disk_id}.qcow2"
        types = self._sdk.types
        transfer = self._start_transfer(
            types.ImageTransfer(
                snapshot=types.DiskSnapshot(id=disk.image_id),
                direction=types.ImageTransferDirection.DOWNLOAD,
                format=types.DiskFormat.RAW,
                timeout_policy=types.ImageTransferTimeoutPolicy.CANCEL,
            )
        )
        try:
            self._imageio.download(
                transfer.transfer_url, str(path), self.fake.ca_file, proxy_url=transfer.proxy_url
            )
        finally:
            self._finalize_transfer(transfer)
        self._snapshot_files[snapshot_id, disk_id] = path
        return path

    def restore_to_new_disk(self, vm_id: str, point_id: str, disk_id: str) -> str:
        """As upload_disk.py: add a sparse qcow2 disk of the original's size on its storage
        domain, wait until it is ok, upload the image (guest data, format raw), finalize."""
        image = self._files.get((point_id, disk_id)) or self._snapshot_files[point_id, disk_id]
        types = self._sdk.types
        disks = self.connection.system_service().disks_service()
        original = self._sdk_call(disks.disk_service(disk_id).get)
        added = self._sdk_call(
            disks.add,
            types.Disk(
                name=f"{original.alias}-restored",
                format=types.DiskFormat.COW,
                sparse=True,
                provisioned_size=original.provisioned_size,
                storage_domains=[types.StorageDomain(id=original.storage_domains[0].id)],
            ),
        )
        service = disks.disk_service(added.id)
        for _ in range(MAX_POLLS):
            if self._sdk_call(service.get).status == types.DiskStatus.OK:
                break
        transfer = self._start_transfer(self._upload_request(added.id))
        try:
            self._upload(image, transfer)
        finally:
            self._finalize_transfer(transfer)
        return str(added.id)

    def _upload_request(self, disk_id: str) -> Any:
        types = self._sdk.types
        return types.ImageTransfer(
            disk=types.Disk(id=disk_id),
            direction=types.ImageTransferDirection.UPLOAD,
            format=types.DiskFormat.RAW,
            timeout_policy=types.ImageTransferTimeoutPolicy.CANCEL,
        )

    def _upload(self, image: Path, transfer: Any) -> None:
        self._imageio.upload(
            str(image), transfer.transfer_url, self.fake.ca_file or "", proxy_url=transfer.proxy_url
        )

    def _find_backing_file(self, checkpoint_id: str | None, disk_id: str) -> str | None:
        """As backup_vm.py: the file of the checkpoint's backup, relative to its folder."""
        matches = sorted(self.storage.glob(f"*.{checkpoint_id}.{disk_id}.*"))
        return os.path.relpath(matches[0], self.storage) if matches else None

    def _download_disk(self, backup_id: str, disk_id: str, path: Path, backing: str | None) -> None:
        transfer = self._create_transfer(backup_id, disk_id)
        try:
            self._imageio.download(
                transfer.transfer_url,
                str(path),
                self.fake.ca_file,
                incremental=backing is not None,
                proxy_url=transfer.proxy_url,
                backing_file=backing,
                backing_format="qcow2",
            )
        finally:
            self._finalize_transfer(transfer)

    def _transfers(self) -> Any:
        return self.connection.system_service().image_transfers_service()

    def _create_transfer(self, backup_id: str, disk_id: str) -> Any:
        types = self._sdk.types
        return self._start_transfer(
            types.ImageTransfer(
                disk=types.Disk(id=disk_id),
                backup=types.Backup(id=backup_id),
                direction=types.ImageTransferDirection.DOWNLOAD,
                format=types.DiskFormat.RAW,
                timeout_policy=types.ImageTransferTimeoutPolicy.CANCEL,
            )
        )

    def _start_transfer(self, request: Any) -> Any:
        """As examples/helpers/imagetransfer.py: add, then poll until transferring."""
        types = self._sdk.types
        transfer = self._sdk_call(self._transfers().add, request)
        service = self._transfers().image_transfer_service(transfer.id)
        for _ in range(MAX_POLLS):
            if transfer.phase == types.ImageTransferPhase.TRANSFERRING:
                return transfer
            if transfer.phase != types.ImageTransferPhase.INITIALIZING:
                service.cancel()
                raise RuntimeError(f"transfer {transfer.id} is {transfer.phase}")
            transfer = self._sdk_call(service.get)
        raise RuntimeError(f"transfer {transfer.id} never started transferring")

    def _finalize_transfer(self, transfer: Any) -> None:
        """As examples/helpers/imagetransfer.py: finalize, poll until finished."""
        phases = self._sdk.types.ImageTransferPhase
        service = self._transfers().image_transfer_service(transfer.id)
        self._sdk_call(service.finalize)
        for _ in range(MAX_POLLS):
            transfer = self._sdk_call(service.get)
            if transfer.phase == phases.FINISHED_SUCCESS:
                return
            if transfer.phase == phases.FINISHED_FAILURE:
                raise RuntimeError(f"transfer {transfer.id} failed")
        raise RuntimeError(f"transfer {transfer.id} never finished")
