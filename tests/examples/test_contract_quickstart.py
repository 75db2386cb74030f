"""Quick start: the backup API contract, driven by the real SDK, against the fakeovirt fixture."""

import pytest
from hypothesis import settings

from fakeovirt.stateful_sdk import SdkBackupMachine


@pytest.mark.fakeovirt(policy="reads:1")  # phases move one step per read of the backup
def test_the_backup_api_keeps_its_contract(fakeovirt):
    SdkBackupMachine.run(
        fakeovirt,  # reset before every example by the machine
        settings=settings(max_examples=25, stateful_step_count=10, deadline=None),
    )
