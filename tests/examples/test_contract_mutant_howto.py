"""Does your contract test have teeth? Plant a bug in your client and see the machine catch it."""

import pytest
from hypothesis import Phase, settings

from fakeovirt.stateful import DEFAULT_SETTINGS, ContractViolation
from fakeovirt.stateful_sdk import SdkBackupMachine

# Stop at the first violation: shrinking it to a minimal program is not needed here.
FIND_ONLY = settings(DEFAULT_SETTINGS, phases=[Phase.generate], database=None)


class ForgetsTheNewestCheckpoint(SdkBackupMachine):
    """My client, with a bug planted on purpose: it loses the newest checkpoint."""

    def list_checkpoints(self, vm_id):
        return super().list_checkpoints(vm_id)[:-1]


def test_my_contract_test_catches_a_lost_checkpoint(fakeovirt):
    with pytest.raises(ContractViolation, match="the client lists"):
        ForgetsTheNewestCheckpoint.run(fakeovirt, settings=FIND_ONLY)
