"""Ready clients for the backup contract of `fakeovirt.stateful`.

- `SdkBackupMachine`: the API contract driven by the real `ovirtsdk4` over the fake's HTTPS.
- `ImageioBackupMachine`: that, plus the data contract driven the way the SDK's
  `examples/backup_vm.py` does it: each disk downloaded by `ovirt_imageio.client` to qcow2,
  a full backup standalone, an incremental one with the file of its `from_checkpoint_id` as
  backing file (a qcow2 chain), files named `N.<to_checkpoint>.<disk>.<mode>.qcow2`. Restoring
  is reading the top of the chain. Start your own tool's contract test from it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .stateful import ApiFault, BackupApiMachine, BackupInfo, CheckpointInfo

__all__ = ["ImageioBackupMachine", "SdkBackupMachine"]

MAX_POLLS = 50


class SdkBackupMachine(BackupApiMachine):
    """The contract driven through the real `ovirtsdk4` over the fake's HTTPS socket."""

    def connect(self) -> None:
        import ovirtsdk4

        self._sdk = ovirtsdk4
        self.connection = ovirtsdk4.Connection(**self.fake.connection_kwargs())

    def disconnect(self) -> None:
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
        """As examples/helpers/imagetransfer.py: add, then poll until transferring."""
        types = self._sdk.types
        transfer = self._sdk_call(
            self._transfers().add,
            types.ImageTransfer(
                disk=types.Disk(id=disk_id),
                backup=types.Backup(id=backup_id),
                direction=types.ImageTransferDirection.DOWNLOAD,
                format=types.DiskFormat.RAW,
                timeout_policy=types.ImageTransferTimeoutPolicy.CANCEL,
            ),
        )
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
