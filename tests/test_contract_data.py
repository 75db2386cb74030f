"""The data contract: restores compared with the disk at their backup, and what a data path
must leave behind. The ready ImageioBackupMachine (qcow2 chains, as backup_vm.py) passes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from hypothesis import Phase, settings

from fakeovirt import FakeOvirt
from fakeovirt.stateful import DEFAULT_SETTINGS, ContractCoverage, ContractViolation
from fakeovirt.stateful_sdk import ImageioBackupMachine
from tests.examples.test_contract_data_own_client import MyToolMachine
from tests.mutants import violation
from tests.mutants.data import RestoresOntoTheParent
from tests.qemutools import require_qemu
from tests.smalldisks import FEW_BLOCKS_DEMO

FIXED = settings(DEFAULT_SETTINGS, derandomize=True, database=None, print_blob=False)
FIND = settings(FIXED, phases=[Phase.generate], report_multiple_bugs=False)


@pytest.mark.fakeovirt(scenario=FEW_BLOCKS_DEMO)
def test_the_imageio_client_restores_every_backup_exactly(fake: FakeOvirt) -> None:
    """The ready subclass passes (fewer examples than the default: each download starts
    qemu-nbd), through incremental restores, writes during backups, disk snapshots and
    restores into new disks by upload. The demo's disks carry 8 seeded blocks here, not
    48: a download costs a request per data extent, and 8 scattered blocks plus the guest's
    writes still give every disk many extents (the SDK examples download the demo's own)."""
    require_qemu()
    coverage = ContractCoverage()
    ImageioBackupMachine.run(fake, settings=settings(FIXED, max_examples=8), coverage=coverage)
    for situation in (
        "incremental restore verified",
        "guest write during a backup",
        "disk snapshot downloaded as at the snapshot",
        "backup restored into a new disk by upload",
        "snapshot restored into a new disk by upload",
    ):
        assert coverage.situations[situation] > 0, coverage.report()


def test_a_wrong_restore_names_the_disk_the_backup_its_base_and_the_first_difference(
    fake: FakeOvirt,
) -> None:
    """The mutation suite's run of the planted wrong base, on the demo's own disks, read
    closely."""
    caught = violation(RestoresOntoTheParent.__name__, fake)
    assert caught is not None
    first = str(caught).splitlines()[0]
    assert " restored from backup-" in first
    assert "(an incremental backup from checkpoint-" in first
    assert "differs from the disk at that backup: bytes " in first
    assert "the disk holds b'guest write " in first
    program = "\n".join(getattr(caught, "__notes__", []))
    assert "state.start_with(" in program


class LeavesTransfersOpen(MyToolMachine):  # type: ignore[misc]
    """Never finalizes its image transfers."""

    def close_transfer(self, transfer: Any) -> None:
        pass


class CallsEveryDiskFull(MyToolMachine):  # type: ignore[misc]
    """Reports every disk as a full backup."""

    def download_backup(
        self, vm_id: str, backup_id: str, disk_ids: Sequence[str]
    ) -> Mapping[str, str] | None:
        modes = super().download_backup(vm_id, backup_id, disk_ids)
        return {disk: "full" for disk in modes}


class RestoresNothing(MyToolMachine):  # type: ignore[misc]
    """Answers a restore with a file it never wrote."""

    def restore_disk(self, vm_id: str, backup_id: str, disk_id: str) -> Any:
        return self.storage / "nothing.raw"


@pytest.mark.parametrize(
    ("machine", "message"),
    [
        (LeavesTransfersOpen, r"left image transfers .* unfinished: finalize them"),
        (CallsEveryDiskFull, r"took the disks as .*full; the engine serves them as .*incremental"),
        (RestoresNothing, r"restore_disk\(.*\) gave no readable image: no image file"),
    ],
    ids=["transfers left open", "wrong modes", "no image"],
)
@pytest.mark.fakeovirt(scenario=FEW_BLOCKS_DEMO)  # what is left behind, not how much data
def test_the_data_path_is_held_to_its_promises(
    fake: FakeOvirt, machine: type[MyToolMachine], message: str
) -> None:
    with pytest.raises(ContractViolation, match=message):
        machine.run(fake, settings=FIND)
