"""A VM cloned from a snapshot: `POST /vms` with `<snapshots><snapshot id/></snapshots>`.

Rules of this file (BLL `AddVmFromSnapshotCommand.java:171-254`, its parents
`AddVmAndCloneImageCommand.java:92-119, 179-213, 385-439` and `AddVmCommand.java:568-849,
1026-1045`; `ImagesHandler.cloneDiskImage:904-950`):
- the command takes the source VM's lock (exclusive, `getExclusiveLocks`), then validates in
  the engine's order: the snapshot exists, the source VM has no `locked` snapshot, the
  snapshot is a regular one, the VM is not previewing; then the source VM's disks are not
  `locked`, their domains are active, the VM is not `image_locked`; then AddVm's checks that
  apply here (the cluster, a unique name, room on each domain, the name's length);
- the new VM takes its configuration from the snapshot (its name, memory, cluster and disks
  as they were); the request's own members win (`VmMapper.map(vm, configuration)`), and a
  cluster given by name keeps the configuration's cluster (`VmBaseMapper` maps only an id);
- each disk of the snapshot is copied collapsed (`setUseCopyCollapse(true)`): one volume
  holding the guest's view of the disk at that snapshot, a new disk id and image id, the
  alias `<alias>_<new vm>`, and the format and allocation of the disk's base volume
  (`cloneDiskImage` → `changeVolumeInfo(ancestor)`);
- while the copies run the new VM is `image_locked`, its disks `locked` and the source
  snapshot `locked` (`lockEntities`); they end together on the engine's clock and transition
  policy (timed kind `clone`; a read of the new VM counts for a per-read policy): disks `ok`,
  snapshot `ok`, VM `down` (`unlockEntities`), event 53 and the job's end;
- a snapshot without disks makes no copy: the VM is `down` at once and event 34 is logged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from . import locks
from . import messages as msg
from .content import DiskContent
from .disks import CRITICAL_SPACE_GIB, GiB, domain_status, take_space
from .jobs import end_job, start_job
from .model import (
    Disk,
    DiskAttachment,
    DiskConfiguration,
    Nic,
    PendingWork,
    Snapshot,
    StorageDomain,
    Vm,
    VmStatus,
)
from .nics import allocate_mac
from .policy import Progress
from .state import State
from .translate import Command, refuse
from .vms import CLONING, VALID_NAME, VM_NAME_SIZE, create, name_used
from .volumes import VolumeChain

__all__ = [
    "ADD_VM_FROM_SNAPSHOT",
    "CloneRequest",
    "clone",
    "complete",
    "next_due",
    "observe",
    "on_time",
    "schedule",
]

ADD_VM_FROM_SNAPSHOT = Command("AddVmFromSnapshot", "add", "VM")
QCOW_OVERHEAD_FACTOR = 1.1  # StorageConstants.QCOW_OVERHEAD_FACTOR


@dataclass(frozen=True)
class CloneRequest:
    """A parsed `POST /vms` naming a snapshot; None members keep the configuration's."""

    snapshot_id: str
    name: str
    cluster_id: str | None = None
    description: str | None = None
    comment: str | None = None
    memory: int | None = None


def clone(state: State, request: CloneRequest, user: str) -> Vm:
    """AddVmFromSnapshot: the new VM, `image_locked` while its disks are copied."""
    snapshot, source = _validate(state, request)
    configuration = snapshot.configuration
    assert configuration is not None
    now = state.now()
    cluster_id = request.cluster_id or configuration.cluster_id
    vm = Vm(
        id=state.ids.new(),
        name=request.name,
        status=VmStatus.DOWN,
        cluster_id=cluster_id,
        host_id=None,
        created=now,
        memory=request.memory if request.memory is not None else configuration.memory,
        description=source.description if request.description is None else request.description,
        comment=source.comment if request.comment is None else request.comment,
        type=source.type,
        os=source.os,
        cpu_sockets=source.cpu_sockets,
        cpu_cores=source.cpu_cores,
        cpu_threads=source.cpu_threads,
        memory_guaranteed=source.memory_guaranteed,
        memory_max=source.memory_max,
    )
    create(state, vm)
    vm.nics = [_nic_copy(state, vm, nic) for nic in source.nics]
    cluster = state.clusters[cluster_id]
    job = start_job(
        state,
        msg.JOB_ADD_VM_FROM_SNAPSHOT.format(
            vm=vm.name, snapshot=snapshot.description, cluster=cluster.name
        ),
        user,
    )
    copies = [_copy(state, vm, snapshot, kept) for kept in _cloned(state, snapshot)]
    if not copies:  # no VDSM task: USER_ADD_VM, and the command's end at once
        end_job(state, job.id, succeeded=True)
        state.log("vm_added", msg.EVENT_ADD_VM.format(vm=vm.name, user=user), user=user, vm=vm)
        return vm
    vm.status = VmStatus.IMAGE_LOCKED
    snapshot.status = "locked"  # lockEntities; no progress of its own: the clone ends it
    vm.work = PendingWork(
        CLONING, Progress(since=now), user, job_id=job.id, changes={"snapshot": snapshot.id}
    )
    state.log(
        "vm_add_started", msg.EVENT_ADD_VM_STARTED.format(vm=vm.name, user=user), user=user, vm=vm
    )
    observe(state, vm)  # the add reply is the VM's first read
    return vm


def _validate(state: State, request: CloneRequest) -> tuple[Snapshot, Vm]:
    """validateInputs, the locks, then AddVmFromSnapshotCommand.validate and its parents'."""
    if not VALID_NAME.fullmatch(request.name):
        raise refuse(ADD_VM_FROM_SNAPSHOT, msg.NAME_SPECIAL_CHARS)
    snapshot = state.snapshots.get(request.snapshot_id)
    source = state.vms.get(snapshot.vm_id) if snapshot is not None else None
    if snapshot is None or source is None:
        raise refuse(ADD_VM_FROM_SNAPSHOT, msg.VM_SNAPSHOT_DOES_NOT_EXIST)
    locks.require(state, ADD_VM_FROM_SNAPSHOT, exclusive_vms=[source.id])
    siblings = state.vm_snapshots(source.id)
    if any(s.status == "locked" for s in siblings):
        raise refuse(ADD_VM_FROM_SNAPSHOT, msg.VM_IS_DURING_SNAPSHOT)
    if snapshot.type != "regular" or snapshot.configuration is None:
        raise refuse(ADD_VM_FROM_SNAPSHOT, msg.VM_SNAPSHOT_TYPE_NOT_REGULAR)
    if any(s.status == "in_preview" for s in siblings):
        raise refuse(ADD_VM_FROM_SNAPSHOT, msg.VM_IN_PREVIEW)
    disks = [d for d in state.vm_disks(source) if not d.shareable]
    locked = [d.alias for d in disks if d.status == "locked"]
    if locked:
        raise refuse(ADD_VM_FROM_SNAPSHOT, msg.DISKS_LOCKED, diskAliases=", ".join(locked))
    for disk in disks:
        domain = state.storage_domains.get(disk.storage_domain_id)
        if domain is not None and domain.status != "active":
            status = domain_status(domain)
            raise refuse(ADD_VM_FROM_SNAPSHOT, msg.STORAGE_DOMAIN_STATUS_ILLEGAL, status=status)
    if source.status is VmStatus.IMAGE_LOCKED:
        raise refuse(ADD_VM_FROM_SNAPSHOT, msg.VM_IS_LOCKED)
    cluster = state.clusters.get(request.cluster_id or snapshot.configuration.cluster_id)
    if cluster is None:
        raise refuse(ADD_VM_FROM_SNAPSHOT, msg.CLUSTER_CAN_NOT_BE_EMPTY)
    if name_used(state, request.name, cluster.data_center_id):
        raise refuse(ADD_VM_FROM_SNAPSHOT, msg.NAME_ALREADY_USED)
    _check_space(state, snapshot)
    if not request.name:
        raise refuse(ADD_VM_FROM_SNAPSHOT, msg.NAME_MAY_NOT_BE_EMPTY)
    if len(request.name) > VM_NAME_SIZE:
        raise refuse(ADD_VM_FROM_SNAPSHOT, msg.NAME_TOO_LONG)
    return snapshot, source


def _cloned(state: State, snapshot: Snapshot) -> list[DiskConfiguration]:
    """The configuration's disks that still have their volume (`getSourceDisks`)."""
    assert snapshot.configuration is not None
    kept = []
    for configured in snapshot.configuration.disks:
        disk = state.disks.get(configured.disk_id)
        if disk is not None and not disk.shareable and configured.image_id in disk.volumes:
            kept.append(configured)
    return kept


def _check_space(state: State, snapshot: Snapshot) -> None:
    """validateSpaceRequirements: each destination's threshold, then `hasSpaceForClonedDisks`
    (the chain's used space up to the snapshot, times 1.1 for a qcow2 copy)."""
    needed: dict[str, float] = {}
    for configured in _cloned(state, snapshot):
        disk = state.disks[configured.disk_id]
        used = disk.volumes.volume(configured.image_id).guest.stored_bytes
        factor = QCOW_OVERHEAD_FACTOR if disk.format == "cow" else 1.0
        needed[disk.storage_domain_id] = needed.get(disk.storage_domain_id, 0.0) + used * factor
    for domain_id, size in needed.items():
        domain: StorageDomain | None = state.storage_domains.get(domain_id)
        if domain is None:
            continue
        if domain.available // GiB < CRITICAL_SPACE_GIB or domain.available < size:
            raise refuse(ADD_VM_FROM_SNAPSHOT, msg.DISK_SPACE_LOW, storageName=domain.name)


def _copy(state: State, vm: Vm, snapshot: Snapshot, configured: DiskConfiguration) -> Disk:
    """CopyImageGroup with collapse: the disk at the snapshot's point in time, one volume."""
    source = state.disks[configured.disk_id]
    guest = source.volumes.volume(configured.image_id).guest
    view = guest.freeze() if isinstance(guest, DiskContent) else guest
    copy = Disk(
        id=state.ids.new(),
        alias=f"{configured.alias}_{vm.name}",
        storage_domain_id=configured.storage_domain_id,
        volumes=VolumeChain(DiskContent.from_view(view), state.ids.new()),
        format=source.format,  # the ancestor's (base volume's) format and allocation
        backup=source.backup,
        sparse=source.sparse,
        status="locked",
        description=configured.description,
        content_type=source.content_type,
        wipe_after_delete=source.wipe_after_delete,
        propagate_errors=source.propagate_errors,
        created=state.now(),
    )
    state.disks[copy.id] = copy
    domain = state.storage_domains.get(copy.storage_domain_id)
    if domain is not None:
        take_space(domain, copy)
    vm.attachments.append(
        DiskAttachment(
            disk_id=copy.id,
            vm_id=vm.id,
            active=configured.active,
            bootable=configured.bootable,
            interface=configured.interface,
        )
    )
    return copy


def _nic_copy(state: State, vm: Vm, nic: Nic) -> Nic:
    """A NIC of the configuration on the new VM, with a MAC from the pool."""
    return Nic(
        id=state.ids.new(),
        name=nic.name,
        vm_id=vm.id,
        mac=allocate_mac(state),
        vnic_profile_id=nic.vnic_profile_id,
        interface=nic.interface,
        linked=nic.linked,
        plugged=nic.plugged,
        description=nic.description,
    )


# -- the copies' end, on the engine's clock -------------------------------------------------
def observe(state: State, vm: Vm) -> None:
    """A client was shown the cloning `vm`: count the read (a per-read policy moves on it)."""
    advance(state, vm, on_read=True)
    if vm.work is not None and vm.work.kind == CLONING:
        vm.work.progress.reads += 1
    schedule(state, vm)


def advance(state: State, vm: Vm, *, on_read: bool = False) -> None:
    """End the copies if they are due under the engine's policy."""
    work = vm.work
    if work is None or work.kind != CLONING or vm.id not in state.vms:
        return
    policy = state.policy
    if policy.reads is not None and not on_read:
        return
    if work.progress.due(policy, VmStatus.IMAGE_LOCKED.value, state.now()):
        complete(state, vm)


def complete(state: State, vm: Vm) -> None:
    """End the copies now, whatever the policy (what `Expect: 201-created` waits for)."""
    work = vm.work
    if work is None or work.kind != CLONING or vm.id not in state.vms:
        return
    _done(state, vm, work)


def _done(state: State, vm: Vm, work: PendingWork) -> None:
    """endSuccessfully: the copies' images `ok`, then `unlockEntities`, then event 53."""
    vm.work = None
    for attachment in vm.attachments:
        disk = state.disks.get(attachment.disk_id)
        if disk is not None and disk.status == "locked" and disk.work is None:
            disk.status = "ok"
    snapshot = state.snapshots.get(str(work.changes.get("snapshot", "")))
    if snapshot is not None and snapshot.status == "locked" and snapshot.progress is None:
        snapshot.status = "ok"
    vm.status = VmStatus.DOWN
    state.log("vm_add_finished", msg.EVENT_ADD_VM_FINISHED.format(vm=vm.name), vm=vm)
    end_job(state, work.job_id, succeeded=True)


def next_due(state: State, vm: Vm) -> datetime | None:
    if vm.work is None or vm.work.kind != CLONING:
        return None
    return vm.work.progress.due_at(state.policy, VmStatus.IMAGE_LOCKED.value)


def schedule(state: State, vm: Vm) -> None:
    if vm.id in state.vms:
        state.schedule.at((CLONING, vm.id), next_due(state, vm))


def on_time(state: State, vm_id: str) -> None:
    """What the schedule runs for `("clone", id)`."""
    vm = state.vms.get(vm_id)
    if vm is None:
        return
    advance(state, vm)
    schedule(state, vm)
