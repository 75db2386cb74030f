"""A model-based contract of the VM backup API, as a hypothesis `RuleBasedStateMachine`.

The machine holds a model of what the engine must do (phases, the one-backup-per-VM rule,
the checkpoint chain, validation, each disk's content) and checks every answer your client
code gets, and what your client restores. You give it the client: subclass
`BackupApiMachine` and implement five API methods (and optionally the data methods, the
snapshot methods, and a restore by upload) with your own client, or use
`fakeovirt.stateful_sdk.SdkBackupMachine` (the real `ovirtsdk4`) or `ImageioBackupMachine`
(plus `ovirt_imageio.client`: qcow2 chains, disk snapshots, uploads).

    def test_my_client_keeps_the_backup_contract(fakeovirt):
        MyMachine.run(fakeovirt)          # DEFAULT_SETTINGS unless given settings=...

A violation raises `ContractViolation` (an `AssertionError`) whose message ends with the
example's client calls; hypothesis prints the minimal program of rules before it.
See docs/contract.md.
"""

from __future__ import annotations

from .api import ApiFault, BackupInfo, CheckpointInfo, SnapshotInfo
from .base import DEFAULT_SETTINGS, ContractMachine
from .coverage import ContractCoverage
from .machine import BackupApiMachine
from .steplog import ContractViolation

__all__ = [
    "DEFAULT_SETTINGS",
    "ApiFault",
    "BackupApiMachine",
    "BackupInfo",
    "CheckpointInfo",
    "ContractCoverage",
    "ContractMachine",
    "ContractViolation",
    "SnapshotInfo",
]
