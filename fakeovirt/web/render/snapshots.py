"""Rendering VM snapshots, their disks and disk snapshots as the engine maps them.

Sources (oVirt/ovirt-engine, REST = `restapi/jaxrs/.../resource/`, TYPES = `restapi/types/`):
- a snapshot (TYPES/SnapshotMapper.java:12-29) with, when it stores a VM configuration, that
  VM as it was (REST/BackendSnapshotsResource.java:138-147); the "Active VM" snapshot stores
  none, so it has no `<vm>` and no links;
- a snapshot's disks come from its configuration, without hrefs, each with `<snapshot id>`
  and its volume as `image_id` (REST/BackendSnapshotDisksResource.java:21-38);
- a disk snapshot is a volume (TYPES/DiskSnapshotMapper.java): its id the image id, `disk`,
  `parent`, and under a storage domain `storage_domain`; hrefs as
  REST/BackendDiskSnapshotsResource.java:43-55 and BackendStorageDomainDiskSnapshotResource.

This module knows nothing of the other renderers: a caller that can render a whole VM
(`inventory.render_vm`) passes it for `follow=vm`.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable

from fakeovirt.core.disksnapshots import DiskSnapshot
from fakeovirt.core.model import DiskConfiguration, Snapshot, Vm
from fakeovirt.core.state import State
from fakeovirt.web.follow import Follow
from fakeovirt.web.xmlout import API, collection, entity, reference

__all__ = [
    "VmRenderer",
    "render_disk_snapshot",
    "render_snapshot",
    "render_snapshot_disk",
]

VmRenderer = Callable[[State, Vm, Follow], ET.Element]


def _href(*parts: str) -> str:
    return "/".join((API, *parts))


def render_snapshot(
    state: State,
    snapshot: Snapshot,
    follow: Follow,
    *,
    render_vm: VmRenderer | None = None,
) -> ET.Element:
    base = _href("vms", snapshot.vm_id, "snapshots", snapshot.id)
    config = snapshot.configuration
    links: dict[str, ET.Element | None] = {}
    rels: list[tuple[str, str]] = []
    if config is not None:  # the Active VM stores no configuration: no vm, no links
        if "disks" in follow:
            inlined = follow["disks"]
            disks = (render_snapshot_disk(state, snapshot, d, inlined) for d in config.disks)
            links["disks"] = collection("disks", disks)
        else:
            rels.append(("disks", f"{base}/disks"))
        vm = state.vms.get(snapshot.vm_id)
        if "vm" in follow and vm is not None and render_vm is not None:
            links["vm"] = render_vm(state, vm, follow["vm"])
        else:
            links["vm"] = entity(
                "vm",
                snapshot.vm_id,
                None,
                attributes={
                    "creation_time": config.created,
                    "memory": config.memory,
                    "name": config.name,
                    "type": "server",
                },
                links={"cluster": reference("cluster", config.cluster_id, None)},
            )
    return entity(
        "snapshot",
        snapshot.id,
        base,
        attributes={
            "date": snapshot.date,
            "description": snapshot.description,
            "persist_memorystate": snapshot.memory,
            "snapshot_status": snapshot.status,
            "snapshot_type": snapshot.type,
        },
        links=links,
        rels=rels,
    )


def render_snapshot_disk(
    state: State, snapshot: Snapshot, config: DiskConfiguration, follow: Follow
) -> ET.Element:
    """One disk of a snapshot's configuration: its volume as `image_id`."""
    del follow
    image_id = snapshot.images.get(config.disk_id, config.image_id)
    disk = state.disks.get(config.disk_id)
    status = disk.volume_state(image_id) if disk is not None and image_id in disk.volumes else "ok"
    return entity(
        "disk",
        config.disk_id,
        None,
        attributes={
            "actual_size": config.actual_size,
            "alias": config.alias,
            "content_type": "data",
            "description": config.description or None,
            "format": config.format,
            "image_id": image_id,
            "name": config.alias,
            "propagate_errors": False,
            "provisioned_size": config.provisioned_size,
            "qcow_version": "qcow2_v3" if config.format == "cow" else None,
            "shareable": False,
            "sparse": config.sparse,
            "status": status,
            "storage_type": "image",
            "wipe_after_delete": False,
        },
        links={
            "snapshot": reference("snapshot", snapshot.id, None),
            "storage_domains": collection(
                "storage_domains", [reference("storage_domain", config.storage_domain_id, None)]
            ),
        },
    )


def render_disk_snapshot(
    state: State, found: DiskSnapshot, *, domain_id: str | None = None
) -> ET.Element:
    """A volume as `/disks/{id}/disksnapshots` (or, with `domain_id`, a domain's) shows it."""
    del state
    disk = found.disk
    owner = ("storagedomains", domain_id) if domain_id else ("disks", disk.id)
    base = _href(*owner, "disksnapshots")
    sd = disk.storage_domain_id
    parent = None
    if found.parent_id is not None:
        parent = reference("parent", found.parent_id, f"{base}/{found.parent_id}")
    base_volume = found.parent_id is None
    return entity(
        "disk_snapshot",
        found.image_id,
        f"{base}/{found.image_id}",
        attributes={
            "actual_size": found.actual_size,
            "alias": disk.alias,
            "content_type": "data",
            "description": disk.description or None,
            "format": found.format,
            "name": disk.alias,
            "propagate_errors": False,
            "provisioned_size": disk.provisioned_size,
            "qcow_version": "qcow2_v3" if found.format == "cow" else None,
            "shareable": disk.shareable,
            "sparse": disk.sparse if base_volume else True,
            "status": found.status,
            "storage_type": "image",
            "wipe_after_delete": False,
        },
        links={
            "disk": reference("disk", disk.id, _href("disks", disk.id)),
            "parent": parent,
            "snapshot": (
                reference("snapshot", found.snapshot.id, None) if found.snapshot else None
            ),
            "storage_domain": (
                reference("storage_domain", domain_id, _href("storagedomains", domain_id))
                if domain_id
                else None
            ),
            "storage_domains": collection(
                "storage_domains",
                [reference("storage_domain", sd, _href("storagedomains", sd))],
            ),
        },
    )
