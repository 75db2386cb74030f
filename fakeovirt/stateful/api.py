"""What your client's methods return to the contract machine, and the fault they raise."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ApiFault", "BackupInfo", "CheckpointInfo", "SnapshotInfo"]


class ApiFault(Exception):
    """What a client method raises when the API answers with a fault."""

    def __init__(self, status: int, detail: str = "") -> None:
        super().__init__(f"{status}: {detail}")
        self.status = status
        self.detail = detail


@dataclass(frozen=True)
class BackupInfo:
    """A backup as your client read it; the machine checks every field against the engine."""

    id: str
    phase: str
    from_checkpoint_id: str | None = None
    to_checkpoint_id: str | None = None


@dataclass(frozen=True)
class CheckpointInfo:
    """One checkpoint of a VM, as listed by your client."""

    id: str
    parent_id: str | None = None


@dataclass(frozen=True)
class SnapshotInfo:
    """A VM snapshot as your client read it: `status` is the API's `snapshot_status`
    (`locked`, `ok`), `type` its `snapshot_type` (`active` for "Active VM", else `regular`)."""

    id: str
    description: str
    status: str
    type: str = "regular"
