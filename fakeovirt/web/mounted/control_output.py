"""The control plane's answers as JSON data: the inventory, events, times and phases."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fakeovirt.core.model import Disk, Event, Vm
from fakeovirt.core.phases import BackupPhase
from fakeovirt.core.snapshots import listing as snapshot_list
from fakeovirt.core.state import State

__all__ = ["event_json", "inventory_json", "iso", "phase_name"]


def iso(when: datetime) -> str:
    return when.isoformat(timespec="milliseconds")


def phase_name(phase: Any) -> str:
    return str(phase.rest if isinstance(phase, BackupPhase) else phase.value)


def inventory_json(state: State) -> dict[str, Any]:
    """Data centers, clusters, storage domains, hosts, and VMs with their disks, by name."""
    dcs = {d.id: d.name for d in state.data_centers.values()}
    clusters = {c.id: c.name for c in state.clusters.values()}
    return {
        "data_centers": [{"id": d.id, "name": d.name} for d in state.data_centers.values()],
        "clusters": [
            {"id": c.id, "name": c.name, "data_center": dcs.get(c.data_center_id)}
            for c in state.clusters.values()
        ],
        "storage_domains": [
            {
                "id": d.id,
                "name": d.name,
                "type": d.type,
                "storage": d.storage_type,
                "data_center": dcs.get(d.data_center_id),
                "available": d.available,
                "used": d.used,
                "committed": d.committed,
            }
            for d in state.storage_domains.values()
        ],
        "hosts": [
            {"id": h.id, "name": h.name, "cluster": clusters.get(h.cluster_id)}
            for h in state.hosts.values()
        ],
        "vms": [_vm(state, vm, clusters) for vm in state.vms.values()],
        "floating_disks": _floating_disks(state),
        "networks": [
            {"id": n.id, "name": n.name, "data_center": dcs.get(n.data_center_id)}
            for n in state.networks.values()
        ],
        "vnic_profiles": [
            {"id": p.id, "name": p.name, "network": state.networks[p.network_id].name}
            for p in state.vnic_profiles.values()
            if p.network_id in state.networks
        ],
    }


def _disk(state: State, disk: Disk) -> dict[str, Any]:
    domains = state.storage_domains
    return {
        "id": disk.id,
        "alias": disk.alias,
        "size": disk.content.size,
        "format": disk.format,
        "storage_domain": domains[disk.storage_domain_id].name
        if disk.storage_domain_id in domains
        else None,
        "status": disk.status,
        "sparse": disk.sparse,
        "backup": disk.backup,
    }


def _floating_disks(state: State) -> list[dict[str, Any]]:
    """The disks no VM holds (as a restore creates them before attaching)."""
    return [_disk(state, d) for d in state.floating_disks()]


def _vm(state: State, vm: Vm, clusters: dict[str, str]) -> dict[str, Any]:
    host = state.hosts.get(vm.host_id or "")
    attachments = {a.disk_id: a for a in vm.attachments}
    return {
        "id": vm.id,
        "name": vm.name,
        "status": vm.status.value,
        "freeze_fails": vm.guest.freeze_fails,
        "cluster": clusters.get(vm.cluster_id),
        "host": host.name if host else None,
        "disks": [
            {
                **_disk(state, d),
                "active": attachments[d.id].active,
                "bootable": attachments[d.id].bootable,
                "interface": attachments[d.id].interface,
                "volumes": _volumes(d),
            }
            for d in state.vm_disks(vm)
        ],
        "snapshots": [
            {
                "id": s.id,
                "description": s.description,
                "type": s.type,
                "status": s.status,
                "disks": dict(s.images),  # disk id -> the snapshot's volume
            }
            for s in snapshot_list(state, vm.id)
        ],
        "memory": vm.memory,
        "cpus": vm.cpus,
        "nics": [
            {
                "id": n.id,
                "name": n.name,
                "mac": n.mac,
                "vnic_profile": state.vnic_profiles[n.vnic_profile_id].name
                if n.vnic_profile_id in state.vnic_profiles
                else None,
            }
            for n in vm.nics
        ],
    }


def _volumes(disk: Disk) -> list[dict[str, Any]]:
    """A disk's volumes, base first: the snapshot layers and the active one."""
    return [
        {
            "image_id": v.image_id,
            "parent": v.parent_id,
            "active": v.active,
            "format": disk.volume_format(v.image_id),
            "status": disk.volume_state(v.image_id),
        }
        for v in disk.volumes.volumes()
    ]


def event_json(event: Event) -> dict[str, Any]:
    return {
        "index": event.index,
        "code": event.code,
        "severity": event.severity,
        "time": iso(event.time),
        "description": event.description,
        "vm": event.vm_id,
        "subjects": list(event.subjects),
    }
