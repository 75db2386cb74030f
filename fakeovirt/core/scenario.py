"""Scenarios: the inventory an engine starts from, as Python objects or a TOML/JSON file.

File format (TOML shown; JSON has the same keys; every key but a name is optional):

    name = "lab"                   # default: the file's stem
    seed = 7                       # ids and seeded disk content derive from it
    [policy]                       # see TransitionPolicy.from_dict
    mode = "reads"
    reads = 1

    [[data_centers]]               # default: one data center, Default
    name = "mydc"
    [[clusters]]                   # default: one cluster, Default
    name = "mycluster"
    data_center = "mydc"           # default: the first data center
    version = "4.7"                # 4.5 to 4.8; the engine profile backs up legacy below 4.7
    [[storage_domains]]            # default: one nfs data domain, data
    name = "mydata"
    type = "data"                  # data, iso or export
    storage = "nfs"                # nfs, iscsi, fcp, glusterfs, posixfs or localfs
    available = 1099511627776      # free space in bytes; also used, committed
    [[hosts]]                      # default: host-1; a plain list of names works too
    name = "myhost"
    cluster = "mycluster"          # default: the first cluster

    [[vms]]
    name = "db1"
    status = "up"                  # any engine VM status
    cluster = "mycluster"          # default: the first cluster
    host = "myhost"                # a running VM's host; default: its cluster's first
    freeze_fails = false           # the guest agent's filesystem freeze
    nics = ["nic1"]                # NICs on the data center's ovirtmgmt network (default none)
      [[vms.disks]]
      alias = "db1-data"
      size = 1073741824            # virtual size in bytes (a multiple of 64 KiB)
      format = "cow"               # cow (qcow2) or raw
      backup = "incremental"       # incremental or none
      seeded_blocks = 48           # 64 KiB blocks of deterministic data written at start
      active = true                # plugged into the VM
      storage_domain = "mydata"    # default: the first data domain of the VM's data center

Besides files and the built-in `demo` and `empty`, `scale:vms=N,...` generates a large
inventory (see `scale.py`). Everything is checked before an engine is built from it: a
`ValueError` names the entry at fault, and nothing is half-built.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .policy import TransitionPolicy
from .scale import SCALE_PREFIX, scale_scenario
from .scenario_file import BUILT_IN_HINT, parse_scenario, read_scenario_file
from .specs import (
    LIMITS,
    ClusterSpec,
    DataCenterSpec,
    DiskSpec,
    HostSpec,
    StorageDomainSpec,
    VmSpec,
    as_tuple,
    check_type,
)

__all__ = [
    "BUILT_IN",
    "DEMO",
    "EMPTY",
    "ClusterSpec",
    "DataCenterSpec",
    "DiskSpec",
    "HostSpec",
    "Scenario",
    "StorageDomainSpec",
    "VmSpec",
]

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Scenario:
    """A named inventory; build an engine from it with `Engine(scenario=...)`."""

    name: str = "custom"
    vms: tuple[VmSpec, ...] = ()
    seed: int = 0
    policy: TransitionPolicy | None = None
    hosts: tuple[HostSpec | str, ...] = ("host-1",)
    data_centers: tuple[DataCenterSpec, ...] = ()
    clusters: tuple[ClusterSpec, ...] = ()
    storage_domains: tuple[StorageDomainSpec, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        try:
            self._check()
        except ValueError as error:
            name = self.name if isinstance(self.name, str) else "?"
            raise ValueError(f"scenario {name}: {error}") from None

    def _check(self) -> None:
        check_type("name", self.name, str)
        if not 0 < len(self.name) <= 255 or _CONTROL.search(self.name):
            raise ValueError("its name must be 1 to 255 printable characters")
        check_type("seed", self.seed, int)
        if abs(self.seed) >= LIMITS["seed"]:
            raise ValueError(f"seed must be within ±{LIMITS['seed']}")
        if self.policy is not None and not isinstance(self.policy, TransitionPolicy):
            raise ValueError("policy must be a TransitionPolicy")
        setter = object.__setattr__
        hosts = as_tuple("hosts", self.hosts, HostSpec | str)
        setter(self, "hosts", tuple(HostSpec(h) if isinstance(h, str) else h for h in hosts))
        setter(self, "vms", as_tuple("vms", self.vms, VmSpec))
        if len(self.vms) > LIMITS["vms"]:
            raise ValueError(f"at most {LIMITS['vms']} VMs")
        defaults: list[tuple[str, type, Any]] = [
            ("data_centers", DataCenterSpec, DataCenterSpec("Default")),
            ("clusters", ClusterSpec, ClusterSpec("Default")),
            ("storage_domains", StorageDomainSpec, StorageDomainSpec("data")),
        ]
        for attribute, kind, default in defaults:
            given = as_tuple(attribute, getattr(self, attribute), kind)
            setter(self, attribute, given or (default,))
        setter(self, "_refs", _Index(self))

    # -- where each VM, disk and host goes (names already checked) ----------------------
    def cluster_of(self, vm: VmSpec) -> str:
        return vm.cluster or self.clusters[0].name

    def data_center_of(self, cluster: str) -> str:
        return self._index.cluster_dc[cluster]

    def host_of(self, vm: VmSpec) -> str | None:
        """The host a VM runs on: its own, else its cluster's first; a down VM has none."""
        if vm.host is not None or vm.status == "down":
            return vm.host
        hosts = self._index.cluster_hosts.get(self.cluster_of(vm))
        return hosts[0] if hosts else None

    def domain_of(self, vm: VmSpec, disk: DiskSpec) -> str:
        if disk.storage_domain is not None:
            return disk.storage_domain
        return self._index.first_data[self.data_center_of(self.cluster_of(vm))] or ""

    @property
    def _index(self) -> _Index:
        index: _Index = self.__dict__["_refs"]
        return index

    # -- building from a mapping, a file or a name --------------------------------------
    @classmethod
    def from_dict(cls, data: Any, *, name: str = "custom") -> Scenario:
        """Build from the mapping form of a scenario file; `ValueError` names what is wrong."""
        return cls(**parse_scenario(data, name=name))

    @classmethod
    def load(cls, path: str | Path) -> Scenario:
        """Read a `.toml` or `.json` scenario file (a regular file of a bounded size)."""
        data = read_scenario_file(path)
        return cls.from_dict(data, name=Path(path).stem or "custom")

    @classmethod
    def named(cls, name: str) -> Scenario:
        """A built-in scenario (`demo`, `empty`), `scale:...`, or a path to a scenario file."""
        if not isinstance(name, str):
            raise ValueError(f"a scenario is named by a string, got {name!r}")
        if name in BUILT_IN:
            return BUILT_IN[name]
        if name.startswith(SCALE_PREFIX):
            return cls(**scale_scenario(name))
        path = Path(name)
        if path.suffix in (".toml", ".json") or "/" in name or path.exists():
            return cls.load(path)
        raise ValueError(f"unknown scenario {name!r}: {BUILT_IN_HINT}")


class _Index:
    """A scenario's names, cross-checked: every reference names something that exists."""

    def __init__(self, scenario: Scenario) -> None:
        dcs = _unique("data center", [d.name for d in scenario.data_centers])
        first_dc = scenario.data_centers[0].name
        local = {d.name for d in scenario.data_centers if d.local}
        self.cluster_dc: dict[str, str] = {}
        for cluster in _bounded("clusters", scenario.clusters):
            dc = cluster.data_center or first_dc
            _known(f"cluster {cluster.name}", "data center", dc, dcs)
            self.cluster_dc[cluster.name] = dc
        _unique("cluster", [c.name for c in scenario.clusters])
        domains: dict[str, StorageDomainSpec] = {}
        self.first_data: dict[str, str | None] = dict.fromkeys(dcs)
        for domain in _bounded("storage domains", scenario.storage_domains):
            dc = domain.data_center or first_dc
            _known(f"storage domain {domain.name}", "data center", dc, dcs)
            if (domain.storage == "localfs") != (dc in local):
                raise ValueError(
                    f"storage domain {domain.name}: localfs storage belongs in a local data "
                    "center, and a local data center has only localfs storage"
                )
            if domain.type == "data" and self.first_data[dc] is None:
                self.first_data[dc] = domain.name
            domains[domain.name] = domain
        _unique("storage domain", [d.name for d in scenario.storage_domains])
        self.domain_dc = {d.name: d.data_center or first_dc for d in scenario.storage_domains}
        self.cluster_hosts: dict[str, list[str]] = {}
        host_cluster: dict[str, str] = {}
        for host in _bounded("hosts", scenario.hosts):
            assert isinstance(host, HostSpec)
            cluster = host.cluster or scenario.clusters[0].name
            _known(f"host {host.name}", "cluster", cluster, self.cluster_dc)
            self.cluster_hosts.setdefault(cluster, []).append(host.name)
            host_cluster[host.name] = cluster
        _unique("host", [h.name for h in scenario.hosts if isinstance(h, HostSpec)])
        seeded = 0
        vm_names: set[str] = set()
        for vm in scenario.vms:
            if vm.name in vm_names:
                raise ValueError(f"two VMs are named {vm.name}; VM names are unique")
            vm_names.add(vm.name)
            cluster = scenario.cluster_of(vm)
            _known(f"vm {vm.name}", "cluster", cluster, self.cluster_dc)
            if vm.host is not None:
                _known(f"vm {vm.name}", "host", vm.host, host_cluster)
                if host_cluster[vm.host] != cluster:
                    raise ValueError(f"vm {vm.name}: host {vm.host} is not in cluster {cluster}")
            for disk in vm.disks:
                self._check_disk(vm.name, disk, self.cluster_dc[cluster], domains)
                seeded += disk.seeded_blocks
        if sum(len(vm.disks) for vm in scenario.vms) > LIMITS["disks"]:
            raise ValueError(f"at most {LIMITS['disks']} disks in all")
        if seeded > LIMITS["seeded_blocks"]:
            raise ValueError(f"at most {LIMITS['seeded_blocks']} seeded blocks in all")

    def _check_disk(
        self, vm: str, disk: DiskSpec, dc: str, domains: dict[str, StorageDomainSpec]
    ) -> None:
        me = f"vm {vm}: disk {disk.alias}"
        name = disk.storage_domain
        if name is None:
            if self.first_data[dc] is None:
                raise ValueError(f"{me}: data center {dc} has no data storage domain")
            return
        _known(me, "storage domain", name, domains)
        if domains[name].type != "data":
            raise ValueError(f"{me}: storage domain {name} is an {domains[name].type} domain")
        if self.domain_dc[name] != dc:
            raise ValueError(
                f"{me}: storage domain {name} is in data center {self.domain_dc[name]}, "
                f"the VM in {dc}"
            )


def _bounded(what: str, items: tuple[Any, ...]) -> tuple[Any, ...]:
    if len(items) > LIMITS["inventory"]:
        raise ValueError(f"at most {LIMITS['inventory']} {what}")
    return items


def _unique(kind: str, names: list[str]) -> set[str]:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ValueError(f"two {kind}s are named {name}")
        seen.add(name)
    return seen


def _known(me: str, kind: str, name: str, known: Any) -> None:
    if name not in known:
        choices = ", ".join(sorted(known)[:10]) or "none"
        raise ValueError(f"{me}: no {kind} named {name} (there is {choices})")


def _qcow(alias: str) -> DiskSpec:
    return DiskSpec(alias=alias)


DEMO = Scenario(
    name="demo",
    vms=(
        VmSpec("vm-up", "up", disks=(_qcow("vm-up-disk1"), _qcow("vm-up-disk2"))),
        VmSpec("vm-down", "down", disks=(_qcow("vm-down-disk1"),)),
        VmSpec(
            "vm-mixed",
            "up",
            disks=(
                _qcow("vm-mixed-disk1"),
                DiskSpec("vm-mixed-raw", format="raw", backup="none"),
            ),
        ),
        VmSpec("vm-nofreeze", "up", freeze_fails=True, disks=(_qcow("vm-nofreeze-disk1"),)),
        VmSpec("vm-paused", "paused", disks=(_qcow("vm-paused-disk1"),)),
    ),
)

EMPTY = Scenario(name="empty")

BUILT_IN = {"demo": DEMO, "empty": EMPTY}
