"""Rendering the inventory (API root, VMs, disks, attachments, hosts, clusters, data
centers, storage domains, snapshots, events, jobs) as oVirt v4 elements."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import datetime

from fakeovirt.core.model import (
    Cluster,
    DataCenter,
    Disk,
    DiskAttachment,
    Event,
    Host,
    Job,
    StorageDomain,
    Vm,
)
from fakeovirt.core.ovf import vm_ovf
from fakeovirt.core.snapshots import listing as snapshot_list
from fakeovirt.core.state import State
from fakeovirt.core.templates import BLANK
from fakeovirt.web.follow import Follow
from fakeovirt.web.xmlout import API, collection, entity, format_date, nested, reference

from .permissions import render_permission, vm_permissions
from .snapshots import render_snapshot
from .statistics import host_statistics, render_statistic
from .templates import template_ref

__all__ = [
    "FOLLOWABLE",
    "disks_member",
    "host_ref",
    "href",
    "render_api",
    "render_attachment",
    "render_cluster",
    "render_data_center",
    "render_disk",
    "render_event",
    "render_host",
    "render_host_storage",
    "render_job",
    "render_storage_domain",
    "render_vm",
    "user_id",
    "vm_ref",
]

FOLLOWABLE = {
    "vm": ("disk_attachments", "snapshots", "host", "cluster", "template", "permissions"),
    "disk_attachment": ("disk", "vm"),
    "disk": ("storage_domains",),
    "backup": ("disks", "vm", "host"),
    "checkpoint": ("disks", "vm"),
    "image_transfer": ("disk", "host"),
    "snapshot": ("disks", "vm"),
    "disk_snapshot": (),
    "event": ("vm", "host"),
    "host": ("cluster", "statistics"),
    "cluster": ("data_center",),
    "storage_domain": ("data_centers",),
    "data_center": (),
    "job": (),
    "template": (),
    "permission": (),
    "statistic": (),
    "nic": ("vnic_profile", "vm"),
    "vnic_profile": ("network",),
    "network": ("data_center", "vnic_profiles"),
}


def href(*parts: str) -> str:
    return "/".join((API, *parts))


def version(
    major: int, minor: int, *, build: int | None = None, full: str | None = None
) -> ET.Element:
    return entity(
        "version",
        attributes={
            "build": build,
            "full_version": full,
            "major": major,
            "minor": minor,
            "revision": 0 if build is not None else None,
        },
    )


def render_api(state: State, *, user_id: str, now: datetime, instance_id: str) -> ET.Element:
    rels = [
        (rel, href(rel))
        for rel in (
            "clusters",
            "datacenters",
            "disks",
            "events",
            "hosts",
            "imagetransfers",
            "jobs",
            "storagedomains",
            "templates",
            "vms",
        )
    ]
    product = nested(
        "product_info",
        {
            "instance_id": instance_id,
            "name": "oVirt Engine",
            "vendor": "ovirt.org",
            "version": version(4, 5, build=6, full="4.5.6-fakeovirt"),
        },
    )
    summary = ET.Element("summary")
    for name, total, active in (
        ("hosts", len(state.hosts), sum(h.status == "up" for h in state.hosts.values())),
        ("storage_domains", len(state.storage_domains), len(state.storage_domains)),
        ("users", 1, 1),
        ("vms", len(state.vms), sum(v.status.value == "up" for v in state.vms.values())),
    ):
        summary.append(nested(name, {"active": active, "total": total}))
    api = ET.Element("api")
    for rel, link in rels:
        ET.SubElement(api, "link", {"href": link, "rel": rel})
    api.append(product)
    api.append(summary)
    ET.SubElement(api, "time").text = format_date(now)
    api.append(reference("authenticated_user", user_id, href("users", user_id)))
    api.append(reference("effective_user", user_id, href("users", user_id)))
    return api


def vm_ref(state: State, vm_id: str, follow: Follow | None) -> ET.Element:
    if follow is not None and vm_id in state.vms:
        return render_vm(state, state.vms[vm_id], follow, tag="vm")
    return reference("vm", vm_id, href("vms", vm_id))


def host_ref(state: State, host_id: str | None, follow: Follow | None) -> ET.Element | None:
    if host_id is None:
        return None
    if follow is not None and host_id in state.hosts:
        return render_host(state, state.hosts[host_id], follow)
    return reference("host", host_id, href("hosts", host_id))


def render_vm(
    state: State,
    vm: Vm,
    follow: Follow,
    *,
    tag: str = "vm",
    all_content: bool = False,
    creation_status: str | None = None,
) -> ET.Element:
    """A VM; with `all_content` also its configuration (the OVF) as the engine's `doPopulate`
    adds it (`BackendVmResource.java:644-653`)."""
    base = href("vms", vm.id)
    links: dict[str, ET.Element | None] = {
        "cluster": (
            render_cluster(state, state.clusters[vm.cluster_id], follow["cluster"])
            if "cluster" in follow
            else reference("cluster", vm.cluster_id, href("clusters", vm.cluster_id))
        ),
        "host": host_ref(state, vm.host_id, follow.get("host")),
        "template": template_ref(BLANK, follow.get("template")),
    }
    rels = []
    if "disk_attachments" in follow:
        links["disk_attachments"] = collection(
            "disk_attachments",
            (
                render_attachment(state, a, follow["disk_attachments"])
                for a in vm.every_attachment()
            ),
        )
    else:
        rels.append(("diskattachments", f"{base}/diskattachments"))
    if "snapshots" in follow:
        links["snapshots"] = collection(
            "snapshots",
            (
                render_snapshot(state, s, follow["snapshots"], render_vm=render_vm)
                for s in snapshot_list(state, vm.id)
            ),
        )
    else:
        rels.append(("snapshots", f"{base}/snapshots"))
    rels += [("backups", f"{base}/backups"), ("checkpoints", f"{base}/checkpoints")]
    if "permissions" in follow:
        links["permissions"] = collection(
            "permissions", (render_permission(p) for p in vm_permissions(vm.id))
        )
    else:
        rels.append(("permissions", f"{base}/permissions"))
    rels.append(("nics", f"{base}/nics"))
    return entity(
        tag,
        vm.id,
        base,
        attributes={
            "comment": vm.comment or None,
            "cpu": nested(
                "cpu",
                {
                    "topology": nested(
                        "topology",
                        {
                            "cores": vm.cpu_cores,
                            "sockets": vm.cpu_sockets,
                            "threads": vm.cpu_threads,
                        },
                    )
                },
            ),
            "creation_status": creation_status,
            "creation_time": vm.created,
            "delete_protected": vm.delete_protected,
            "description": vm.description or None,
            "initialization": _configuration(state, vm) if all_content else None,
            "memory": vm.memory,
            "memory_policy": nested(
                "memory_policy",
                {"ballooning": True, "guaranteed": vm.guaranteed_memory, "max": vm.max_memory},
            ),
            "name": vm.name,
            "os": nested("os", {"type": vm.os}),
            "stateless": vm.stateless,
            "status": vm.status,
            "stop_reason": vm.stop_reason,
            "stop_time": vm.stopped,
            "type": vm.type,
            "start_time": (vm.started or vm.created) if vm.status.value == "up" else None,
        },
        links=links,
        rels=rels,
    )


def _configuration(state: State, vm: Vm) -> ET.Element | None:
    """`<initialization><configuration>`: the OVF, when the engine writes one (no disk of
    the VM is locked: `OvfHelper.generateOvfConfigurationForVm`)."""
    data = vm_ovf(state, vm)
    if data is None:
        return None
    configuration = nested("configuration", {"data": data, "type": "ovf"})
    return nested("initialization", {"configuration": configuration})


def render_attachment(
    state: State,
    attachment: DiskAttachment,
    follow: Follow,
    *,
    creation_status: str | None = None,
) -> ET.Element:
    disk = state.disks.get(attachment.disk_id)
    return entity(
        "disk_attachment",
        attachment.disk_id,
        href("vms", attachment.vm_id, "diskattachments", attachment.disk_id),
        attributes={
            "active": attachment.active,
            "bootable": attachment.bootable,
            "creation_status": creation_status,
            "interface": attachment.interface,
            "pass_discard": attachment.pass_discard,
            "read_only": attachment.read_only,
            "uses_scsi_reservation": attachment.uses_scsi_reservation,
        },
        links={
            "disk": (
                render_disk(state, disk, follow["disk"])
                if disk is not None and "disk" in follow
                else reference("disk", attachment.disk_id, href("disks", attachment.disk_id))
            ),
            "vm": vm_ref(state, attachment.vm_id, follow.get("vm")),
        },
    )


def render_disk(
    state: State,
    disk: Disk,
    follow: Follow,
    *,
    backup_mode: str | None = None,
    tag: str = "disk",
    creation_status: str | None = None,
) -> ET.Element:
    actual = disk.content.stored_blocks * 64 * 1024
    domain = state.storage_domains.get(disk.storage_domain_id)
    if "storage_domains" in follow and domain is not None:
        domains = render_storage_domain(state, domain, follow["storage_domains"])
    else:
        domains = reference(
            "storage_domain", disk.storage_domain_id, href("storagedomains", disk.storage_domain_id)
        )
    vm = state.vm_of_disk(disk.id)
    vms = collection("vms", [reference("vm", vm.id, href("vms", vm.id))]) if vm else None
    return entity(
        tag,
        disk.id,
        href("disks", disk.id),
        attributes={
            "actual_size": actual,
            "alias": disk.alias,
            "backup": disk.backup,
            "backup_mode": backup_mode or disk.backup_mode,
            "content_type": disk.content_type,
            "creation_status": creation_status,
            "description": disk.description or None,
            "format": disk.format,
            "image_id": disk.image_id,
            "name": disk.alias,
            "propagate_errors": disk.propagate_errors,
            "provisioned_size": disk.provisioned_size,
            "qcow_version": "qcow2_v3" if disk.qcow2 else None,
            "shareable": disk.shareable,
            "sparse": disk.sparse,
            "status": disk.status,
            "storage_type": "image",
            "total_size": actual,
            "wipe_after_delete": disk.wipe_after_delete,
        },
        links={"storage_domains": collection("storage_domains", [domains]), "vms": vms},
    )


def render_host(state: State, host: Host, follow: Follow) -> ET.Element:
    cluster = state.clusters.get(host.cluster_id)
    statistics, rels = None, [("statistics", href("hosts", host.id, "statistics"))]
    if "statistics" in follow:
        stats = (render_statistic(host.id, s) for s in host_statistics())
        statistics, rels = collection("statistics", stats), []
    return entity(
        "host",
        host.id,
        href("hosts", host.id),
        attributes={"address": host.address, "name": host.name, "status": host.status},
        links={
            "cluster": (
                render_cluster(state, cluster, follow["cluster"])
                if cluster is not None and "cluster" in follow
                else reference("cluster", host.cluster_id, href("clusters", host.cluster_id))
            ),
            "statistics": statistics,
        },
        rels=rels,
    )


def render_cluster(state: State, cluster: Cluster, follow: Follow) -> ET.Element:
    dc = state.data_centers.get(cluster.data_center_id)
    return entity(
        "cluster",
        cluster.id,
        href("clusters", cluster.id),
        attributes={"name": cluster.name, "version": version(*cluster.version)},
        links={
            "data_center": (
                render_data_center(state, dc, {})
                if dc is not None and "data_center" in follow
                else reference(
                    "data_center",
                    cluster.data_center_id,
                    href("datacenters", cluster.data_center_id),
                )
            )
        },
    )


def render_data_center(state: State, dc: DataCenter, follow: Follow) -> ET.Element:
    del state, follow
    return entity(
        "data_center",
        dc.id,
        href("datacenters", dc.id),
        attributes={
            "local": dc.local,
            "name": dc.name,
            "status": dc.status,
            "storage_format": dc.storage_format,
            "version": version(*dc.version),
        },
    )


def render_storage_domain(state: State, domain: StorageDomain, follow: Follow) -> ET.Element:
    dc = state.data_centers.get(domain.data_center_id)
    if dc is not None and "data_centers" in follow:
        dc_element = render_data_center(state, dc, {})
    else:
        dc_element = reference(
            "data_center", domain.data_center_id, href("datacenters", domain.data_center_id)
        )
    return entity(
        "storage_domain",
        domain.id,
        href("storagedomains", domain.id),
        attributes={
            "available": domain.available,
            "committed": domain.committed,
            "master": domain.master,
            "name": domain.name,
            "status": domain.status,
            "storage": render_host_storage(domain),
            "storage_format": domain.storage_format,
            "type": domain.type,
            "used": domain.used,
        },
        links={"data_centers": collection("data_centers", [dc_element])},
    )


def render_host_storage(domain: StorageDomain) -> ET.Element:
    """A domain's `storage`: its type, and for file storage where it is mounted from."""
    kind = domain.storage_type
    remote = kind in ("nfs", "glusterfs", "posixfs")
    return nested(
        "storage",
        {
            "address": "storage.fakeovirt.test" if remote else None,
            "path": f"/exports/{domain.name}" if remote or kind == "localfs" else None,
            "type": kind,
        },
    )


def render_disk_by_id(state: State, disk_id: str, follow: Follow) -> ET.Element:
    return render_disk(state, state.disks[disk_id], follow)


def disks_member(
    state: State,
    base: str,
    disk_ids: list[str],
    follow: Follow,
    render_one: Callable[[State, str, Follow], ET.Element],
) -> tuple[ET.Element | None, list[tuple[str, str]]]:
    """A `disks` sub-collection: inlined when followed, else a `<link rel="disks">`."""
    if "disks" not in follow:
        return None, [("disks", f"{base}/disks")]
    rendered = (render_one(state, d, follow["disks"]) for d in disk_ids if d in state.disks)
    return collection("disks", rendered), []


def render_event(state: State, event: Event, follow: Follow) -> ET.Element:
    return entity(
        "event",
        str(event.index),
        href("events", str(event.index)),
        attributes={
            "code": event.code,
            "correlation_id": event.correlation_id,
            "custom_data": event.custom_data,
            "custom_id": event.custom_id,
            "description": event.description,
            "flood_rate": event.flood_rate,
            "index": event.index,
            "log_on_host": False,
            "origin": event.origin,
            "severity": event.severity,
            "time": event.time,
        },
        links={
            "cluster": _ref("cluster", event.cluster_id, "clusters"),
            "data_center": _ref("data_center", event.data_center_id, "datacenters"),
            "storage_domain": _ref("storage_domain", event.storage_domain_id, "storagedomains"),
            "template": _ref("template", event.template_id, "templates"),
            "host": host_ref(state, event.host_id, follow.get("host")),
            "user": (
                reference("user", user_id(event.user), href("users", user_id(event.user)))
                if event.user
                else None
            ),
            "vm": vm_ref(state, event.vm_id, follow.get("vm")) if event.vm_id else None,
        },
    )


def _ref(tag: str, id_: str | None, collection_path: str) -> ET.Element | None:
    return reference(tag, id_, href(collection_path, id_)) if id_ else None


def user_id(name: str | None) -> str:
    """A stable id for a user name: fakeovirt has user names, not user entities."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"fakeovirt-user:{name}"))


def render_job(state: State, job: Job, follow: Follow) -> ET.Element:
    del state, follow
    return entity(
        "job",
        job.id,
        href("jobs", job.id),
        attributes={
            "auto_cleared": True,
            "description": job.description,
            "end_time": job.end_time,
            "external": False,
            "last_updated": job.last_updated,
            "start_time": job.start_time,
            "status": job.status,
        },
        links={
            "owner": reference("owner", user_id(job.owner), href("users", user_id(job.owner)))
            if job.owner
            else None
        },
        rels=[("steps", href("jobs", job.id, "steps"))],
    )
