"""The snapshot and upload contracts: what the ready clients reach, and that a wrong client is
caught for the right reason with a message that names it. The mutation suite
(tests/test_contract_mutants.py) runs every planted bug; here a few are read closely."""

from __future__ import annotations

import re

import pytest
from hypothesis import Phase, settings

from fakeovirt import FakeOvirt
from fakeovirt.stateful import (
    DEFAULT_SETTINGS,
    BackupApiMachine,
    ContractCoverage,
)
from fakeovirt.stateful_sdk import SdkBackupMachine
from tests.examples.test_contract_own_client import RawHttpMachine
from tests.mutants import violation
from tests.mutants.snapshots import (
    DOWN,
    DoesNotWaitForOk,
    LeavesTheUploadOpen,
    NeverRemovesTheSnapshot,
    ReadsTheActiveVolume,
)
from tests.smalldisks import FEW_BLOCKS_DEMO

FIXED = settings(DEFAULT_SETTINGS, derandomize=True, database=None, print_blob=False)
# The default settings' thirty examples on the fixed seed, all of them fresh: on this seed the
# target phase spent its half of the budget replaying `abort_backup` nineteen times over (13 of
# 32 examples); fresh examples reach every line and branch of the engine and the machine that
# those reach, and more, for two thirds of the CPU (docs/contract.md). The quick start
# (tests/examples) runs the SDK machine under the default settings, target phase included.
FRESH = settings(FIXED, phases=[p for p in FIXED.phases if p is not Phase.target])


def test_the_sdk_client_takes_snapshots_and_meets_the_refusals(fake: FakeOvirt) -> None:
    coverage = ContractCoverage()
    SdkBackupMachine.run(fake, settings=FRESH, coverage=coverage)
    assert coverage.examples >= FRESH.max_examples
    assert coverage.situations["snapshot of some of a VM's disks"] > 0, coverage.report()
    assert coverage.situations["snapshot refused during a backup"] > 0, coverage.report()


def test_a_client_without_snapshot_methods_runs_no_snapshot_rules() -> None:
    assert SdkBackupMachine.has_snapshot_path()
    assert not SdkBackupMachine.has_snapshot_data()
    assert not SdkBackupMachine.has_upload_path()
    assert not RawHttpMachine.has_snapshot_path()
    assert not BackupApiMachine._keeps_shadow()


@pytest.mark.parametrize(
    ("machine", "message"),
    [
        (DoesNotWaitForOk, r"reads snapshot-1 as 'ok', but the engine had just answered 'locked'"),
        (NeverRemovesTheSnapshot, r"the engine still holds snapshot-1 as 'ok', not removing it"),
    ],
    ids=["status misread", "never removed"],
)
@pytest.mark.fakeovirt(scenario=FEW_BLOCKS_DEMO)  # the mutation suite's run, read closely
def test_the_snapshot_api_is_held_to_the_engine(
    fake: FakeOvirt, machine: type[BackupApiMachine], message: str
) -> None:
    caught = violation(machine.__name__, fake)
    assert caught is not None
    assert re.search(message, str(caught))


def test_a_download_of_the_active_volume_shows_the_later_writes(fake: FakeOvirt) -> None:
    """With the VM down, the engine serves the disk's active volume: the guest's writes after
    the snapshot are in it, and the first one is named (the mutation suite's run, read
    closely)."""
    fake.reset(DOWN)
    caught = violation(ReadsTheActiveVolume.__name__, fake)
    assert caught is not None
    first = str(caught).splitlines()[0]
    assert first.startswith("vm-cold-disk1 downloaded from snapshot-1 differs from the disk ")
    assert "when the snapshot was taken: bytes " in first
    later = first.split("the image b'", 1)[1]
    assert "guest write " in later  # a write after the snapshot, in the download


@pytest.mark.fakeovirt(scenario=FEW_BLOCKS_DEMO)  # the mutation suite's run, read closely
def test_an_upload_left_open_leaves_the_new_disk_locked(fake: FakeOvirt) -> None:
    caught = violation(LeavesTheUploadOpen.__name__, fake)
    assert caught is not None
    assert re.search(r"restore_to_new_disk\(.*\) left image transfers", str(caught))
