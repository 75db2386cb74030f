"""fakeovirt: an in-memory fake of the oVirt engine REST API and ovirt-imageio, for VM backups.

Names are imported on first use, so that `import fakeovirt` (and the pytest plugin, which
every pytest run in an environment with fakeovirt loads) costs almost nothing.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .clocks import SystemClock
    from .core import (
        DEMO,
        BackupPhase,
        BackupRequest,
        ClusterSpec,
        DataCenterSpec,
        DiskSpec,
        Engine,
        HostSpec,
        ManualClock,
        Retention,
        Scenario,
        StorageDomainSpec,
        TransferPhase,
        TransferRequest,
        TransitionPolicy,
        VmSpec,
    )
    from .fake import FakeOvirt

__all__ = [
    "DEMO",
    "BackupPhase",
    "BackupRequest",
    "ClusterSpec",
    "DataCenterSpec",
    "DiskSpec",
    "Engine",
    "FakeOvirt",
    "HostSpec",
    "ManualClock",
    "Retention",
    "Scenario",
    "StorageDomainSpec",
    "SystemClock",
    "TransferPhase",
    "TransferRequest",
    "TransitionPolicy",
    "VmSpec",
]
__version__ = "0.1.0"

_HOMES = {"FakeOvirt": ".fake", "SystemClock": ".clocks"}


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module 'fakeovirt' has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOMES.get(name, ".core"), __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
