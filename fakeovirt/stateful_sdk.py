"""`SdkBackupMachine`: the backup API contract of `fakeovirt.stateful`, driven by ovirtsdk4."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .stateful import ApiFault, BackupApiMachine, BackupInfo, CheckpointInfo

__all__ = ["SdkBackupMachine"]


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

    def _call(self, call: Any, *args: Any, **kwargs: Any) -> Any:
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
        added = self._call(
            self._vm(vm_id).backups_service().add,
            request,
            use_active=use_active,
            require_consistency=require_consistency,
        )
        return self._info(added)

    def get_backup(self, vm_id: str, backup_id: str) -> BackupInfo:
        service = self._vm(vm_id).backups_service().backup_service(backup_id)
        return self._info(self._call(service.get))

    def finalize_backup(self, vm_id: str, backup_id: str) -> None:
        service = self._vm(vm_id).backups_service().backup_service(backup_id)
        self._call(service.finalize)

    def list_checkpoints(self, vm_id: str) -> list[CheckpointInfo]:
        listed = self._call(self._vm(vm_id).checkpoints_service().list)
        return [CheckpointInfo(c.id, c.parent_id) for c in listed]

    def remove_checkpoint(self, vm_id: str, checkpoint_id: str) -> None:
        service = self._vm(vm_id).checkpoints_service().checkpoint_service(checkpoint_id)
        self._call(service.remove)
