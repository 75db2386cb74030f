"""Snapshot-based backup under the contract: plant the bug a cleanup can have, see it caught."""

import pytest
from hypothesis import Phase, settings

from fakeovirt.stateful import DEFAULT_SETTINGS, ContractViolation
from fakeovirt.stateful_sdk import SdkBackupMachine

FIND_ONLY = settings(DEFAULT_SETTINGS, phases=[Phase.generate], database=None)


class LeavesItsSnapshotBehind(SdkBackupMachine):
    """The SDK machine, with the snapshot's removal forgotten in an error path."""

    def remove_snapshot(self, vm_id, snapshot_id):
        pass


def test_my_contract_test_catches_a_leftover_snapshot(fakeovirt):
    # Left behind as ok, or "removed" during a backup without the engine's 409 refusal.
    with pytest.raises(ContractViolation, match=r"not removing it|returned; the engine refuses"):
        LeavesItsSnapshotBehind.run(fakeovirt, settings=FIND_ONLY)
