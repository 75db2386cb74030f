"""Building an engine's state from a scenario: inventory, disks with seeded content.

Seeded content comes from `seeding` (lazy, shared copy-on-write), so resets and scenario
switches cost an index copy, not the bytes.
"""

from __future__ import annotations

import uuid

from .clock import Clock
from .content import DiskContent
from .ids import IdSource
from .messages import ACTIVE_SNAPSHOT
from .model import (
    Cluster,
    DataCenter,
    Disk,
    DiskAttachment,
    GuestAgent,
    Host,
    Nic,
    Snapshot,
    StorageDomain,
    Vm,
    VmStatus,
)
from .nics import MANAGEMENT_NETWORK, add_default_networks, allocate_mac
from .policy import TransitionPolicy
from .scenario import HostSpec, Scenario
from .seeding import SeededContent
from .state import State
from .volumes import VolumeChain

__all__ = ["SeededContent", "build_state"]


def build_state(
    scenario: Scenario, clock: Clock, policy: TransitionPolicy, seeded: SeededContent
) -> State:
    """A fresh engine state holding the scenario's inventory.

    Ids come from the scenario's seed in a fixed order (data centers, clusters, storage
    domains, hosts, then each VM with its disks), so one seed always gives the same ids.
    """
    state = State(clock=clock, ids=IdSource(scenario.seed), policy=policy)
    ids = state.ids
    now = state.now()
    by_name: dict[str, dict[str, str]] = {"dc": {}, "cluster": {}, "domain": {}, "host": {}}
    for dc_spec in scenario.data_centers:
        dc = DataCenter(id=ids.new(), name=dc_spec.name, local=dc_spec.local)
        state.data_centers[dc.id] = dc
        by_name["dc"][dc.name] = dc.id
        add_default_networks(state, dc)
    for cluster_spec in scenario.clusters:
        dc_id = by_name["dc"][scenario.data_center_of(cluster_spec.name)]
        major, minor = (int(n) for n in cluster_spec.version.split("."))
        cluster = Cluster(
            id=ids.new(), name=cluster_spec.name, data_center_id=dc_id, version=(major, minor)
        )
        state.clusters[cluster.id] = cluster
        by_name["cluster"][cluster.name] = cluster.id
    masters: set[str] = set()
    for sd in scenario.storage_domains:
        dc_id = by_name["dc"][sd.data_center or scenario.data_centers[0].name]
        master = sd.type == "data" and dc_id not in masters
        masters.update([dc_id] if master else [])
        domain = StorageDomain(
            id=ids.new(),
            name=sd.name,
            data_center_id=dc_id,
            type=sd.type,
            master=master,
            available=sd.available,
            used=sd.used,
            committed=sd.committed,
            storage_type=sd.storage,
        )
        state.storage_domains[domain.id] = domain
        by_name["domain"][domain.name] = domain.id
    for host_spec in scenario.hosts:
        assert isinstance(host_spec, HostSpec)  # Scenario turns names into specs
        cluster_id = by_name["cluster"][host_spec.cluster or scenario.clusters[0].name]
        host = Host(
            id=ids.new(), name=host_spec.name, address=host_spec.address, cluster_id=cluster_id
        )
        state.hosts[host.id] = host
        by_name["host"][host.name] = host.id
    for spec in scenario.vms:
        status = VmStatus(spec.status)
        host_name = scenario.host_of(spec)
        vm = Vm(
            id=ids.new(),
            name=spec.name,
            status=status,
            cluster_id=by_name["cluster"][scenario.cluster_of(spec)],
            host_id=by_name["host"][host_name] if host_name is not None else None,
            created=now,
            guest=GuestAgent(freeze_fails=spec.freeze_fails),
        )
        state.vms[vm.id] = vm
        active = Snapshot(
            id=ids.new(),
            vm_id=vm.id,
            description=ACTIVE_SNAPSHOT,
            date=now,
            disk_ids=[],
            type="active",
        )
        for number, disk_spec in enumerate(spec.disks):
            disk_id, image_id = ids.new(), ids.new()  # in this order: ids stay as they were
            content = (
                seeded.content(scenario.seed, disk_spec)
                if disk_spec.seeded_blocks
                else DiskContent(disk_spec.size)
            )
            disk = Disk(
                id=disk_id,
                alias=disk_spec.alias,
                storage_domain_id=by_name["domain"][scenario.domain_of(spec, disk_spec)],
                volumes=VolumeChain(content, image_id),
                format=disk_spec.format,
                backup=disk_spec.backup,
                sparse=disk_spec.format == "cow",
            )
            state.disks[disk.id] = disk
            vm.attachments.append(
                DiskAttachment(
                    disk_id=disk.id,
                    vm_id=vm.id,
                    active=disk_spec.active,
                    bootable=disk_spec.bootable or number == 0,
                )
            )
            active.disk_ids.append(disk.id)
        state.snapshots[active.id] = active
        _add_nics(state, vm, spec.nics)
    return state


def _add_nics(state: State, vm: Vm, names: tuple[str, ...]) -> None:
    """A scenario VM's NICs, on its data center's management network (ids derive from the
    VM's, so the seed's id sequence stays as it was)."""
    cluster = state.clusters[vm.cluster_id]
    profile = next(
        p
        for p in state.vnic_profiles.values()
        if p.name == MANAGEMENT_NETWORK
        and state.networks[p.network_id].data_center_id == cluster.data_center_id
    )
    for name in names:
        nic_id = str(uuid.uuid5(uuid.UUID(vm.id), f"nic/{name}"))
        vm.nics.append(Nic(nic_id, name, vm.id, allocate_mac(state), profile.id))
