"""What each search object offers: the fields, related objects and order of `VMs:`, `Hosts:`,
`Disks:`, `Events:`, `Storage:`, `Clusters:`, `Datacenter:`, `Jobs:` and `Template:`.

Field names, kinds and default orders are the engine's condition-field auto-completers
(oVirt/ovirt-engine `backend/manager/modules/searchbackend/.../VmConditionFieldAutoCompleter.java`,
`VdsConditionFieldAutoCompleter`, `DiskConditionFieldAutoCompleter`,
`AuditLogConditionFieldAutoCompleter`, `StorageDomainFieldAutoCompleter`,
`ClusterConditionFieldAutoCompleter`, `StoragePoolFieldAutoCompleter`,
`JobConditionFieldAutoCompleter`, `VmTemplateConditionFieldAutoCompleter`; default orders from
`SearchObjectAutoCompleter.entitySearchInfo`), restricted to what fakeovirt models. A field the
engine has but fakeovirt does not model is absent: searching by it answers an empty list.
"""

from __future__ import annotations

import re
from typing import Any

from .model import Cluster, DataCenter, Disk, Event, Host, Job, StorageDomain, Vm
from .search import CrossRef, Field, Kind, SearchObject
from .state import State
from .templates import BLANK, Template

__all__ = [
    "clusters",
    "data_centers",
    "disks",
    "events",
    "hosts",
    "jobs",
    "storage_domains",
    "templates",
    "vms",
]

MIB = 1024 * 1024


def _names(*engine: str, **overrides: str) -> dict[str, str]:
    """Engine enum names (declaration order) -> REST values (`PoweringUp` -> `powering_up`)."""
    names = {n.upper(): re.sub(r"(?<=[a-z])(?=[A-Z])", "_", n).lower() for n in engine}
    names.update({k.upper(): v for k, v in overrides.items()})
    return names


VM_STATUS = _names(
    "Unassigned", "Down", "Up", "PoweringUp", "Paused", "MigratingFrom", "MigratingTo",
    "Unknown", "NotResponding", "WaitForLaunch", "RebootInProgress", "SavingState",
    "RestoringState", "Suspended", "ImageIllegal", "ImageLocked", "PoweringDown",
    MigratingFrom="migrating", MigratingTo="migrating",
)  # fmt: skip
VM_TYPE = _names("Desktop", "Server", "HighPerformance")
HOST_STATUS = _names(
    "Unassigned", "Down", "Maintenance", "Up", "NonResponsive", "Error", "Installing",
    "InstallFailed", "Reboot", "PreparingForMaintenance", "NonOperational", "PendingApproval",
    "Initializing", "Connecting", "InstallingOS", "Kdumping",
)  # fmt: skip
IMAGE_STATUS = _names("Unassigned", "OK", "LOCKED", "ILLEGAL")
SEVERITY = _names("NORMAL", "WARNING", "ERROR", "ALERT")
DOMAIN_STATUS = _names(
    "Unknown", "Uninitialized", "Unattached", "Active", "Inactive", "Locked", "Maintenance",
    "PreparingForMaintenance", "Detaching", "Activating",
)  # fmt: skip
POOL_STATUS = _names(
    "Uninitialized", "Up", "Maintenance", "NotOperational", "NonResponsive", "Contend",
    NonResponsive="problematic",
)  # fmt: skip
TEMPLATE_STATUS = _names("OK", "Locked", "Illegal")


def _blank(_: object) -> str:
    """Members the engine stores as empty strings (comments, descriptions) fakeovirt lacks."""
    return ""


def _cluster_name(state: State, cluster_id: str) -> str | None:
    cluster = state.clusters.get(cluster_id)
    return cluster.name if cluster else None


def _dc_of_cluster(state: State, cluster_id: str) -> DataCenter | None:
    cluster = state.clusters.get(cluster_id)
    return state.data_centers.get(cluster.data_center_id) if cluster else None


def _host_name(state: State, host_id: str | None) -> str | None:
    host = state.hosts.get(host_id or "")
    return host.name if host else None


def _vm_name(state: State, vm_id: str | None) -> str | None:
    vm = state.vms.get(vm_id or "")
    return vm.name if vm else None


def _one(value: Any) -> list[Any]:
    return [] if value is None else [value]


def _host(state: State, vm: Vm) -> Host | None:
    return state.hosts.get(vm.host_id or "")


def vms(state: State) -> SearchObject[Vm]:
    """`VMs:`, sorted by name; related: `host`, `storage`, `template`."""

    def dc(vm: Vm) -> str | None:
        found = _dc_of_cluster(state, vm.cluster_id)
        return found.name if found else None

    def domains(vm: Vm) -> list[StorageDomain]:
        ids = {d.storage_domain_id for d in state.vm_disks(vm)}
        return [s for s in state.storage_domains.values() if s.id in ids]

    return SearchObject(
        "VMs",
        fields={
            "name": Field(lambda vm: vm.name),
            "id": Field(lambda vm: vm.id, Kind.ID),
            "status": Field(lambda vm: vm.status.value, Kind.ENUM, VM_STATUS),
            "cluster": Field(lambda vm: _cluster_name(state, vm.cluster_id)),
            "datacenter": Field(dc),
            "on_host": Field(lambda vm: _host_name(state, vm.host_id)),
            "type": Field(lambda vm: "server", Kind.ENUM, VM_TYPE),
            "memory": Field(lambda vm: vm.memory // MIB, Kind.NUMBER),
            "description": Field(_blank),
            "comment": Field(_blank),
        },
        default_sort=(("name", True),),
        crossrefs={
            "host": CrossRef(hosts(state, related=False), lambda vm: _one(_host(state, vm))),
            "storage": CrossRef(storage_domains(state), domains),
            "template": CrossRef(templates(state), lambda vm: [BLANK]),
        },
    )  # fmt: skip


def hosts(state: State, *, related: bool = True) -> SearchObject[Host]:
    """`Hosts:`, sorted by name; related: `vm`/`vms` (the VMs running there)."""

    def dc(host: Host) -> str | None:
        found = _dc_of_cluster(state, host.cluster_id)
        return found.name if found else None

    def running(host: Host) -> list[Vm]:
        return [vm for vm in state.vms.values() if vm.host_id == host.id]

    crossrefs: dict[str, CrossRef[Host]] = {}
    if related:
        plain_vms = _plain(vms(state))
        crossrefs = {"vm": CrossRef(plain_vms, running), "vms": CrossRef(plain_vms, running)}
    return SearchObject(
        "Hosts",
        fields={
            "name": Field(lambda h: h.name),
            "id": Field(lambda h: h.id, Kind.ID),
            "status": Field(lambda h: h.status, Kind.ENUM, HOST_STATUS),
            "cluster": Field(lambda h: _cluster_name(state, h.cluster_id)),
            "address": Field(lambda h: h.address),
            "datacenter": Field(dc),
            "comment": Field(_blank),
        },
        default_sort=(("name", True),),
        crossrefs=crossrefs,
    )


def _plain(obj: SearchObject[Any]) -> SearchObject[Any]:
    """The same object without related objects (a related object's relations are not used)."""
    return SearchObject(obj.name, obj.fields, obj.default_sort)


def disks(state: State) -> SearchObject[Disk]:
    """`Disks:`, sorted by alias then id; related: `storage`, `datacenter`."""

    def vm_names(disk: Disk) -> str | None:
        vm = state.vm_of_disk(disk.id)
        return vm.name if vm else None

    def domain(disk: Disk) -> list[StorageDomain]:
        return _one(state.storage_domains.get(disk.storage_domain_id))

    def dc(disk: Disk) -> list[DataCenter]:
        found = state.storage_domains.get(disk.storage_domain_id)
        return _one(state.data_centers.get(found.data_center_id)) if found else []

    return SearchObject(
        "Disks",
        fields={
            "alias": Field(lambda d: d.alias),
            "name": Field(lambda d: d.alias),
            "description": Field(lambda d: d.description),
            "id": Field(lambda d: d.id, Kind.ID),
            "status": Field(lambda d: d.status, Kind.ENUM, IMAGE_STATUS),
            "shareable": Field(lambda d: d.shareable, Kind.BOOL),
            "provisioned_size": Field(lambda d: d.provisioned_size, Kind.NUMBER),
            "size": Field(lambda d: d.provisioned_size, Kind.NUMBER),
            "number_of_vms": Field(lambda d: int(vm_names(d) is not None), Kind.NUMBER),
            "vm_names": Field(vm_names),
            "wipe_after_delete": Field(lambda d: False, Kind.BOOL),
        },
        default_sort=(("alias", True), ("id", True)),
        crossrefs={
            "storage": CrossRef(storage_domains(state), domain),
            "datacenter": CrossRef(data_centers(state), dc),
        },
    )


def events(state: State) -> SearchObject[Event]:
    """`Events:`, newest first; related: `vm`, `host`. A backup's or transfer's id is also
    free text of its events (fakeovirt's `subjects`) unless the profile says otherwise."""

    def user_name(event: Event) -> str | None:
        return event.user

    vm_of = _plain(vms(state))
    host_of = hosts(state, related=False)
    fields: dict[str, Field[Event]] = {
        "type": Field(lambda e: e.code, Kind.NUMBER),
        "severity": Field(lambda e: e.severity, Kind.ENUM, SEVERITY),
        "message": Field(lambda e: e.description),
        "usrname": Field(user_name),
        "event_host": Field(lambda e: _host_name(state, e.host_id)),
        "event_vm": Field(lambda e: _vm_name(state, e.vm_id)),
        "correlation_id": Field(lambda e: e.correlation_id),
        "origin": Field(lambda e: "oVirt"),
        "custom_event_id": Field(lambda e: -1, Kind.NUMBER),
        "_event_vm_id": Field(lambda e: e.vm_id),
        "_event_host_id": Field(lambda e: e.host_id),
    }
    return SearchObject(
        "Events",
        fields=fields,
        default_sort=(("_index", False),),
        crossrefs={
            "vm": CrossRef(vm_of, lambda e: _one(state.vms.get(e.vm_id or ""))),
            "host": CrossRef(host_of, lambda e: _one(state.hosts.get(e.host_id or ""))),
        },
        sort_only={"_index": Field(lambda e: e.index, Kind.NUMBER)},
        extra_text=(lambda e: e.subjects) if state.profile.event_subjects_searchable else None,
    )


def storage_domains(state: State) -> SearchObject[StorageDomain]:
    """`Storage:`, sorted by name."""

    def dc(domain: StorageDomain) -> str | None:
        found = state.data_centers.get(domain.data_center_id)
        return found.name if found else None

    return SearchObject(
        "Storage",
        fields={
            "name": Field(lambda s: s.name),
            "status": Field(lambda s: s.status, Kind.ENUM, DOMAIN_STATUS),
            "datacenter": Field(dc),
            "comment": Field(_blank),
            "description": Field(_blank),
        },
        default_sort=(("name", True),),
    )


def clusters(state: State) -> SearchObject[Cluster]:
    """`Clusters:`, sorted by name."""
    del state
    return SearchObject(
        "Clusters",
        fields={
            "name": Field(lambda c: c.name),
            "description": Field(_blank),
            "comment": Field(_blank),
        },
        default_sort=(("name", True),),
    )


def data_centers(state: State) -> SearchObject[DataCenter]:
    """`Datacenter:`, sorted by name."""
    del state
    return SearchObject(
        "Datacenter",
        fields={
            "name": Field(lambda d: d.name),
            "description": Field(_blank),
            "comment": Field(_blank),
            "status": Field(lambda d: d.status, Kind.ENUM, POOL_STATUS),
            "local": Field(lambda d: d.local, Kind.BOOL),
        },
        default_sort=(("name", True),),
    )


def jobs(state: State) -> SearchObject[Job]:
    """`Jobs:`, oldest first; the engine searches jobs only by `correlation_id`."""
    del state
    return SearchObject(
        "Jobs",
        fields={"correlation_id": Field(lambda j: None, Kind.ID)},
        default_sort=(("_start", True),),
        sort_only={"_start": Field(lambda j: j.start_time.isoformat())},
    )


def templates(state: State) -> SearchObject[Template]:
    """`Template:`, sorted by name."""
    del state
    return SearchObject(
        "Template",
        fields={
            "name": Field(lambda t: t.name),
            "id": Field(lambda t: t.id, Kind.ID),
            "description": Field(lambda t: t.description),
            "status": Field(lambda t: t.status, Kind.ENUM, TEMPLATE_STATUS),
            "comment": Field(_blank),
        },
        default_sort=(("name", True),),
    )
