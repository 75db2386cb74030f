"""Disk attachments: attach, detach, hot plug and unplug, and updates (extend included).

Rules of this file:
- each command checks its locks (`locks.require`), then validates in its engine order, and
  changes nothing when it refuses:
  AttachDiskToVm `BLL/storage/disk/AttachDiskToVmCommand.java:100-216`,
  DetachDiskFromVm `DetachDiskFromVmCommand.java:61-110`,
  HotPlugDiskToVm / HotUnPlugDiskFromVm `HotPlugDiskToVmCommand.java:76-161`,
  UpdateDisk `UpdateDiskCommand.java:237-476`;
- attach, detach and plugging are synchronous; an update keeps the disk `locked` until the
  engine has applied it (the command's callback), and an extend grows the active volume then;
- a `snapshot_id` attaches another VM's disk as of that snapshot (the checks in
  `snapshot_attachments.py`, in AttachDiskToVm's order): it needs no shareable disk, does not
  bump the VM's generation (`AttachDiskToVmCommand.java:170,262-264`) and is kept apart in
  `Vm.snapshot_attachments`, so every other command sees the VM's own disks only; detaching
  it skips the "disk with snapshots" check (`DetachDiskFromVmCommand.java:94-102`);
- detaching a disk, or a disk snapshot (`DetachDiskFromVmCommand.java:136-137`), removes the
  disk from every checkpoint, and a checkpoint left without disks is deleted, as
  `VmCheckpointDao.removeAllCheckpointsByDiskId` does (`DeleteAllCheckpointsByDiskId` in
  `vm_checkpoints_sp.sql`): detaching a disk snapshot from the agent VM ends the disk's
  incremental chain on its own VM, as on the engine.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import locks
from . import messages as msg
from .content import BLOCK_SIZE
from .disks import (
    BLOCK_STORAGE,
    INTERFACE_NAMES,
    MAX_BLOCK_DISK_GIB,
    OS_NAME,
    GiB,
    boot_disk,
    domain_status,
    required_space,
    schedule,
    snapshot_checks,
)
from .jobs import start_job
from .model import Disk, DiskAttachment, PendingWork, Vm, VmStatus
from .policy import Progress
from .snapshot_attachments import check_snapshot, disk_as_of
from .state import State
from .translate import Command, refuse
from .vmstatus import localized, status_blocks

__all__ = [
    "ATTACH",
    "DETACH",
    "HOT_PLUG",
    "HOT_UNPLUG",
    "UPDATE_DISK",
    "AttachRequest",
    "AttachmentUpdate",
    "attach",
    "detach",
    "plug",
    "update",
]

ATTACH = Command("AttachDiskToVm", "attach", "Virtual Disk")
DETACH = Command("DetachDiskFromVm", "detach", "Virtual Disk")
HOT_PLUG = Command("HotPlugDiskToVm", "hot plug", "Virtual Disk")
HOT_UNPLUG = Command("HotUnPlugDiskFromVm", "hot unplug", "Virtual Disk")
UPDATE_DISK = Command("UpdateDisk", "edit", "Virtual Disk")


@dataclass(frozen=True)
class AttachRequest:
    """A parsed `POST /vms/{vm}/diskattachments` naming an existing disk."""

    disk_id: str
    active: bool = False  # the REST layer plugs only when `active` is true
    bootable: bool = False
    interface: str | None = None
    read_only: bool = False
    pass_discard: bool = False
    snapshot_id: str | None = None  # `<disk id><snapshot id/></disk>`: the disk as of it


@dataclass(frozen=True)
class AttachmentUpdate:
    """A parsed `PUT /vms/{vm}/diskattachments/{id}`: None leaves a member as it is."""

    active: bool | None = None
    bootable: bool | None = None
    interface: str | None = None
    pass_discard: bool | None = None
    read_only: bool | None = None
    provisioned_size: int | None = None
    alias: str | None = None
    description: str | None = None
    backup: str | None = None
    propagate_errors: bool | None = None
    wipe_after_delete: bool | None = None
    shareable: bool | None = None


def attach(state: State, vm_id: str, request: AttachRequest, user: str) -> DiskAttachment:
    """AttachDiskToVm."""
    disk = state.disks.get(request.disk_id)
    if disk is not None and not disk.shareable:
        locks.require(state, ATTACH, exclusive_disks=[disk])
    as_of = None
    if disk is not None and request.snapshot_id is not None:
        as_of = disk_as_of(state, disk, request.snapshot_id)
    if disk is None or (request.snapshot_id is not None and as_of is None):
        raise refuse(ATTACH, msg.DISK_NOT_EXIST)
    if as_of is not None:
        check_snapshot(ATTACH, as_of.snapshot)
    if disk.status == "illegal":  # the active volume's status
        raise refuse(ATTACH, msg.ILLEGAL_DISK_OPERATION)
    status = disk.status if as_of is None else disk.volume_state(as_of.image_id)
    if status == "locked":
        raise refuse(ATTACH, msg.DISKS_LOCKED, diskAliases=disk.alias)
    vm = state.vms.get(vm_id)
    if vm is None:
        raise refuse(ATTACH, msg.VM_NOT_FOUND)
    if vm.status not in (VmStatus.UP, VmStatus.PAUSED, VmStatus.DOWN):
        raise refuse(ATTACH, msg.VM_STATUS_ILLEGAL, vmStatus=localized(vm.status))
    boot = boot_disk(state, vm) if request.bootable else None
    if boot is not None:
        raise refuse(ATTACH, msg.DISK_BOOT_IN_USE, DiskName=boot.alias, VmName=vm.name)
    if vm.device(disk.id) is not None:
        raise refuse(ATTACH, msg.DISK_ALREADY_ATTACHED)
    if as_of is None and not disk.shareable and state.vm_of_disk(disk.id) is not None:
        raise refuse(ATTACH, msg.NOT_SHAREABLE_DISK_ALREADY_ATTACHED)
    domain = state.storage_domains.get(disk.storage_domain_id)
    cluster = state.clusters.get(vm.cluster_id)
    if domain is None or cluster is None or domain.data_center_id != cluster.data_center_id:
        raise refuse(ATTACH, msg.STORAGE_POOL_NOT_MATCH)
    if domain.status != "active":
        raise refuse(ATTACH, msg.STORAGE_DOMAIN_STATUS_ILLEGAL, status=domain_status(domain))
    if request.read_only and request.interface in ("ide", "sata"):
        name = INTERFACE_NAMES[request.interface]
        raise refuse(ATTACH, msg.READ_ONLY_NOT_SUPPORTED, interface=name)
    if request.interface is None:
        raise refuse(ATTACH, msg.DISK_INTERFACE_UNSUPPORTED, osName=OS_NAME)
    if request.pass_discard and request.interface not in ("virtio_scsi", "ide"):
        raise refuse(ATTACH, msg.PASS_DISCARD_NOT_SUPPORTED, diskAlias=disk.alias)
    snapshot_checks(state, vm, ATTACH)
    hot_plug = request.active and vm.status is not VmStatus.DOWN
    if hot_plug and request.interface == "ide":
        raise refuse(ATTACH, msg.HOT_PLUG_IDE_NOT_SUPPORTED, diskAlias=disk.alias, vmName=vm.name)
    attachment = DiskAttachment(
        disk_id=disk.id,
        vm_id=vm.id,
        active=request.active,
        bootable=request.bootable,
        interface=request.interface,
        read_only=request.read_only,
        pass_discard=request.pass_discard,
        snapshot_id=None if as_of is None else as_of.snapshot.id,
    )
    if as_of is None:
        vm.attachments.append(attachment)
        vm.generation += 1
    else:
        vm.snapshot_attachments.append(attachment)
    state.log(
        "disk_attached",
        msg.EVENT_ATTACH_DISK.format(disk=disk.alias, vm=vm.name, user=user),
        user=user,
        vm=vm,
        subjects=(disk.id,),
    )
    return attachment


def detach(state: State, vm_id: str, disk_id: str, user: str) -> None:
    """DetachDiskFromVm (the REST layer asks to unplug a plugged disk of a running VM)."""
    vm = state.vms.get(vm_id)
    if vm is None:
        raise refuse(DETACH, msg.VM_NOT_FOUND)
    if vm.status not in (VmStatus.UP, VmStatus.DOWN):
        raise refuse(DETACH, msg.VM_STATUS_ILLEGAL, vmStatus=localized(vm.status))
    attachment = vm.device(disk_id)
    disk = state.disks.get(disk_id)
    if attachment is None or disk is None:
        # the engine passes the VM name as a bare message, which it lists after the text
        raise refuse(DETACH, msg.DETACH_NOT_ATTACHED, vm.name)
    unplug = attachment.active and vm.status is not VmStatus.DOWN
    if unplug and attachment.interface == "ide":
        raise refuse(DETACH, msg.HOT_PLUG_IDE_NOT_SUPPORTED, diskAlias=disk.alias, vmName=vm.name)
    if attachment.snapshot_id is None and len(disk.volumes) > 1:
        raise refuse(DETACH, msg.DETACH_DISK_WITH_SNAPSHOT)
    if attachment.snapshot_id is None:
        vm.attachments.remove(attachment)
    else:
        vm.snapshot_attachments.remove(attachment)
    _drop_from_checkpoints(state, disk.id)
    disk.backup_mode = None
    vm.generation += 1
    state.log(
        "disk_detached",
        msg.EVENT_DETACH_DISK.format(disk=disk.alias, vm=vm.name, user=user),
        user=user,
        vm=vm,
        subjects=(disk.id,),
    )


def _drop_from_checkpoints(state: State, disk_id: str) -> None:
    """DeleteAllCheckpointsByDiskId: the disk leaves every checkpoint, and every checkpoint
    left without disks is deleted (fakeovirt relinks the chain around it)."""
    emptied = []
    for checkpoint in list(state.checkpoints.values()):
        if disk_id in checkpoint.disk_ids:
            checkpoint.disk_ids.remove(disk_id)
            checkpoint.marks.pop(disk_id, None)
        if not checkpoint.disk_ids:
            emptied.append(checkpoint.id)
    for checkpoint_id in emptied:
        state.remove_checkpoint(checkpoint_id)


def plug(state: State, vm_id: str, disk_id: str, active: bool, user: str) -> None:
    """HotPlugDiskToVm (`active` true) or HotUnPlugDiskFromVm (false)."""
    command = HOT_PLUG if active else HOT_UNPLUG
    disk = state.disks.get(disk_id)
    locks.require(state, command, exclusive_disks=[disk] if disk else [], shared_vms=[vm_id])
    vm = state.vms.get(vm_id)
    if vm is None:
        raise refuse(command, msg.VM_NOT_FOUND)
    if vm.status not in (VmStatus.UP, VmStatus.PAUSED, VmStatus.DOWN):
        raise refuse(command, msg.VM_STATUS_ILLEGAL, vmStatus=localized(vm.status))
    attachment = vm.attachment(disk_id)
    if disk is None:
        raise refuse(command, msg.DISK_NOT_EXIST)
    if attachment is None:
        raise refuse(command, msg.DISK_NOT_ATTACHED_TO_VM, DiskName=disk.alias, VmName=vm.name)
    running = vm.status in (VmStatus.UP, VmStatus.PAUSED)
    if running and attachment.interface == "ide":
        raise refuse(command, msg.HOT_PLUG_IDE_NOT_SUPPORTED, diskAlias=disk.alias, vmName=vm.name)
    if active and attachment.active:
        raise refuse(command, msg.HOT_PLUG_DISK_IS_NOT_UNPLUGGED)
    if not active and not attachment.active:
        raise refuse(command, msg.HOT_UNPLUG_DISK_IS_NOT_PLUGGED)
    snapshot_checks(state, vm, command)
    domain = state.storage_domains.get(disk.storage_domain_id)
    if running and domain is not None and domain.status != "active":
        raise refuse(command, msg.STORAGE_DOMAIN_STATUS_ILLEGAL, status=domain_status(domain))
    attachment.active = active
    vm.generation += 1
    kind, text = (
        ("disk_plugged", msg.EVENT_HOTPLUG_DISK)
        if active
        else ("disk_unplugged", msg.EVENT_HOTUNPLUG_DISK)
    )
    state.log(
        kind,
        text.format(vm=vm.name, disk=disk.alias, user=user),
        user=user,
        vm=vm,
        subjects=(disk.id,),
    )


def update(state: State, vm_id: str, disk_id: str, change: AttachmentUpdate, user: str) -> None:
    """UpdateDisk: validated now, applied when the engine's callback ends the command."""
    vm = state.vms.get(vm_id)
    disk = state.disks.get(disk_id)
    attachment = vm.attachment(disk_id) if vm is not None else None
    if disk is not None:
        plugged = [vm.id] if vm is not None and attachment and attachment.active else []
        locks.require(state, UPDATE_DISK, exclusive_disks=[disk], shared_vms=plugged)
    if vm is None:
        raise refuse(UPDATE_DISK, msg.VM_NOT_FOUND)
    if disk is None:
        raise refuse(UPDATE_DISK, msg.DISK_NOT_EXIST)
    if attachment is None:
        raise refuse(UPDATE_DISK, msg.DISK_NOT_ATTACHED_TO_VM, DiskName=disk.alias, VmName=vm.name)
    new_size = _validate_update(state, vm, disk, attachment, change)
    vm_names = vm.name if attachment.active else "N/A"
    job = start_job(state, msg.JOB_UPDATE_DISK_VMS.format(disk=disk.alias, vms=vm_names), user)
    disk.status = "locked"
    disk.work = PendingWork(
        "update",
        Progress(since=state.now()),
        user,
        vm_id=vm.id,
        new_size=new_size,
        job_id=job.id,
        changes=_changes(change),
    )
    state.log(
        "vm_disk_updated",
        msg.EVENT_UPDATE_VM_DISK.format(vm=vm.name, disk=disk.alias, user=user),
        user=user,
        vm=vm,
        subjects=(disk.id,),
    )
    schedule(state, disk)


_ATTACHMENT_MEMBERS = ("bootable", "interface", "pass_discard", "read_only")
_DISK_MEMBERS = (
    "alias",
    "description",
    "backup",
    "propagate_errors",
    "wipe_after_delete",
    "shareable",
)


def _changes(change: AttachmentUpdate) -> dict[str, object]:
    found: dict[str, object] = {}
    for name in _ATTACHMENT_MEMBERS:
        if (value := getattr(change, name)) is not None:
            found[f"attachment.{name}"] = value
    for name in _DISK_MEMBERS:
        if (value := getattr(change, name)) is not None:
            found[f"disk.{name}"] = value
    return found


def _validate_update(
    state: State, vm: Vm, disk: Disk, attachment: DiskAttachment, change: AttachmentUpdate
) -> int | None:
    """UpdateDiskCommand.validate; answers the new virtual size when the disk grows."""
    running = attachment.active and vm.status is not VmStatus.DOWN
    needs_down = (
        (change.bootable is not None and change.bootable != attachment.bootable)
        or (change.interface is not None and change.interface != attachment.interface)
        or (
            change.propagate_errors is not None and change.propagate_errors != disk.propagate_errors
        )
        or (change.shareable is not None and change.shareable != disk.shareable)
    )
    if running and needs_down:
        raise refuse(UPDATE_DISK, msg.VM_IS_NOT_DOWN)
    if change.bootable and not attachment.bootable:
        boot = boot_disk(state, vm)
        if boot is not None:
            raise refuse(UPDATE_DISK, msg.DISK_BOOT_IN_USE, DiskName=boot.alias, VmName=vm.name)
    read_only = attachment.read_only if change.read_only is None else change.read_only
    interface = change.interface or attachment.interface
    if change.read_only is not None and change.read_only != attachment.read_only:
        if running:
            raise refuse(UPDATE_DISK, msg.VM_IS_NOT_DOWN)
        if read_only and interface in ("ide", "sata"):
            name = INTERFACE_NAMES[interface]
            raise refuse(UPDATE_DISK, msg.READ_ONLY_NOT_SUPPORTED, interface=name)
    pass_discard = attachment.pass_discard if change.pass_discard is None else change.pass_discard
    if pass_discard and interface not in ("virtio_scsi", "ide"):
        raise refuse(UPDATE_DISK, msg.PASS_DISCARD_NOT_SUPPORTED, diskAlias=disk.alias)
    if disk.status == "locked":
        raise refuse(UPDATE_DISK, msg.DISKS_LOCKED, diskAliases=disk.alias)
    new_size = _validate_resize(state, vm, disk, attachment, change.provisioned_size)
    if change.backup == "incremental" and disk.format == "raw":
        raise refuse(UPDATE_DISK, msg.INCREMENTAL_BACKUP_FOR_RAW)
    snapshot_checks(state, vm, UPDATE_DISK)
    return new_size


def _validate_resize(
    state: State, vm: Vm, disk: Disk, attachment: DiskAttachment, size: int | None
) -> int | None:
    """validateCanResizeDisk (UpdateDiskCommand.java:421-476)."""
    if size is None or size == disk.provisioned_size:
        return None
    if attachment.read_only:
        raise refuse(UPDATE_DISK, msg.CANNOT_RESIZE_READ_ONLY_DISK)
    if size < disk.provisioned_size:
        raise refuse(UPDATE_DISK, msg.DISK_SIZE_TOO_SMALL)
    domain = state.storage_domains.get(disk.storage_domain_id)
    block = domain is not None and domain.storage_type in BLOCK_STORAGE
    if block and size // GiB > MAX_BLOCK_DISK_GIB:
        raise refuse(UPDATE_DISK, msg.DISK_MAX_SIZE_EXCEEDED, max_disk_size=MAX_BLOCK_DISK_GIB)
    if attachment.active and status_blocks(vm.status, "ExtendImageSize"):
        raise refuse(UPDATE_DISK, msg.VM_STATUS_ILLEGAL, vmStatus=localized(vm.status))
    if domain is None or domain.status != "active":
        status = domain_status(domain) if domain is not None else "Unknown"
        raise refuse(UPDATE_DISK, msg.STORAGE_DOMAIN_STATUS_ILLEGAL, status=status)
    more_gib = size // GiB - disk.provisioned_size // GiB
    needed = required_space(domain, disk.format, disk.sparse, more_gib * GiB)
    if domain.available < needed:
        raise refuse(UPDATE_DISK, msg.DISK_SPACE_LOW, storageName=domain.name)
    return -(-size // BLOCK_SIZE) * BLOCK_SIZE
