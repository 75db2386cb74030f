"""fakeovirt: an in-memory fake of the oVirt engine REST API and ovirt-imageio, for VM backups.

The public API is what `__all__` names here, plus the modules in `PUBLIC_MODULES`
(`fakeovirt.faults`, `fakeovirt.strategies`, ...); docs/api.md is generated from it
(`python tools/api_doc.py`). Anything else (`fakeovirt.core.*`, `fakeovirt.web.*`) may change
without notice.

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
        BadRequest,
        Clock,
        ClusterSpec,
        Conflict,
        DataCenterSpec,
        DiskSpec,
        Engine,
        EngineError,
        Forbidden,
        HostSpec,
        ManualClock,
        NotFound,
        Retention,
        Scenario,
        StorageDomainSpec,
        TransferPhase,
        TransferRequest,
        TransitionPolicy,
        Unauthorized,
        VmSpec,
    )
    from .core.content import DiskContent
    from .core.profile import Profile
    from .core.volumes import VolumeChain
    from .fake import FakeOvirt
    from .faults import Fault
    from .injection import Injection
    from .lookup import UnknownEntity
    from .records import DataRequestInfo, TransferInfo
    from .stall import StalledClockWarning
    from .web.app import ServerError
    from .web.journal import DataMoved, Exchange, Journal
    from .web.schema import SchemaViolation
    from .web.schema import validate as validate_document

# name -> (module, name there); grouped as docs/api.md shows them
_HOMES: dict[str, tuple[str, str]] = {
    # the facade, and what it hands back
    "FakeOvirt": (".fake", "FakeOvirt"),
    "UnknownEntity": (".lookup", "UnknownEntity"),
    "TransferInfo": (".records", "TransferInfo"),
    "DataRequestInfo": (".records", "DataRequestInfo"),
    "Journal": (".web.journal", "Journal"),
    "Exchange": (".web.journal", "Exchange"),
    "DataMoved": (".web.journal", "DataMoved"),
    "Injection": (".injection", "Injection"),
    "ServerError": (".web.app", "ServerError"),
    "StalledClockWarning": (".stall", "StalledClockWarning"),
    # scenarios
    "Scenario": (".core", "Scenario"),
    "DEMO": (".core", "DEMO"),
    "VmSpec": (".core", "VmSpec"),
    "DiskSpec": (".core", "DiskSpec"),
    "HostSpec": (".core", "HostSpec"),
    "ClusterSpec": (".core", "ClusterSpec"),
    "DataCenterSpec": (".core", "DataCenterSpec"),
    "StorageDomainSpec": (".core", "StorageDomainSpec"),
    # time, phases and what the engine keeps
    "TransitionPolicy": (".core", "TransitionPolicy"),
    "Clock": (".core", "Clock"),
    "ManualClock": (".core", "ManualClock"),
    "SystemClock": (".clocks", "SystemClock"),
    "Retention": (".core", "Retention"),
    "Profile": (".core.profile", "Profile"),
    "BackupPhase": (".core", "BackupPhase"),
    "TransferPhase": (".core", "TransferPhase"),
    # the engine in Python, and the errors it raises (each carries its HTTP status)
    "Engine": (".core", "Engine"),
    "BackupRequest": (".core", "BackupRequest"),
    "TransferRequest": (".core", "TransferRequest"),
    "EngineError": (".core", "EngineError"),
    "BadRequest": (".core", "BadRequest"),
    "Unauthorized": (".core", "Unauthorized"),
    "Forbidden": (".core", "Forbidden"),
    "NotFound": (".core", "NotFound"),
    "Conflict": (".core", "Conflict"),
    # disk content
    "DiskContent": (".core.content", "DiskContent"),
    "VolumeChain": (".core.volumes", "VolumeChain"),
    # faults and documents
    "Fault": (".faults", "Fault"),
    "validate_document": (".web.schema", "validate"),
    "SchemaViolation": (".web.schema", "SchemaViolation"),
}

#: Public modules, imported on first use: `fakeovirt.faults`, `from fakeovirt import strategies`.
PUBLIC_MODULES = (
    "faults",
    "pytest_plugin",
    "strategies",
    "stateful",
    "stateful_sdk",
    "demo",
    "images",
)

__all__ = [
    "DEMO",
    "PUBLIC_MODULES",
    "BackupPhase",
    "BackupRequest",
    "BadRequest",
    "Clock",
    "ClusterSpec",
    "Conflict",
    "DataCenterSpec",
    "DataMoved",
    "DataRequestInfo",
    "DiskContent",
    "DiskSpec",
    "Engine",
    "EngineError",
    "Exchange",
    "FakeOvirt",
    "Fault",
    "Forbidden",
    "HostSpec",
    "Injection",
    "Journal",
    "ManualClock",
    "NotFound",
    "Profile",
    "Retention",
    "Scenario",
    "SchemaViolation",
    "ServerError",
    "StalledClockWarning",
    "StorageDomainSpec",
    "SystemClock",
    "TransferInfo",
    "TransferPhase",
    "TransferRequest",
    "TransitionPolicy",
    "Unauthorized",
    "UnknownEntity",
    "VmSpec",
    "VolumeChain",
    "__version__",
    "validate_document",
]  # _HOMES and the two below; tests/test_public_api.py keeps them in step
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name in PUBLIC_MODULES:
        return importlib.import_module(f".{name}", __name__)
    if name not in _HOMES:
        raise AttributeError(f"module 'fakeovirt' has no attribute {name!r}")
    module, attribute = _HOMES[name]
    value = getattr(importlib.import_module(module, __name__), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*__all__, *PUBLIC_MODULES})
