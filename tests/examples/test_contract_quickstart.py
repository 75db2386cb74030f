"""Quick start: the backup API contract, driven by the real SDK, against the fakeovirt fixture."""

from fakeovirt.stateful_sdk import SdkBackupMachine


def test_the_backup_api_keeps_its_contract(fakeovirt):
    SdkBackupMachine.run(fakeovirt)  # DEFAULT_SETTINGS; the fake is reset before every example
