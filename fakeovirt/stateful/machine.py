"""`BackupApiMachine`: the rule groups combined into the contract users subclass."""

from __future__ import annotations

from .rules_backups import BackupRules
from .rules_checkpoints import CheckpointRules
from .rules_data import DataRules
from .rules_snapshots import SnapshotRules
from .rules_uploads import UploadRules

__all__ = ["BackupApiMachine"]


class BackupApiMachine(UploadRules, SnapshotRules, DataRules, CheckpointRules, BackupRules):
    """The backup API contract; implement the client methods with your own client.

    API (required): `start_backup`, `get_backup`, `finalize_backup`, `list_checkpoints`,
    `remove_checkpoint`; each raises `ApiFault(status, detail)` when the API answers a fault.
    Data (optional, both or neither): `download_backup` and `restore_disk`, which turn on the
    data contract. Snapshots (optional): `take_snapshot`, `get_snapshot`, `list_snapshots`,
    `list_snapshot_disks`, `remove_snapshot`, and for their bytes `download_disk_snapshot`.
    Uploads (optional): `restore_to_new_disk`. `connect` and `disconnect` run around each
    example. The machine resets `fake` before each example, draws its transition policy
    (`policies`), and injects faults through it (invalid checkpoints, clock moves, guest
    writes).

    Each group is a subclass of `ContractMachine` with its own rules and extension points,
    combined here.
    """
