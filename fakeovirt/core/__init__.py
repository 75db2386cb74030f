"""fakeovirt's core: the engine as plain Python, free of HTTP, XML and wall time."""

from .backups import BackupRequest
from .clock import Clock, ManualClock
from .engine import Engine
from .errors import BadRequest, Conflict, EngineError, Forbidden, NotFound, Unauthorized
from .phases import BackupPath, BackupPhase, TransferPhase
from .policy import TransitionPolicy
from .retention import Retention
from .scenario import (
    DEMO,
    ClusterSpec,
    DataCenterSpec,
    DiskSpec,
    HostSpec,
    Scenario,
    StorageDomainSpec,
    VmSpec,
)
from .snapshots import SnapshotRequest
from .transfers import TransferRequest

__all__ = [
    "DEMO",
    "BackupPath",
    "BackupPhase",
    "BackupRequest",
    "BadRequest",
    "Clock",
    "ClusterSpec",
    "Conflict",
    "DataCenterSpec",
    "DiskSpec",
    "Engine",
    "EngineError",
    "Forbidden",
    "HostSpec",
    "ManualClock",
    "NotFound",
    "Retention",
    "Scenario",
    "SnapshotRequest",
    "StorageDomainSpec",
    "TransferPhase",
    "TransferRequest",
    "TransitionPolicy",
    "Unauthorized",
    "VmSpec",
]
