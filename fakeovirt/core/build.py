"""Building an engine's state from a scenario: inventory, disks with seeded content.

Seeded content comes from `seeding` (lazy, shared copy-on-write), so resets and scenario
switches cost an index copy, not the bytes.
"""

from __future__ import annotations

from .clock import Clock
from .ids import IdSource
from .messages import ACTIVE_SNAPSHOT
from .model import (
    Cluster,
    DataCenter,
    Disk,
    DiskAttachment,
    GuestAgent,
    Host,
    Snapshot,
    StorageDomain,
    Vm,
    VmStatus,
)
from .policy import TransitionPolicy
from .scenario import Scenario
from .seeding import SeededContent
from .state import State

__all__ = ["SeededContent", "build_state"]


def build_state(
    scenario: Scenario, clock: Clock, policy: TransitionPolicy, seeded: SeededContent
) -> State:
    """A fresh engine state holding the scenario's inventory."""
    state = State(clock=clock, ids=IdSource(scenario.seed), policy=policy)
    ids = state.ids
    now = state.now()
    dc = DataCenter(id=ids.new(), name="Default")
    cluster = Cluster(id=ids.new(), name="Default", data_center_id=dc.id)
    domain = StorageDomain(id=ids.new(), name="data", data_center_id=dc.id)
    state.data_centers[dc.id] = dc
    state.clusters[cluster.id] = cluster
    state.storage_domains[domain.id] = domain
    for name in scenario.hosts:
        host = Host(
            id=ids.new(), name=name, address=f"{name}.fakeovirt.test", cluster_id=cluster.id
        )
        state.hosts[host.id] = host
    first_host = next(iter(state.hosts), None)
    for spec in scenario.vms:
        status = VmStatus(spec.status)
        vm = Vm(
            id=ids.new(),
            name=spec.name,
            status=status,
            cluster_id=cluster.id,
            host_id=first_host if status is not VmStatus.DOWN else None,
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
            disk = Disk(
                id=ids.new(),
                alias=disk_spec.alias,
                image_id=ids.new(),
                storage_domain_id=domain.id,
                content=seeded.content(scenario.seed, disk_spec),
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
    return state
