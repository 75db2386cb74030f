"""fakeovirt's core: the engine as plain Python, free of HTTP, XML and wall time."""

from .backups import BackupRequest
from .clock import Clock, ManualClock
from .engine import Engine
from .errors import BadRequest, Conflict, EngineError, Forbidden, NotFound, Unauthorized
from .phases import BackupPath, BackupPhase, TransferPhase
from .policy import TransitionPolicy
from .retention import Retention
from .scenario import DEMO, DiskSpec, Scenario, VmSpec
from .transfers import TransferRequest

__all__ = [
    "DEMO",
    "BackupPath",
    "BackupPhase",
    "BackupRequest",
    "BadRequest",
    "Clock",
    "Conflict",
    "DiskSpec",
    "Engine",
    "EngineError",
    "Forbidden",
    "ManualClock",
    "NotFound",
    "Retention",
    "Scenario",
    "TransferPhase",
    "TransferRequest",
    "TransitionPolicy",
    "Unauthorized",
    "VmSpec",
]
