"""Rendering backups, their disks, checkpoints and image transfers as oVirt v4 XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from fakeovirt.core.backups import listed_disk_ids
from fakeovirt.core.model import Backup, Checkpoint, ImageTransfer
from fakeovirt.core.phases import TransferPhase
from fakeovirt.core.state import State
from fakeovirt.web.follow import Follow
from fakeovirt.web.xmlout import entity, reference

from .inventory import (
    disks_member,
    host_ref,
    href,
    render_disk,
    render_disk_by_id,
    vm_ref,
)

__all__ = [
    "backup_fingerprint",
    "render_backup",
    "render_backup_disk",
    "render_checkpoint",
    "render_transfer",
]


def render_backup(state: State, backup: Backup, follow: Follow) -> ET.Element:
    base = href("vms", backup.vm_id, "backups", backup.id)
    disks, rels = disks_member(
        state,
        base,
        listed_disk_ids(backup),
        follow,
        lambda state, disk_id, f: render_backup_disk(state, backup, disk_id, f),
    )
    # The engine writes the snapshot as an id only: "restapi: revert snapshot link",
    # oVirt/ovirt-engine 27a8d1c3f67 (BackendVmBackupResource, BackendVmBackupsResource).
    snapshot = reference("snapshot", backup.snapshot_id, None) if backup.snapshot_id else None
    return entity(
        "backup",
        backup.id,
        base,
        attributes={
            "creation_date": backup.created,
            "description": backup.description,
            "from_checkpoint_id": backup.from_checkpoint_id,
            "modification_date": backup.modified,
            "phase": backup.phase.rest,
            "to_checkpoint_id": backup.to_checkpoint_id,
        },
        links={
            "disks": disks,
            "host": host_ref(state, backup.host_id, follow.get("host")),
            "snapshot": snapshot,
            "vm": vm_ref(state, backup.vm_id, follow.get("vm")),
        },
        rels=rels,
        actions=[("finalize", f"{base}/finalize")],
    )


def backup_fingerprint(backup: Backup) -> tuple[object, ...]:
    """Every value `render_backup` shows of `backup` when nothing is followed (then it reads
    nothing else): its answer is remembered while these stay equal (`web.documents`)."""
    return (
        backup.id,
        backup.vm_id,
        backup.created,
        backup.description,
        backup.from_checkpoint_id,
        backup.modified,
        backup.phase,
        backup.to_checkpoint_id,
        backup.snapshot_id,
        backup.host_id,
    )


def render_backup_disk(state: State, backup: Backup, disk_id: str, follow: Follow) -> ET.Element:
    return render_disk(
        state, state.disks[disk_id], follow, backup_mode=backup.backup_modes.get(disk_id, "full")
    )


def render_checkpoint(state: State, checkpoint: Checkpoint, follow: Follow) -> ET.Element:
    base = href("vms", checkpoint.vm_id, "checkpoints", checkpoint.id)
    disks, rels = disks_member(state, base, checkpoint.disk_ids, follow, render_disk_by_id)
    return entity(
        "checkpoint",
        checkpoint.id,
        base,
        attributes={
            "creation_date": checkpoint.created,
            "description": checkpoint.description,
            "parent_id": checkpoint.parent_id,
            "state": checkpoint.state,
        },
        links={"disks": disks, "vm": vm_ref(state, checkpoint.vm_id, follow.get("vm"))},
        rels=rels,
    )


def render_transfer(
    state: State, transfer: ImageTransfer, follow: Follow, *, data_url: str
) -> ET.Element:
    base = href("imagetransfers", transfer.id)
    transferring = transfer.phase is TransferPhase.TRANSFERRING
    url = f"{data_url}/images/{transfer.ticket}" if transferring else None
    disk = state.disks.get(transfer.disk_id)
    image_links: dict[str, ET.Element | None] = {
        "host": host_ref(state, transfer.host_id, follow.get("host")),
        "image": entity(
            "image",
            transfer.disk_id,
            None,
            attributes={"size": disk.provisioned_size if disk else None},
        ),
    }
    if "disk" in follow and disk is not None:
        image_links["disk"] = render_disk(state, disk, follow["disk"])
    return entity(
        "image_transfer",
        transfer.id,
        base,
        attributes={
            "active": transferring,
            "direction": transfer.direction,
            "format": transfer.format,
            "inactivity_timeout": transfer.inactivity_timeout,
            "phase": transfer.phase,
            "proxy_url": url,
            "shallow": transfer.shallow,
            "timeout_policy": transfer.timeout_policy,
            "transfer_url": url,
            "transferred": transfer.transferred,
        },
        links=image_links,
        actions=[
            (action, f"{base}/{action}")
            for action in ("cancel", "extend", "finalize", "pause", "resume")
        ],
    )
