"""Mutants of the API side: the real SDK machine with one bug each."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

from fakeovirt.stateful import ApiFault, BackupInfo, CheckpointInfo
from fakeovirt.stateful_sdk import SdkBackupMachine

__all__ = ["API_MUTANTS"]


class NewestFirst(SdkBackupMachine):
    """Chain order: lists checkpoints newest first."""

    def list_checkpoints(self, vm_id: str) -> list[CheckpointInfo]:
        return list(reversed(super().list_checkpoints(vm_id)))


class DropsTheNewestCheckpoint(SdkBackupMachine):
    """Off by one: slices the listing one short, losing the newest checkpoint."""

    def list_checkpoints(self, vm_id: str) -> list[CheckpointInfo]:
        return super().list_checkpoints(vm_id)[:-1]


class RemovesTheChild(SdkBackupMachine):
    """Wrong removal: finds the checkpoint in its listing and deletes the next one."""

    def remove_checkpoint(self, vm_id: str, checkpoint_id: str) -> None:
        ids = [c.id for c in super().list_checkpoints(vm_id)]
        if checkpoint_id in ids:
            checkpoint_id = ids[min(ids.index(checkpoint_id) + 1, len(ids) - 1)]
        super().remove_checkpoint(vm_id, checkpoint_id)


class SwallowsRemovalFaults(SdkBackupMachine):
    """Swallowed fault: a refused removal (409 during a backup, 404) passes as done."""

    def remove_checkpoint(self, vm_id: str, checkpoint_id: str) -> None:
        with contextlib.suppress(ApiFault):
            super().remove_checkpoint(vm_id, checkpoint_id)


class StalePhase(SdkBackupMachine):
    """Stale field: caches each backup's first reading and answers it ever after."""

    def connect(self) -> None:
        super().connect()
        self.cache: dict[str, BackupInfo] = {}

    def get_backup(self, vm_id: str, backup_id: str) -> BackupInfo:
        if backup_id not in self.cache:
            self.cache[backup_id] = super().get_backup(vm_id, backup_id)
        return self.cache[backup_id]


class LosesFromCheckpoint(SdkBackupMachine):
    """Missing field: reads from_checkpoint_id from the wrong element, so it is never set."""

    @staticmethod
    def _info(backup: object) -> BackupInfo:
        info = SdkBackupMachine._info(backup)
        return BackupInfo(info.id, info.phase, None, info.to_checkpoint_id)


class ReadyTooSoon(SdkBackupMachine):
    """Misread phase: takes starting for ready (an enum compared by prefix)."""

    def get_backup(self, vm_id: str, backup_id: str) -> BackupInfo:
        info = super().get_backup(vm_id, backup_id)
        if info.phase == "starting":
            return BackupInfo(info.id, "ready", info.from_checkpoint_id, info.to_checkpoint_id)
        return info


class IgnoresUseActive(SdkBackupMachine):
    """Ignored flag: never sends use_active, so every backup takes the snapshot path."""

    def start_backup(
        self,
        vm_id: str,
        disk_ids: Sequence[str],
        *,
        from_checkpoint_id: str | None,
        use_active: bool,
        require_consistency: bool,
    ) -> BackupInfo:
        return super().start_backup(
            vm_id,
            disk_ids,
            from_checkpoint_id=from_checkpoint_id,
            use_active=False,
            require_consistency=require_consistency,
        )


class IgnoresRequireConsistency(SdkBackupMachine):
    """Ignored flag: never sends require_consistency."""

    def start_backup(
        self,
        vm_id: str,
        disk_ids: Sequence[str],
        *,
        from_checkpoint_id: str | None,
        use_active: bool,
        require_consistency: bool,
    ) -> BackupInfo:
        return super().start_backup(
            vm_id,
            disk_ids,
            from_checkpoint_id=from_checkpoint_id,
            use_active=use_active,
            require_consistency=False,
        )


class IncrementalFromTheNewest(SdkBackupMachine):
    """Wrong checkpoint: always starts an incremental from the VM's newest checkpoint."""

    def start_backup(
        self,
        vm_id: str,
        disk_ids: Sequence[str],
        *,
        from_checkpoint_id: str | None,
        use_active: bool,
        require_consistency: bool,
    ) -> BackupInfo:
        if from_checkpoint_id is not None:
            listed = super().list_checkpoints(vm_id)
            from_checkpoint_id = listed[-1].id if listed else from_checkpoint_id
        return super().start_backup(
            vm_id,
            disk_ids,
            from_checkpoint_id=from_checkpoint_id,
            use_active=use_active,
            require_consistency=require_consistency,
        )


class InventsABackupOnConflict(SdkBackupMachine):
    """Swallowed fault: hides the engine's 409 for a second backup behind a made-up one."""

    def start_backup(
        self,
        vm_id: str,
        disk_ids: Sequence[str],
        *,
        from_checkpoint_id: str | None,
        use_active: bool,
        require_consistency: bool,
    ) -> BackupInfo:
        try:
            return super().start_backup(
                vm_id,
                disk_ids,
                from_checkpoint_id=from_checkpoint_id,
                use_active=use_active,
                require_consistency=require_consistency,
            )
        except ApiFault as fault:
            if fault.status != 409:
                raise
            return BackupInfo("made-up", "initializing", from_checkpoint_id)


API_MUTANTS: dict[str, tuple[type[SdkBackupMachine], str]] = {
    cls.__name__: (cls, (cls.__doc__ or "").split(":")[0])
    for cls in (
        NewestFirst,
        DropsTheNewestCheckpoint,
        RemovesTheChild,
        SwallowsRemovalFaults,
        InventsABackupOnConflict,
        StalePhase,
        LosesFromCheckpoint,
        ReadyTooSoon,
        IgnoresUseActive,
        IgnoresRequireConsistency,
        IncrementalFromTheNewest,
    )
}
