"""Rule group: data. Guest writes, downloads of ready backups, restores checked byte for byte.

Active only for a client that implements `download_backup` and `restore_disk` (the guest's
writes also when it downloads disk snapshots: whenever the machine keeps its copy of the
disks).

Rules of this file:
- the machine keeps its own copy of every disk (`shadow`) and applies each guest write to it
  and to the fake; a backup's expected content is the shadow frozen when the backup started
  (both paths export that point in time);
- guest writes happen between backups and during them (after ready, before the download), as
  data or as whole zeroed blocks, at the disk's start and end, over data, or unaligned;
- a restore must read exactly as the disk did at its backup; the first differing extent is
  reported (`fakeovirt.images`).
"""

from __future__ import annotations

import os

from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from .base import ContractMachine
from .choices import disk_aliases, restorable_vms
from .guest import WHERE, GuestMachine
from .model import BackupModel, RestorePoint, VmModel

__all__ = ["DataRules"]


class DataRules(GuestMachine):
    """The data contract: what the client restores equals the disk at the backup."""

    @precondition(lambda self: self._keeps_shadow())
    @rule(
        disk=disk_aliases(),
        where=st.sampled_from(WHERE),
        blocks=st.integers(1, 2),
        zeros=st.booleans(),
    )
    def guest_write(self, disk: str, where: str, blocks: int, zeros: bool) -> None:
        """The guest writes `blocks` blocks of data (or zeros) to a disk."""
        self._guest_write(self.disk_by_alias[disk].id, where, blocks, zeros)

    @precondition(lambda self: self.has_data_path())
    @rule(backup=ContractMachine.backups)
    def download(self, backup: str) -> None:
        """Download a backup started by `start`, if it is ready and not downloaded yet."""
        model = self.backup_models[backup]
        if model.surely_ready() and not model.downloaded:
            self._download_backup(model)

    @precondition(lambda self: self.has_data_path() and bool(self.restorable_backups(None)))
    @rule(vm=restorable_vms(), which=st.sampled_from(["oldest", "middle", "latest"]))
    def restore(self, vm: str, which: str) -> None:
        """Restore an earlier backup of the VM and compare it with the disk back then."""
        done = self.restorable_backups(self.vm_by_name[vm].id)
        if done:
            pick = {"oldest": 0, "middle": len(done) // 2, "latest": -1}[which]
            self._verify_restore(done[pick])

    # -- hooks of the backup rounds ----------------------------------------------------------
    def _started(self, backup: BackupModel) -> None:
        if self.has_data_path():
            for disk_id in backup.disks:
                self.expected_content[backup.id, disk_id] = self.shadow[disk_id].freeze()

    def _after_ready(self, backup: BackupModel, *, write_during: bool) -> None:
        if not self.has_data_path():
            return
        if write_during:
            self._guest_write(backup.disks[0], "data", 1, False)
            self.example_stats.situations.add("guest write during a backup")
        self._download_backup(backup)

    def _after_success(self, backup: BackupModel) -> None:
        if self.has_data_path() and backup.downloaded:
            self._verify_restore(backup)

    def _between_backups(self, vm: VmModel, number: int) -> None:
        if self.has_data_path():
            for disk_id in vm.disks:
                self._guest_write(disk_id, "data", 1, False)
                self._guest_write(disk_id, "data", 1, True)

    # -- the bodies --------------------------------------------------------------------------
    def _download_backup(self, backup: BackupModel) -> None:
        vm = self.labels(backup.vm_id)
        name = self.labels(backup.id, "backup")
        text = f"download_backup({vm}, {name}, {self.labels.many(backup.disks)})"
        modes = self._client_call(
            text,
            lambda: self.download_backup(backup.vm_id, backup.id, list(backup.disks)),
            lambda found: (
                "ok"
                if found is None
                else ", ".join(f"{self.labels(d)}: {m}" for d, m in found.items())
            ),
        )
        backup.downloaded = True
        if modes is not None:
            self._expect(
                dict(modes) == backup.modes,
                lambda: (
                    f"{text} took the disks as {_modes(self, dict(modes))}; the engine "
                    f"serves them as {_modes(self, backup.modes)}"
                ),
            )
        left = [(t, p.value) for t, p in self._transfers_of(backup.id) if not p.finished]
        self._expect(
            not left,
            lambda: (
                f"{text} left image transfers {left} unfinished: finalize them and wait "
                "for finished_success before the backup is finalized"
            ),
        )

    def _verify_restore(self, backup: BackupModel) -> None:
        for disk_id in backup.disks:
            self._verify_disk(backup, disk_id)

    def _verify_disk(self, backup: BackupModel, disk_id: str) -> None:
        vm = self.labels(backup.vm_id)
        name = self.labels(backup.id, "backup")
        disk = self.labels(disk_id)
        text = f"restore_disk({vm}, {name}, {disk})"
        path = self._client_call(
            text, lambda: self.restore_disk(backup.vm_id, backup.id, disk_id), _image_kind
        )
        self._expect_image(
            text,
            path,
            self.expected_content[backup.id, disk_id],
            lambda difference: (
                f"{disk} restored from {name} ({self._kind(backup, disk_id)}) differs "
                f"from the disk at that backup: {difference}"
            ),
        )
        self.steps.add(f"  {disk} restored from {name} equals the disk at that backup")
        if backup.modes[disk_id] == "incremental":
            self.example_stats.situations.add("incremental restore verified")

    def _kind(self, backup: BackupModel, disk_id: str) -> str:
        if backup.modes[disk_id] == "full":
            return "a full backup"
        checkpoint = backup.from_checkpoint
        maker = next(
            (b.id for b in self.backup_models.values() if b.to_checkpoint == checkpoint), None
        )
        made = f", made by {self.labels(maker)}" if maker else ""
        return f"an incremental backup from {self.labels(checkpoint)}{made}"

    def _restore_points(self) -> list[RestorePoint]:
        points = super()._restore_points()
        return points + [("backup", b.id, b.vm_id, b.disks) for b in self.restorable_backups(None)]

    def restorable_backups(self, vm_id: str | None) -> list[BackupModel]:
        """Backups (of a VM, or any) that were downloaded and succeeded."""
        return [
            b
            for b in self.backup_models.values()
            if b.downloaded
            and b.settled
            and b.to_checkpoint is not None
            and (vm_id is None or b.vm_id == vm_id)
        ]


def _modes(machine: ContractMachine, modes: dict[str, str]) -> str:
    return ", ".join(f"{machine.labels(d)}: {m}" for d, m in sorted(modes.items()))


def _image_kind(path: str | os.PathLike[str]) -> str:
    try:
        with open(path, "rb") as f:
            return "a qcow2 image" if f.read(4) == b"QFI\xfb" else "a raw image"
    except OSError:
        return f"{path} (not readable)"
