"""fakeovirt: an in-memory fake of the oVirt engine REST API and ovirt-imageio, for VM backups."""

from .core import (
    DEMO,
    BackupPhase,
    BackupRequest,
    DiskSpec,
    Engine,
    ManualClock,
    Scenario,
    TransferPhase,
    TransferRequest,
    TransitionPolicy,
    VmSpec,
)
from .clocks import SystemClock
from .fake import FakeOvirt

__all__ = [
    "DEMO",
    "BackupPhase",
    "BackupRequest",
    "DiskSpec",
    "Engine",
    "FakeOvirt",
    "ManualClock",
    "Scenario",
    "SystemClock",
    "TransferPhase",
    "TransferRequest",
    "TransitionPolicy",
    "VmSpec",
]
__version__ = "0.1.0"
