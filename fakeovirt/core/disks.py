"""Disks: creation (floating or on a VM), removal, and the engine's storage rules.

Rules of this file:
- a command checks its locks (`locks.require`), then validates in the engine's order, and
  changes nothing when it refuses (AddDisk: `BLL/storage/disk/AddDiskCommand.java:151-330`;
  RemoveDisk: `BLL/storage/disk/RemoveDiskCommand.java:143-402`);
- a disk being created, removed or updated (extended) is `locked` and carries its `PendingWork`; the
  work ends on the engine's clock and transition policy (timed kind `disk`, `on_time`); on
  a per-read policy only a client's read of the disk (`observe`) moves it;
- a storage domain's free space follows what its disks take, as the engine's
  `StorageDomainValidator.getTotalSizeForNewDisks` counts it;
- virtual sizes are kept in whole 64 KiB blocks (the content's granularity): a size that is
  not a multiple is rounded up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from . import locks
from . import messages as msg
from .content import BLOCK_SIZE, DiskContent
from .jobs import end_job, start_job
from .model import Disk, DiskAttachment, PendingWork, StorageDomain, Vm, VmStatus
from .policy import Progress
from .state import State
from .translate import Command, refuse
from .volumes import VolumeChain

__all__ = [
    "ADD_DISK",
    "BLOCK_STORAGE",
    "INTERFACE_NAMES",
    "REMOVE_DISK",
    "DiskRequest",
    "add",
    "boot_disk",
    "complete",
    "domain_status",
    "next_due",
    "observe",
    "on_time",
    "remove",
    "required_space",
    "schedule",
    "snapshot_checks",
    "take_space",
]

ADD_DISK = Command("AddDisk", "add", "Virtual Disk")
REMOVE_DISK = Command("RemoveDisk", "remove", "Virtual Disk")
GiB = 1 << 30
MiB = 1 << 20
BLOCK_STORAGE = ("iscsi", "fcp")
MAX_BLOCK_DISK_GIB = 8192  # MaxBlockDiskSizeInGibiBytes (0000_config.sql)
CRITICAL_SPACE_GIB = 5  # a domain's CriticalSpaceActionBlocker default (0000_config.sql)
# the REST interface names and the engine's DiskInterface names (messages, the OVF)
INTERFACE_NAMES = {
    "virtio": "VirtIO",
    "virtio_scsi": "VirtIO_SCSI",
    "ide": "IDE",
    "sata": "SATA",
    "spapr_vscsi": "SPAPR_VSCSI",
}
OS_NAME = "Other OS"  # the osinfo name of the `other` OS every fakeovirt VM has


@dataclass(frozen=True)
class DiskRequest:
    """A parsed `POST /disks` or `POST /vms/{vm}/diskattachments` with a new disk."""

    provisioned_size: int
    format: str  # cow or raw
    storage_domain_id: str | None
    alias: str | None = None
    description: str | None = None
    sparse: bool | None = None  # default: sparse (Image.java:61)
    backup: str | None = None  # default: none (BaseDisk.java:123)
    initial_size: int | None = None
    disk_id: str | None = None
    image_id: str | None = None
    shareable: bool = False
    content_type: str = "data"
    wipe_after_delete: bool | None = None
    propagate_errors: bool = False
    # the attachment, for a disk added to a VM
    vm_id: str | None = None
    active: bool | None = None
    bootable: bool = False
    interface: str | None = None
    read_only: bool = False
    pass_discard: bool = False
    extra: dict[str, object] = field(default_factory=dict, compare=False)


def add(state: State, request: DiskRequest, user: str) -> Disk:
    """AddDisk: a new image disk, `locked` until the engine has created it."""
    if request.vm_id is not None:
        locks.require(state, ADD_DISK, shared_vms=[request.vm_id])
    vm = _validate_add(state, request)
    domain = state.storage_domains[request.storage_domain_id or ""]
    now = state.now()
    disk_id = request.disk_id or state.ids.new()
    image_id = request.image_id or state.ids.new()
    alias = request.alias or f"{vm.name if vm else ''}_Disk{_disk_count(state, vm) + 1}"
    size = -(-request.provisioned_size // BLOCK_SIZE) * BLOCK_SIZE
    sparse = True if request.sparse is None else request.sparse
    plug_now = vm is not None and vm.status is VmStatus.DOWN and request.active is not False
    job = start_job(state, msg.JOB_ADD_DISK.format(disk=alias), user)
    disk = Disk(
        id=disk_id,
        alias=alias,
        storage_domain_id=domain.id,
        volumes=VolumeChain(DiskContent(size), image_id),
        format=request.format,
        backup=request.backup or "none",
        sparse=sparse,
        status="locked",
        shareable=request.shareable,
        description=request.description or "",
        content_type=request.content_type,
        wipe_after_delete=bool(request.wipe_after_delete),
        propagate_errors=request.propagate_errors,
        initial_size=request.initial_size,
        created=now,
        work=PendingWork(
            "add",
            Progress(since=now),
            user,
            vm_id=vm.id if vm else None,
            plug=bool(vm is not None and request.active and not plug_now),
            job_id=job.id,
        ),
    )
    state.disks[disk.id] = disk
    take_space(domain, disk)
    if vm is None:
        state.log(
            "disk_added",
            msg.EVENT_ADD_DISK.format(disk=alias, user=user),
            user=user,
            subjects=(disk.id,),
        )
    else:
        vm.attachments.append(
            DiskAttachment(
                disk_id=disk.id,
                vm_id=vm.id,
                active=plug_now,
                bootable=request.bootable,
                interface=request.interface or "virtio",
                read_only=request.read_only,
                pass_discard=request.pass_discard,
            )
        )
        vm.generation += 1
        state.log(
            "disk_added_to_vm",
            msg.EVENT_ADD_DISK_TO_VM.format(disk=alias, vm=vm.name, user=user),
            user=user,
            vm=vm,
            subjects=(disk.id,),
        )
    observe(state, disk)  # the add reply is the disk's first read
    return disk


def _disk_count(state: State, vm: Vm | None) -> int:
    return 0 if vm is None else len(vm.attachments)


def _validate_add(state: State, request: DiskRequest) -> Vm | None:
    """AddDiskCommand.validate, then checkIfImageDiskCanBeAdded, in their order."""
    vm: Vm | None = None
    if request.vm_id is not None:
        vm = state.vms.get(request.vm_id)
        if vm is None:
            raise refuse(ADD_DISK, msg.VM_NOT_FOUND)
        boot = boot_disk(state, vm) if request.bootable else None
        if boot is not None:
            raise refuse(ADD_DISK, msg.DISK_BOOT_IN_USE, DiskName=boot.alias, VmName=vm.name)
        interface = request.interface
        alias = request.alias or ""
        if request.pass_discard and interface not in ("virtio_scsi", "ide"):
            raise refuse(ADD_DISK, msg.PASS_DISCARD_NOT_SUPPORTED, diskAlias=alias)
        if request.read_only and interface in ("ide", "sata"):
            name = INTERFACE_NAMES[interface]
            raise refuse(ADD_DISK, msg.READ_ONLY_NOT_SUPPORTED, interface=name)
    elif request.active:
        raise refuse(ADD_DISK, msg.FLOATING_DISK_WITH_PLUG)
    domain = _validate_domain(state, request)
    if vm is not None and request.interface is None:
        raise refuse(ADD_DISK, msg.DISK_INTERFACE_UNSUPPORTED, osName=OS_NAME)
    if request.image_id is not None and _image_exists(state, request.image_id):
        raise refuse(ADD_DISK, msg.IMAGE_ALREADY_EXISTS)
    if request.disk_id is not None and request.disk_id in state.disks:
        existing = state.disks[request.disk_id]
        raise refuse(
            ADD_DISK, msg.DISK_ALREADY_EXISTS, diskAlias=existing.alias, diskID=request.disk_id
        )
    if vm is not None:
        cluster = state.clusters.get(vm.cluster_id)
        if cluster is None or cluster.data_center_id != domain.data_center_id:
            raise refuse(ADD_DISK, msg.STORAGE_POOL_OF_VM_NOT_MATCH)
        if vm.status is VmStatus.IMAGE_LOCKED:
            raise refuse(ADD_DISK, msg.VM_IS_LOCKED)
        snapshot_checks(state, vm, ADD_DISK)
    if request.provisioned_size <= 0:
        raise refuse(ADD_DISK, msg.DISK_SIZE_ZERO)
    return vm


def _validate_domain(state: State, request: DiskRequest) -> StorageDomain:
    """checkIfImageDiskCanBeAdded's VM-agnostic checks (AddDiskCommand.java:287-307)."""
    if request.storage_domain_id is None:
        raise refuse(ADD_DISK, msg.STORAGE_DOMAIN_NOT_SPECIFIED)
    domain = state.storage_domains.get(request.storage_domain_id)
    if domain is None:
        raise refuse(ADD_DISK, msg.STORAGE_DOMAIN_NOT_EXIST)
    if domain.status != "active":
        raise refuse(ADD_DISK, msg.STORAGE_DOMAIN_STATUS_ILLEGAL, status=domain_status(domain))
    sparse = True if request.sparse is None else request.sparse
    backup = request.backup or "none"
    if not _configuration_supported(domain, request.format, sparse, backup):
        raise refuse(
            ADD_DISK,
            msg.DISK_CONFIGURATION_NOT_SUPPORTED,
            volumeFormat=request.format.upper(),
            volumeType="Sparse" if sparse else "Preallocated",
            backup="Incremental" if backup == "incremental" else "None",
        )
    if domain.type != "data":
        raise refuse(ADD_DISK, msg.STORAGE_DOMAIN_TYPE_ILLEGAL)
    needed = required_space(domain, request.format, sparse, request.provisioned_size)
    if domain.available < needed or domain.available // GiB < CRITICAL_SPACE_GIB:
        raise refuse(ADD_DISK, msg.DISK_SPACE_LOW, storageName=domain.name)
    block = domain.storage_type in BLOCK_STORAGE
    if block and request.provisioned_size // GiB > MAX_BLOCK_DISK_GIB:
        raise refuse(ADD_DISK, msg.DISK_MAX_SIZE_EXCEEDED, max_disk_size=MAX_BLOCK_DISK_GIB)
    if request.shareable and request.format != "raw":
        raise refuse(ADD_DISK, msg.SHAREABLE_NOT_SUPPORTED_BY_FORMAT)
    return domain


def _configuration_supported(domain: StorageDomain, fmt: str, sparse: bool, backup: str) -> bool:
    """ImagesHandler.checkImageConfiguration (ImagesHandler.java:537-543)."""
    return not (
        (not sparse and fmt == "cow" and backup != "incremental")
        or (fmt == "raw" and backup == "incremental")
        or (domain.storage_type in BLOCK_STORAGE and sparse and fmt == "raw")
    )


def _image_exists(state: State, image_id: str) -> bool:
    return any(image_id in disk.volumes for disk in state.disks.values())


def snapshot_checks(state: State, vm: Vm, command: Command) -> None:
    """SnapshotsValidator.vmNotDuringSnapshot, then vmNotInPreview."""
    snapshots = state.vm_snapshots(vm.id)
    if any(s.status == "locked" for s in snapshots):
        raise refuse(command, msg.VM_IS_DURING_SNAPSHOT)
    if any(s.status == "in_preview" for s in snapshots):
        raise refuse(command, msg.VM_IN_PREVIEW)


def boot_disk(state: State, vm: Vm) -> Disk | None:
    """The VM's boot disk (DiskDao.getVmBootActiveDisk)."""
    for attachment in vm.attachments:
        if attachment.bootable and attachment.disk_id in state.disks:
            return state.disks[attachment.disk_id]
    return None


def domain_status(domain: StorageDomain) -> str:
    """The StorageDomainStatus enum name the engine's messages show."""
    return "".join(part.capitalize() for part in domain.status.split("_"))


def required_space(domain: StorageDomain, fmt: str, sparse: bool, size: int) -> int:
    """What a new disk takes on its domain (StorageDomainValidator.getTotalSizeForNewDisks)."""
    if fmt == "cow":
        if not sparse:
            return size
        return MiB if domain.storage_type not in BLOCK_STORAGE else GiB
    return MiB if sparse else size


def take_space(domain: StorageDomain, disk: Disk) -> None:
    """What a new disk takes from its domain (given back by `_give_space`)."""
    taken = required_space(domain, disk.format, disk.sparse, disk.provisioned_size)
    domain.available = max(domain.available - taken, 0)
    domain.used += taken
    domain.committed += disk.provisioned_size


def _give_space(domain: StorageDomain, disk: Disk) -> None:
    taken = required_space(domain, disk.format, disk.sparse, disk.provisioned_size)
    domain.available += taken
    domain.used = max(domain.used - taken, 0)
    domain.committed = max(domain.committed - disk.provisioned_size, 0)


# -- RemoveDisk ------------------------------------------------------------------------------
def remove(state: State, disk_id: str, user: str, *, storage_domain_id: str | None = None) -> None:
    """RemoveDisk: the disk goes `locked`, then disappears when its volumes are deleted."""
    disk = state.disks.get(disk_id)
    if disk is None:
        raise refuse(REMOVE_DISK, msg.VM_IMAGE_DOES_NOT_EXIST)
    vm = state.vm_of_disk(disk.id)
    locks.require(state, REMOVE_DISK, exclusive_disks=[disk], shared_vms=[vm.id] if vm else [])
    if vm is not None and vm.status is not VmStatus.DOWN:
        attachment = vm.attachment(disk.id)
        if attachment is not None and attachment.active:
            raise refuse(REMOVE_DISK, msg.VM_IS_NOT_DOWN)
    if storage_domain_id is not None and storage_domain_id != disk.storage_domain_id:
        raise refuse(REMOVE_DISK, msg.STORAGE_DOMAIN_IS_WRONG)
    domain = state.storage_domains.get(disk.storage_domain_id)
    if domain is None:
        raise refuse(REMOVE_DISK, msg.STORAGE_DOMAIN_NOT_EXIST)
    if domain.status != "active":
        raise refuse(REMOVE_DISK, msg.STORAGE_DOMAIN_STATUS_ILLEGAL, status=domain_status(domain))
    if domain.type != "data":
        raise refuse(REMOVE_DISK, msg.STORAGE_DOMAIN_TYPE_ILLEGAL)
    if disk.status == "locked":
        raise refuse(REMOVE_DISK, msg.OBJECT_LOCKED)
    if vm is not None:
        snapshot_checks(state, vm, REMOVE_DISK)
    now = state.now()
    job = start_job(state, msg.JOB_REMOVE_DISK.format(disk=disk.alias), user)
    disk.status = "locked"
    disk.work = PendingWork("remove", Progress(since=now), user, job_id=job.id)
    if vm is None:
        text = msg.EVENT_REMOVE_DISK.format(disk=disk.alias, domain=domain.name, user=user)
        state.log("disk_removed", text, user=user, subjects=(disk.id,))
    else:
        vm.generation += 1
        text = msg.EVENT_REMOVE_DISK_OF_VMS.format(
            disk=disk.alias, vms=vm.name, domain=domain.name, user=user
        )
        state.log("disk_removed_of_vms", text, user=user, vm=vm, subjects=(disk.id,))
    advance(state, disk)
    schedule(state, disk)


# -- the work's end, on the engine's clock ------------------------------------------------
def observe(state: State, disk: Disk) -> None:
    """A client was shown `disk`: count the read (a per-read policy moves on it)."""
    advance(state, disk, on_read=True)
    if disk.work is not None:
        disk.work.progress.reads += 1
    schedule(state, disk)


def advance(state: State, disk: Disk, *, on_read: bool = False) -> None:
    """End the disk's work if it is due under the engine's policy."""
    work = disk.work
    if work is None or disk.id not in state.disks:
        return
    policy = state.policy
    if policy.reads is not None and not on_read:
        return
    if not work.progress.due(policy, "locked", state.now()):
        return
    complete(state, disk)


def complete(state: State, disk: Disk) -> None:
    """End the disk's work now, whatever the policy (what `Expect: 201-created` waits for)."""
    work = disk.work
    if work is None or disk.id not in state.disks:
        return
    disk.work = None
    if work.kind == "remove":
        _removed(state, disk, work)
    elif work.kind == "update":
        _updated(state, disk, work)
    else:
        _created(state, disk, work)
    end_job(state, work.job_id, succeeded=True)


def _created(state: State, disk: Disk, work: PendingWork) -> None:
    disk.status = "ok"
    vm = state.vms.get(work.vm_id or "")
    if vm is None:
        state.log(
            "disk_added_finished",
            msg.EVENT_ADD_DISK_FINISHED.format(disk=disk.alias),
            subjects=(disk.id,),
        )
        return
    attachment = vm.attachment(disk.id)
    if work.plug and attachment is not None and vm.status in (VmStatus.UP, VmStatus.PAUSED):
        attachment.active = True  # the engine hot plugs it, without an event of its own
    state.log(
        "disk_added_to_vm_finished",
        msg.EVENT_ADD_DISK_TO_VM_FINISHED.format(disk=disk.alias, vm=vm.name),
        vm=vm,
        subjects=(disk.id,),
    )


def _removed(state: State, disk: Disk, work: PendingWork) -> None:
    del state.disks[disk.id]
    state.schedule.at(("disk", disk.id), None)
    for vm in state.vms.values():
        vm.attachments = [a for a in vm.attachments if a.disk_id != disk.id]
        vm.snapshot_attachments = [a for a in vm.snapshot_attachments if a.disk_id != disk.id]
    domain = state.storage_domains.get(disk.storage_domain_id)
    if domain is not None:
        _give_space(domain, disk)


def _updated(state: State, disk: Disk, work: PendingWork) -> None:
    """UpdateDisk's callback ran: the extend (ExtendImageSizeCommand.java:106), then the
    changed properties (UpdateDiskCommand.performDiskUpdate)."""
    disk.status = "ok"
    vm = state.vms.get(work.vm_id or "")
    if work.new_size is not None and work.new_size > disk.provisioned_size:
        domain = state.storage_domains.get(disk.storage_domain_id)
        if domain is not None:
            domain.committed += work.new_size - disk.provisioned_size
        disk.volumes.grow(work.new_size)
        state.log(
            "disk_extended",
            msg.EVENT_EXTEND_DISK.format(
                disk=disk.alias, size=work.new_size // GiB, user=work.user
            ),
            user=work.user,
            vm=vm,
            subjects=(disk.id,),
        )
    attachment = vm.attachment(disk.id) if vm is not None else None
    for key, value in work.changes.items():
        target, _, name = key.partition(".")
        owner = disk if target == "disk" else attachment
        if owner is not None:
            setattr(owner, name, value)
    if vm is not None:
        vm.generation += 1


def next_due(state: State, disk: Disk) -> datetime | None:
    """When the clock alone ends the disk's work; None when only a read can, or none runs."""
    if disk.work is None:
        return None
    return disk.work.progress.due_at(state.policy, "locked")


def schedule(state: State, disk: Disk) -> None:
    if disk.id in state.disks:
        state.schedule.at(("disk", disk.id), next_due(state, disk))


def on_time(state: State, disk_id: str) -> None:
    """What the schedule runs for `("disk", id)`."""
    disk = state.disks.get(disk_id)
    if disk is None:
        return
    advance(state, disk)
    schedule(state, disk)
