"""VM snapshots: create, remove with a merge, and their locked status on the engine clock.

Rules of this file (oVirt/ovirt-engine `BLL/snapshots/CreateSnapshotForVmCommand.java`,
`RemoveSnapshotCommand.java`, `SnapshotsValidator.java`; snapshots-disks-vms.md §2):
- a command takes its locks first (`locks.acquire`), then validates in the engine's order,
  and changes nothing when it refuses;
- creating re-keys the VM's "Active VM" snapshot and gives its old id to the new snapshot
  (`updateActiveSnapshotId`, lines 717-731); each included disk's active volume is frozen
  under its image id (the snapshot's volume) and a new ``cow`` volume becomes active
  (`CreateSnapshotCommand.java:93-110`); the snapshot and those disks are ``locked`` until
  the volumes are made, then ``ok`` (`endVmCommand`, lines 436-480);
- removing locks the snapshot and every volume of its disks, merges each of its volumes
  with its child (`VolumeChain.remove`, the engine's backward merge) and then the snapshot
  is gone (`endVmCommand`, lines 322-369); no guest view changes;
- a locked status moves on the engine's clock and transition policy like a phase: after
  the policy's seconds, or under a per-read policy on the ``reads``+1-th read of the snapshot
  (the add reply is the first); `on_time` is what the schedule runs for ``("snapshot", id)``;
- the snapshot a snapshot-path backup takes is made and merged here too (`take_for_backup`,
  `remove_for_backup`), but its status follows the backup's phases (`backups.py`).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from . import locks
from . import messages as msg
from .content import BLOCK_SIZE
from .disks import domain_status
from .errors import BadRequest, Conflict, EngineFailure, NotFound
from .jobs import end_job, start_job
from .model import Backup, Disk, DiskConfiguration, Snapshot, Vm, VmConfiguration, VmStatus
from .policy import Progress
from .snapshot_attachments import attached_elsewhere
from .state import State
from .translate import render_for

__all__ = [
    "CREATE",
    "REMOVE",
    "SnapshotRequest",
    "active_snapshot",
    "advance",
    "create",
    "get",
    "listing",
    "observe",
    "on_time",
    "owner",
    "remove",
    "remove_for_backup",
    "schedule",
    "take_for_backup",
]

CREATE, REMOVE = "create Snapshot", "remove Snapshot"
MAX_DESCRIPTION = 4000  # BusinessEntitiesDefinitions.GENERAL_MAX_SIZE
_DESCRIPTION = re.compile(r"[\x00-\x7f\w]*")  # ValidationUtils.ONLY_I18N_ASCII_OR_NONE
_LOCKED = "locked"  # the status name a policy's timing is read for
_STATUS_NAMES = {  # VAR__VM_STATUS__* (AppErrors.properties:1399-1414)
    VmStatus.MIGRATING: "Migrating",
    VmStatus.SUSPENDED: "Suspended",
    VmStatus.IMAGE_LOCKED: "Image Locked",
    VmStatus.NOT_RESPONDING: "Not Responding",
    VmStatus.UNASSIGNED: "Unassigned",
    VmStatus.UNKNOWN: "Unknown",
}
_LIVE = (  # VM.isRunning() or Paused, on a host: a live snapshot (memory can be saved)
    VmStatus.UP,
    VmStatus.PAUSED,
    VmStatus.POWERING_UP,
    VmStatus.POWERING_DOWN,
    VmStatus.REBOOT_IN_PROGRESS,
    VmStatus.MIGRATING,
)
_MERGEABLE = (VmStatus.DOWN, VmStatus.UP, VmStatus.PAUSED)  # VM.isQualifiedForSnapshotMerge


@dataclass(frozen=True)
class SnapshotRequest:
    """A parsed `POST /vms/{vm}/snapshots`; `disk_ids` None: every disk that can take one."""

    description: str
    persist_memorystate: bool | None = None
    disk_ids: tuple[str, ...] | None = None
    image_ids: tuple[tuple[str, str], ...] = ()  # (disk id, image id the client chose)


# -- reading ---------------------------------------------------------------------------------
def get(state: State, snapshot_id: str) -> Snapshot:
    """A snapshot by id, whatever the VM in the URL (`GetSnapshotBySnapshotIdQuery`)."""
    snapshot = state.snapshots.get(snapshot_id)
    if snapshot is None:
        raise NotFound(msg.NOT_FOUND.format(kind="snapshot", id=snapshot_id))
    return snapshot


def listing(state: State, vm_id: str) -> list[Snapshot]:
    """The VM's snapshots, "Active VM" first, then by date."""
    return sorted(state.vm_snapshots(vm_id), key=lambda s: (s.type != "active", s.date))


def active_snapshot(state: State, vm_id: str) -> Snapshot | None:
    return next((s for s in state.vm_snapshots(vm_id) if s.type == "active"), None)


def owner(state: State, disk: Disk, image_id: str) -> Snapshot | None:
    """The VM snapshot a volume belongs to: the one that froze it, or "Active VM" for the
    active volume of an attached disk (a floating disk's has none)."""
    vm = state.vm_of_disk(disk.id)
    if vm is None:
        return None
    if image_id == disk.image_id:
        return active_snapshot(state, vm.id)
    return next((s for s in state.vm_snapshots(vm.id) if s.images.get(disk.id) == image_id), None)


# -- create ----------------------------------------------------------------------------------
def create(state: State, vm_id: str, request: SnapshotRequest, user: str) -> Snapshot:
    """`POST /vms/{vm}/snapshots` once the REST layer found a description."""
    _validate_inputs(request.description)
    locks.acquire(state, CREATE, exclusive=[locks.vm_key(vm_id)])
    vm = state.vms.get(vm_id)
    if vm is None:
        raise BadRequest(render_for(CREATE, msg.VM_NOT_FOUND))
    disks = _validate(state, vm, request)
    now = state.now()
    snapshot = _take(state, vm, disks, request.description, user, dict(request.image_ids))
    snapshot.memory = bool(
        (request.persist_memorystate is None or request.persist_memorystate)
        and vm.status in _LIVE
        and vm.host_id is not None
    )
    snapshot.progress = Progress(since=now)
    snapshot.locked_disks = [d.id for d in disks if d.status == "ok"]
    for disk_id in snapshot.locked_disks:
        state.disks[disk_id].status = "locked"
    snapshot.job_id = start_job(
        state, msg.JOB_CREATE_SNAPSHOT.format(snapshot=snapshot.description, vm=vm.name), user
    ).id
    state.log(
        "snapshot_started",
        msg.EVENT_SNAPSHOT_STARTED.format(snapshot=snapshot.description, vm=vm.name, user=user),
        user=user,
        vm=vm,
        subjects=(snapshot.id,),
    )
    observe(state, snapshot)  # the add reply is the snapshot's first read
    schedule(state, snapshot)
    return snapshot


def _validate_inputs(description: str) -> None:
    """`CreateSnapshotForVmParameters.description`: checked before locks and validate."""
    if not description:
        raise BadRequest(msg.SNAPSHOT_DESCRIPTION_EMPTY)
    if not _DESCRIPTION.fullmatch(description):
        raise BadRequest(msg.SNAPSHOT_DESCRIPTION_INVALID)
    if len(description) > MAX_DESCRIPTION:
        raise BadRequest(msg.SNAPSHOT_DESCRIPTION_MAX)


def _validate(state: State, vm: Vm, request: SnapshotRequest) -> list[Disk]:
    """`CreateSnapshotForVmCommand.validate()` (lines 250-326), in its order."""
    vm_disks = state.vm_disks(vm)
    if request.disk_ids:
        wanted = set(request.disk_ids)
        missing = sorted((d for d in wanted if d not in state.disks), key=_java_uuid_order)
        if missing:
            raise BadRequest(msg.DISKS_NOT_EXIST.format(what=CREATE, ids=", ".join(missing)))
        shared = [d.alias for d in vm_disks if d.id in wanted and d.shareable]  # isAllowSnapshot
        if shared:
            text = msg.DISK_SNAPSHOT_NOT_SUPPORTED.format(what=CREATE, aliases=", ".join(shared))
            raise BadRequest(text)
        attached = {d.id for d in vm_disks}
        foreign = [
            state.disks[d].alias for d in sorted(wanted, key=_java_uuid_order) if d not in attached
        ]
        if foreign:
            aliases = ", ".join(foreign)
            raise BadRequest(
                msg.DISKS_NOT_ATTACHED.format(what=CREATE, vm=vm.name, aliases=aliases)
            )
    if vm.status in (VmStatus.SAVING_STATE, VmStatus.RESTORING_STATE):
        raise Conflict(render_for(CREATE, msg.VM_IS_SAVING_RESTORING))
    if vm.status in _STATUS_NAMES:
        status = _STATUS_NAMES[vm.status]
        raise Conflict(render_for(CREATE, msg.VM_STATUS_ILLEGAL, vmStatus=status))
    if any(s.status == "locked" for s in state.vm_snapshots(vm.id)):
        raise Conflict(render_for(CREATE, msg.VM_IS_DURING_SNAPSHOT))
    if any(s.status == "in_preview" for s in state.vm_snapshots(vm.id)):
        raise Conflict(render_for(CREATE, msg.VM_IN_PREVIEW))
    disks = [d for d in vm_disks if not d.shareable]
    if request.disk_ids is not None:
        disks = [d for d in disks if d.id in set(request.disk_ids)]
    _check_images(state, disks, CREATE)
    chosen = {image for disk_id, image in request.image_ids if disk_id in {d.id for d in disks}}
    taken = sorted(i for i in chosen if any(i in d.volumes for d in disks))
    if taken:
        raise Conflict(msg.SNAPSHOT_IMAGE_EXISTS.format(what=CREATE, ids=", ".join(taken)))
    _check_domains(state, disks, CREATE)
    return disks


def _check_images(state: State, disks: list[Disk], what: str) -> None:
    """`DiskImagesValidator.diskImagesNotLocked`, then `diskImagesNotIllegal`."""
    locked = [d.alias for d in disks if d.status == "locked"]
    if locked:
        raise Conflict(render_for(what, msg.DISKS_LOCKED, diskAliases=", ".join(locked)))
    illegal = [d.alias for d in disks if d.status == "illegal"]
    if illegal:
        raise EngineFailure(msg.DISKS_ILLEGAL.format(what=what, aliases=", ".join(illegal)))


def _check_domains(state: State, disks: list[Disk], what: str) -> None:
    """`MultipleStorageDomainsValidator.allDomainsExistAndActive` (space is not modelled)."""
    for disk in disks:
        domain = state.storage_domains.get(disk.storage_domain_id)
        if domain is not None and domain.status != "active":
            status = domain_status(domain)
            raise Conflict(render_for(what, msg.STORAGE_DOMAIN_STATUS_ILLEGAL, status=status))


def _java_uuid_order(value: str) -> tuple[int, int, int, str]:
    """Java's `UUID.compareTo` (signed halves), as the engine's sorted sets of disk ids."""
    try:
        number = uuid.UUID(value).int
    except ValueError:
        return (1, 0, 0, value)
    high, low = number >> 64, number & ((1 << 64) - 1)
    return (0, high - (1 << 64) * (high >> 63), low - (1 << 64) * (low >> 63), value)


def _take(
    state: State,
    vm: Vm,
    disks: list[Disk],
    description: str,
    user: str,
    chosen: dict[str, str],
) -> Snapshot:
    """Freeze the disks' active volumes under a new snapshot; return it, locked."""
    now = state.now()
    active = active_snapshot(state, vm.id)
    if active is not None:  # the new snapshot takes the active one's id
        created_id = active.id
        del state.snapshots[active.id]
        active.id = state.ids.new()
        state.snapshots[active.id] = active
    else:
        created_id = state.ids.new()
    configuration = _configuration(state, vm, disks)
    images = {}
    for disk in disks:
        new_image = chosen.get(disk.id) or state.ids.new()
        images[disk.id] = disk.volumes.create_snapshot(new_image)
        disk.volume_formats[new_image] = "cow"  # CreateSnapshotCommand: cow, sparse
    snapshot = Snapshot(
        id=created_id,
        vm_id=vm.id,
        description=description,
        date=now,
        disk_ids=[d.id for d in disks],
        status="locked",
        images=images,
        configuration=configuration,
        user=user,
    )
    state.snapshots[snapshot.id] = snapshot
    return snapshot


def _configuration(state: State, vm: Vm, disks: list[Disk]) -> VmConfiguration:
    """The VM as the snapshot keeps it: its own members and the included disks' volumes.

    HOOK (OVF): when fakeovirt writes a VM's OVF (`GET /vms/{id}?all_content=true`), pass
    its text here as ``ovf=``; `web/render/snapshots.py` then shows it as the snapshot's
    ``initialization/configuration`` under ``all_content=true``
    (`REST/BackendSnapshotsResource.java:168-188`).
    """
    kept = []
    for disk in disks:
        attachment = vm.attachment(disk.id)
        kept.append(
            DiskConfiguration(
                disk_id=disk.id,
                image_id=disk.image_id,  # the volume about to be frozen
                alias=disk.alias,
                format=disk.active_format,
                sparse=disk.sparse,
                provisioned_size=disk.provisioned_size,
                actual_size=disk.volumes.volume(disk.image_id).own.stored_blocks * BLOCK_SIZE,
                storage_domain_id=disk.storage_domain_id,
                description=disk.description,
                interface=attachment.interface if attachment else "virtio_scsi",
                bootable=attachment.bootable if attachment else False,
                active=attachment.active if attachment else False,
            )
        )
    return VmConfiguration(
        name=vm.name,
        memory=vm.memory,
        cluster_id=vm.cluster_id,
        created=vm.created,
        disks=tuple(kept),
        ovf=None,
    )


# -- remove ----------------------------------------------------------------------------------
def remove(state: State, vm_id: str, snapshot_id: str, user: str) -> None:
    """`DELETE /vms/{vm}/snapshots/{id}`: the REST layer's get (404), then RemoveSnapshot."""
    snapshot = get(state, snapshot_id)
    locks.acquire(state, REMOVE, exclusive=[locks.vm_key(vm_id)])
    vm = state.vms.get(vm_id)
    if vm is None:
        raise BadRequest(render_for(REMOVE, msg.VM_NOT_FOUND))
    _validate_remove(state, vm, snapshot)
    now = state.now()
    snapshot.job_id = start_job(
        state, msg.JOB_REMOVE_SNAPSHOT.format(snapshot=snapshot.description, vm=vm.name), user
    ).id
    state.log(
        "snapshot_remove_started",
        msg.EVENT_SNAPSHOT_REMOVE_STARTED.format(
            snapshot=snapshot.description, vm=vm.name, user=user
        ),
        user=user,
        vm=vm,
        subjects=(snapshot.id,),
    )
    if not snapshot.images and not snapshot.memory:  # no images: gone at once (lines 158-164)
        del state.snapshots[snapshot.id]
        end_job(state, snapshot.job_id, succeeded=True, when=now)
        return
    snapshot.status, snapshot.removing = "locked", True
    snapshot.progress = Progress(since=now)
    snapshot.locked_disks = []
    for disk_id in snapshot.images:  # lockSnapshot: every image of its disks (lines 284-295)
        disk = state.disks.get(disk_id)
        if disk is not None:
            snapshot.locked_disks.append(disk_id)
            for image_id in disk.volumes.image_ids:
                disk.set_volume_state(image_id, "locked")
    advance(state, snapshot)
    schedule(state, snapshot)


def _validate_remove(state: State, vm: Vm, snapshot: Snapshot) -> None:
    """`RemoveSnapshotCommand.validate()` (lines 381-424, 502-544), in its order."""
    if any(not b.phase.finished for b in state.iter_vm_backups(vm.id)):
        raise Conflict(render_for(REMOVE, msg.VM_IS_DURING_BACKUP))
    mine = set(snapshot.images)
    if mine and any(
        s.status == "locked" and mine & set(s.images) for s in state.vm_snapshots(vm.id)
    ):
        raise Conflict(render_for(REMOVE, msg.VM_IS_DURING_SNAPSHOT))
    if any(s.status == "in_preview" for s in state.vm_snapshots(vm.id)):
        raise Conflict(render_for(REMOVE, msg.VM_IN_PREVIEW))
    if snapshot.vm_id != vm.id:
        raise BadRequest(render_for(REMOVE, msg.VM_SNAPSHOT_DOES_NOT_EXIST))
    if snapshot.type != "regular":
        raise Conflict(render_for(REMOVE, msg.VM_SNAPSHOT_TYPE_NOT_REGULAR))
    if vm.status not in _MERGEABLE:
        raise Conflict(msg.VM_NOT_DOWN_OR_UP.format(what=REMOVE, vm=vm.name))
    elsewhere = attached_elsewhere(state, vm)  # line 403
    if elsewhere:
        info = "\n".join(elsewhere)
        raise Conflict(render_for(REMOVE, msg.DISK_SNAPSHOT_ATTACHED_TO_ANOTHER_VM, disksInfo=info))
    images = [(state.disks[d], i) for d, i in snapshot.images.items() if d in state.disks]
    if not images:
        return
    chain = [(disk, image) for disk, image in images] + [
        (disk, child) for disk, image in images if (child := _child(disk, image)) is not None
    ]
    locked = [disk.alias for disk, image in chain if disk.volume_state(image) == "locked"]
    if locked:
        raise Conflict(render_for(REMOVE, msg.DISKS_LOCKED, diskAliases=", ".join(locked)))
    if vm.status is VmStatus.DOWN:
        illegal = [disk.alias for disk, image in chain if disk.volume_state(image) == "illegal"]
        if illegal:
            text = msg.DISKS_ILLEGAL.format(what=REMOVE, aliases=", ".join(illegal))
            raise EngineFailure(text)
    else:
        unplugged = [
            disk.alias
            for disk, _ in images
            if not ((a := vm.attachment(disk.id)) is not None and a.active)
        ]
        if unplugged:
            text = msg.SNAPSHOT_UNPLUGGED_DISKS.format(what=REMOVE, aliases="\n".join(unplugged))
            raise Conflict(text)
    _check_domains(state, [disk for disk, _ in images], REMOVE)


def _child(disk: Disk, image_id: str) -> str | None:
    ids = disk.volumes.image_ids
    if image_id not in ids:
        return None
    index = ids.index(image_id)
    return ids[index + 1] if index + 1 < len(ids) else None


def _merge(state: State, snapshot: Snapshot) -> None:
    """Merge each of the snapshot's volumes with its child, then forget the snapshot."""
    for disk_id, image_id in snapshot.images.items():
        disk = state.disks.get(disk_id)
        if disk is None or _child(disk, image_id) is None:
            continue
        child = disk.volumes.remove(image_id)  # image_id takes the child's place
        disk.volume_formats.pop(child, None)
        if disk.image_id != image_id:
            disk.volume_status[image_id] = disk.volume_status.pop(child, "ok")
            later = next(
                (s for s in state.vm_snapshots(snapshot.vm_id) if s.images.get(disk_id) == child),
                None,
            )
            if later is not None:
                later.images[disk_id] = image_id
    state.snapshots.pop(snapshot.id, None)
    state.schedule.at(("snapshot", snapshot.id), None)


# -- the snapshot-path backup's own snapshot --------------------------------------------------
def take_for_backup(state: State, vm: Vm, backup: Backup) -> Snapshot:
    """HybridBackupCommand's "Auto-generated for Backup VM" snapshot of the backup's disks.

    Its status follows the backup (``ok`` when the backup is ready); the disks keep their
    status, as fakeovirt's snapshot path always showed them.
    """
    disks = [state.disks[d] for d in backup.disk_ids]
    snapshot = _take(state, vm, disks, msg.SNAPSHOT_FOR_BACKUP, backup.user, {})
    snapshot.backup_id = backup.id
    return snapshot


def remove_for_backup(state: State, snapshot: Snapshot, user: str) -> None:
    """The backup's end removes its snapshot (`HybridBackupCommand.removeAutoGeneratedSnapshot`):
    the merge runs before the backup ends, so it is done at once."""
    vm = state.vms.get(snapshot.vm_id)
    texts = {"snapshot": snapshot.description, "vm": vm.name if vm else "", "user": user}
    state.log(
        "snapshot_remove_started",
        msg.EVENT_SNAPSHOT_REMOVE_STARTED.format(**texts),
        user=user,
        vm=vm,
        subjects=(snapshot.id,),
    )
    _merge(state, snapshot)
    state.log(
        "snapshot_remove_finished",
        msg.EVENT_SNAPSHOT_REMOVE_FINISHED.format(**texts),
        vm=vm,
        subjects=(snapshot.id,),
    )


# -- the locked status on the engine's clock -------------------------------------------------
def observe(state: State, snapshot: Snapshot) -> None:
    """A client reads the snapshot: apply what is due on this read, then count it."""
    advance(state, snapshot, on_read=True)
    if snapshot.progress is not None:
        snapshot.progress.reads += 1


def advance(state: State, snapshot: Snapshot, *, on_read: bool = False) -> None:
    """End the locked status when the policy says so (a per-read policy only on a read)."""
    progress = snapshot.progress
    if snapshot.status != "locked" or progress is None or snapshot.id not in state.snapshots:
        return
    policy = state.policy
    if policy.reads is not None and not on_read:
        return
    now = state.now()
    if not progress.due(policy, _LOCKED, now):
        return
    since = progress.next_since(policy, now, _LOCKED)
    vm = state.vms.get(snapshot.vm_id)
    texts = {"snapshot": snapshot.description, "vm": vm.name if vm else ""}
    for disk_id in snapshot.locked_disks:
        disk = state.disks.get(disk_id)
        if disk is None:
            continue
        if snapshot.removing:  # every image of the disk was locked (lockSnapshot)
            for image_id in disk.volumes.image_ids:
                disk.set_volume_state(image_id, "ok")
        elif disk.status == "locked":  # the new active volume (CreateSnapshotCommand)
            disk.status = "ok"
    snapshot.locked_disks = []
    snapshot.progress = None
    if snapshot.removing:
        _merge(state, snapshot)
        kind, text = "snapshot_remove_finished", msg.EVENT_SNAPSHOT_REMOVE_FINISHED
    else:
        snapshot.status = "ok"
        kind, text = "snapshot_finished", msg.EVENT_SNAPSHOT_FINISHED
    state.log(kind, text.format(**texts), vm=vm, subjects=(snapshot.id,))
    end_job(state, snapshot.job_id, succeeded=True, when=since)
    state.schedule.at(("snapshot", snapshot.id), None)


def schedule(state: State, snapshot: Snapshot) -> None:
    """Put the snapshot on the engine's schedule for when its locked status ends."""
    progress = snapshot.progress
    if snapshot.id not in state.snapshots or progress is None or snapshot.status != "locked":
        return
    state.schedule.at(("snapshot", snapshot.id), progress.due_at(state.policy, _LOCKED))


def on_time(state: State, snapshot_id: str) -> None:
    """What the schedule runs for ``("snapshot", id)``."""
    snapshot = state.snapshots.get(snapshot_id)
    if snapshot is None:
        return
    advance(state, snapshot)
    schedule(state, snapshot)
