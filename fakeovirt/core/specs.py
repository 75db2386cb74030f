"""What a scenario describes, one immutable spec per entity, each checked when it is made.

Rules of this file:
- a spec checks what it can alone (types, names, ranges) and raises `ValueError` naming
  itself; references between specs (a VM's cluster, a disk's storage domain) are checked by
  `Scenario`, which sees them all;
- names follow the engine's rules: letters (any script), digits, `.`, `_` and `-`, at most
  40 characters for data centers and clusters, 250 for storage domains, 255 otherwise
  (ovirt-engine `ValidationUtils.NO_SPECIAL_CHARACTERS_I18N`,
  `BusinessEntitiesDefinitions`);
- every number has a bound (`LIMITS`), so no scenario can ask for unbounded memory or time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .content import BLOCK_SIZE
from .model import VmStatus

__all__ = [
    "CLUSTER_VERSIONS",
    "DOMAIN_TYPES",
    "FILE_STORAGE",
    "LIMITS",
    "STORAGE_TYPES",
    "ClusterSpec",
    "DataCenterSpec",
    "DiskSpec",
    "HostSpec",
    "StorageDomainSpec",
    "VmSpec",
    "as_tuple",
    "check_choice",
    "check_name",
    "check_type",
]

GiB = 1 << 30
TiB = 1 << 40
LIMITS = {
    "disk_size": 64 * TiB,  # a disk's virtual size, bytes
    "disks_per_vm": 64,
    "seeded_blocks": 16384,  # seeded 64 KiB blocks, per disk and per scenario (1 GiB)
    "vms": 100_000,
    "disks": 200_000,  # disks in all
    "inventory": 1000,  # data centers, clusters, storage domains, hosts: each
    "space": 1 << 62,  # a storage domain's available/used/committed, bytes
    "seed": 1 << 63,  # |seed|
}
DOMAIN_TYPES = ("data", "iso", "export")
STORAGE_TYPES = ("nfs", "iscsi", "fcp", "glusterfs", "posixfs", "localfs")
FILE_STORAGE = ("nfs", "glusterfs", "posixfs", "localfs")
_NAME = re.compile(r"[\w.-]+")
_VM_STATUSES = tuple(s.value for s in VmStatus)
_NAME_SIZE = {"data center": 40, "cluster": 40, "storage domain": 250}


def check_name(kind: str, name: object) -> str:
    """`name` if it is a valid engine name for a `kind` (vm, disk, host, ...), else ValueError."""
    if not isinstance(name, str):
        raise ValueError(f"a {kind} name must be a string, got {_show(name)}")
    limit = _NAME_SIZE.get(kind, 255)
    if not _NAME.fullmatch(name) or len(name) > limit:
        raise ValueError(
            f"{kind} name {_show(name)}: use 1 to {limit} letters, digits, '.', '_' or '-'"
        )
    return name


def check_type(what: str, value: object, kind: type, *, low: int | None = None) -> None:
    """`value` must be a `kind` (a bool is not an int) and, for ints, at least `low`."""
    if (isinstance(value, bool) and kind is not bool) or not isinstance(value, kind):
        raise ValueError(f"{what} must be {_KINDS[kind]}, got {_show(value)}")
    if low is not None and isinstance(value, int) and value < low:
        raise ValueError(f"{what} must be >= {low}, got {value}")


def check_choice(what: str, value: object, choices: tuple[str, ...]) -> None:
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{what} must be one of {', '.join(choices)}, got {_show(value)}")


def check_optional_name(what: str, kind: str, value: object) -> None:
    if value is not None:
        try:
            check_name(kind, value)
        except ValueError as error:
            raise ValueError(f"{what}: {error}") from None


_KINDS: dict[type, str] = {int: "an integer", bool: "true or false", str: "a string"}


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# Levels whose backup rules fakeovirt models: all have incremental backup and bitmaps
# (FeatureSupported.isBackupModeAndBitmapsOperationsSupported, from 4.5); the hybrid
# backup starts at 4.7 (UseHybridBackup, 0000_config.sql:994-995).
CLUSTER_VERSIONS = ("4.5", "4.6", "4.7", "4.8")


@dataclass(frozen=True)
class DataCenterSpec:
    """A data center; `local`: a local-storage data center (its domains may be `localfs`)."""

    name: str
    local: bool = False

    def __post_init__(self) -> None:
        check_name("data center", self.name)
        check_type(f"data center {self.name}: local", self.local, bool)


@dataclass(frozen=True)
class ClusterSpec:
    """A cluster in a data center (default: the scenario's first)."""

    name: str
    data_center: str | None = None
    version: str = "4.7"  # the compatibility level; below 4.7 no hybrid (snapshot) backup

    def __post_init__(self) -> None:
        check_name("cluster", self.name)
        check_optional_name(f"cluster {self.name}", "data center", self.data_center)
        check_choice(f"cluster {self.name}: version", self.version, CLUSTER_VERSIONS)


@dataclass(frozen=True)
class StorageDomainSpec:
    """A storage domain: its role (`type`), its storage, its data center and free space."""

    name: str
    type: str = "data"
    storage: str = "nfs"
    data_center: str | None = None
    available: int = TiB
    used: int = 64 * GiB
    committed: int = 256 * GiB

    def __post_init__(self) -> None:
        me = f"storage domain {check_name('storage domain', self.name)}"
        check_choice(f"{me}: type", self.type, DOMAIN_TYPES)
        check_choice(f"{me}: storage", self.storage, STORAGE_TYPES)
        if self.type != "data" and self.storage not in FILE_STORAGE:
            raise ValueError(
                f"{me}: an {self.type} domain needs file storage ({', '.join(FILE_STORAGE)})"
            )
        check_optional_name(me, "data center", self.data_center)
        for field in ("available", "used", "committed"):
            value = getattr(self, field)
            check_type(f"{me}: {field}", value, int, low=0)
            if value > LIMITS["space"]:
                raise ValueError(f"{me}: {field} must be at most {LIMITS['space']} bytes")


@dataclass(frozen=True)
class HostSpec:
    """A host in a cluster (default: the scenario's first)."""

    name: str
    cluster: str | None = None

    def __post_init__(self) -> None:
        check_name("host", self.name)
        check_optional_name(f"host {self.name}", "cluster", self.cluster)

    @property
    def address(self) -> str:
        return f"{self.name}.fakeovirt.test"


@dataclass(frozen=True)
class DiskSpec:
    """A VM's disk; `storage_domain` defaults to the first data domain of the VM's data center."""

    alias: str
    size: int = GiB
    format: str = "cow"
    backup: str = "incremental"
    seeded_blocks: int = 48
    active: bool = True
    bootable: bool = False
    storage_domain: str | None = None

    def __post_init__(self) -> None:
        me = f"disk {check_name('disk', self.alias)}"
        check_type(f"{me}: size", self.size, int)
        if not 0 < self.size <= LIMITS["disk_size"] or self.size % BLOCK_SIZE:
            raise ValueError(
                f"{me}: size must be a positive multiple of {BLOCK_SIZE} bytes, at most "
                f"{LIMITS['disk_size']}, got {self.size}"
            )
        check_choice(f"{me}: format", self.format, ("cow", "raw"))
        check_choice(f"{me}: backup", self.backup, ("incremental", "none"))
        if self.format == "raw" and self.backup == "incremental":
            raise ValueError(f"{me}: a raw disk cannot have incremental backup")
        check_type(f"{me}: seeded_blocks", self.seeded_blocks, int, low=0)
        most = min(self.size // BLOCK_SIZE, LIMITS["seeded_blocks"])
        if self.seeded_blocks > most:
            raise ValueError(f"{me}: seeded_blocks must be at most {most}")
        check_type(f"{me}: active", self.active, bool)
        check_type(f"{me}: bootable", self.bootable, bool)
        check_optional_name(me, "storage domain", self.storage_domain)


@dataclass(frozen=True)
class VmSpec:
    """A VM in a cluster (default: the first); a running VM runs on `host` (default: the
    first host of its cluster)."""

    name: str
    status: str = "up"
    freeze_fails: bool = False
    disks: tuple[DiskSpec, ...] = ()
    cluster: str | None = None
    host: str | None = None
    nics: tuple[str, ...] = ()  # NIC names, each on the management network's profile

    def __post_init__(self) -> None:
        me = f"vm {check_name('vm', self.name)}"
        check_choice(f"{me}: status", self.status, _VM_STATUSES)
        check_type(f"{me}: freeze_fails", self.freeze_fails, bool)
        if not isinstance(self.disks, tuple) or not all(
            isinstance(d, DiskSpec) for d in self.disks
        ):
            raise ValueError(f"{me}: disks must be a tuple of DiskSpec")
        if len(self.disks) > LIMITS["disks_per_vm"]:
            raise ValueError(f"{me}: at most {LIMITS['disks_per_vm']} disks")
        check_optional_name(me, "cluster", self.cluster)
        check_optional_name(me, "host", self.host)
        nics = as_tuple(f"{me}: nics", self.nics, str)
        object.__setattr__(self, "nics", nics)
        for nic in nics:
            check_name(f"{me}: nic", nic)
        if len(set(nics)) != len(nics) or len(nics) > LIMITS["disks_per_vm"]:
            raise ValueError(f"{me}: NIC names are unique, at most {LIMITS['disks_per_vm']}")
        if self.host is not None and self.status == VmStatus.DOWN:
            raise ValueError(f"{me}: a VM that is down runs on no host")


def as_tuple(what: str, value: Any, kind: Any) -> tuple[Any, ...]:
    """`value` as a tuple of `kind` items (a list or tuple), else ValueError."""
    if not isinstance(value, list | tuple) or not all(isinstance(v, kind) for v in value):
        raise ValueError(f"{what} must be a sequence of {getattr(kind, '__name__', kind)}")
    return tuple(value)
