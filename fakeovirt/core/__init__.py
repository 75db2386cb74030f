"""fakeovirt's core: the engine as plain Python, free of HTTP, XML and wall time.

Names are imported on first use (`from fakeovirt.core import Engine` loads the engine, and
`from fakeovirt.core.scenario import Scenario` only what a scenario needs), so that a command
that never builds an engine (`fakeovirt --version`, a refused option) does not load it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

# name -> the submodule that defines it
_HOMES: dict[str, str] = {
    "BackupRequest": ".backups",
    "Clock": ".clock",
    "ManualClock": ".clock",
    "Engine": ".engine",
    "BadRequest": ".errors",
    "Conflict": ".errors",
    "EngineError": ".errors",
    "Forbidden": ".errors",
    "NotFound": ".errors",
    "Unauthorized": ".errors",
    "BackupPath": ".phases",
    "BackupPhase": ".phases",
    "TransferPhase": ".phases",
    "TransitionPolicy": ".policy",
    "Retention": ".retention",
    "DEMO": ".scenario",
    "ClusterSpec": ".scenario",
    "DataCenterSpec": ".scenario",
    "DiskSpec": ".scenario",
    "HostSpec": ".scenario",
    "Scenario": ".scenario",
    "StorageDomainSpec": ".scenario",
    "VmSpec": ".scenario",
    "SnapshotRequest": ".snapshots",
    "TransferRequest": ".transfers",
}

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


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'fakeovirt.core' has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOMES[name], __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
