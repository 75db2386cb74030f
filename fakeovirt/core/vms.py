"""VMs: creation from the Blank template, removal, and the power actions a backup tool uses.

Rules of this file:
- each command checks its locks, validates in its engine order and changes nothing when it
  refuses: AddVmFromScratch/AddVm `BLL/AddVmCommand.java:568-849, 1026-1045`, RemoveVm
  `BLL/RemoveVmCommand.java:219-321`, RunVm `BLL/RunVmCommand.java:1066-1163` with
  `validator/RunVmValidator.java:168-224`, StopVm/ShutdownVm `BLL/StopVmCommandBase.java:67-93`;
- a power action sets what the command sets at once (RunVm: `wait_for_launch`; a graceful
  shutdown: `powering_down`) and leaves the rest to the VM monitoring, which `POWER_STEPS`
  plays on the engine's clock and transition policy (timed kind `vm`): `wait_for_launch` →
  `powering_up` → `up`, `powering_down` → `down`, and a stopped VM → `down`;
- stopping or shutting down a VM that is Down is a success that does nothing but log 254
  (`StopVmCommandBase.shouldSkipCommandExecution`);
- during a backup, start/stop/shutdown are refused unless every backup of the VM is a hybrid
  (snapshot path) one (`VmOperationCommandBase.shouldBlockDuringBackup`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from . import locks
from . import messages as msg
from .disks import advance as advance_disk
from .disks import schedule as schedule_disk
from .disks import snapshot_checks
from .jobs import end_job, start_job
from .model import Backup, PendingWork, Snapshot, Vm, VmStatus
from .phases import BackupPath
from .policy import Progress
from .snapshot_attachments import attached_elsewhere
from .state import State
from .templates import BLANK
from .translate import Command, refuse
from .vmstatus import localized, status_blocks

__all__ = [
    "ADD_VM",
    "POWER_STEPS",
    "REMOVE_VM",
    "RUN_VM",
    "SHUTDOWN_VM",
    "STOP_VM",
    "VALID_NAME",
    "VmRequest",
    "add",
    "next_due",
    "observe",
    "on_time",
    "power",
    "remove",
    "schedule",
]

ADD_VM = Command("AddVmFromScratch", "add", "VM")
REMOVE_VM = Command("RemoveVm", "remove", "VM")
RUN_VM = Command("RunVm", "run", "VM")
STOP_VM = Command("StopVm", "stop", "VM")
SHUTDOWN_VM = Command("ShutdownVm", "shutdown", "VM")
MiB = 1 << 20
VM_NAME_SIZE = 255  # BusinessEntitiesDefinitions.VM_NAME_SIZE
VALID_NAME = re.compile(r"[\w.-]*")  # ValidI18NName: letters of any script, digits, '_', '-', '.'
# the VM monitoring's steps, from the status a power action left
POWER_STEPS = {
    VmStatus.WAIT_FOR_LAUNCH: VmStatus.POWERING_UP,
    VmStatus.POWERING_UP: VmStatus.UP,
    VmStatus.POWERING_DOWN: VmStatus.DOWN,
}
GUEST_SHUT_DOWN = "Exit message: User shut down from within the guest"
CLONING = "clone"  # a VM whose disks are being copied: core/vm_clone.py moves it


@dataclass(frozen=True)
class VmRequest:
    """A parsed `POST /vms` from the Blank template (cluster already resolved by REST)."""

    name: str
    cluster_id: str
    vm_id: str | None = None
    memory: int | None = None
    memory_guaranteed: int | None = None
    memory_max: int | None = None
    sockets: int | None = None
    cores: int | None = None
    threads: int | None = None
    description: str | None = None
    comment: str | None = None
    type: str | None = None
    os: str | None = None
    delete_protected: bool = False
    stateless: bool = False


def add(state: State, request: VmRequest, user: str) -> Vm:
    """AddVmFromScratch: a Down VM without disks, made from the Blank template."""
    _validate_add(state, request)
    memory = request.memory if request.memory is not None else BLANK.memory
    vm = Vm(
        id=request.vm_id or state.ids.new(),
        name=request.name,
        status=VmStatus.DOWN,
        cluster_id=request.cluster_id,
        host_id=None,
        created=state.now(),
        memory=memory,
        description=request.description or "",
        comment=request.comment or "",
        type=request.type or "server",
        os=request.os or "other",
        cpu_sockets=request.sockets or 1,
        cpu_cores=request.cores or 1,
        cpu_threads=request.threads or 1,
        memory_guaranteed=request.memory_guaranteed,
        memory_max=request.memory_max,
        delete_protected=request.delete_protected,
        stateless=request.stateless,
    )
    create(state, vm)
    cluster = state.clusters[vm.cluster_id]
    start_job(state, msg.JOB_ADD_VM.format(vm=vm.name, cluster=cluster.name), user, ended=True)
    state.log("vm_added", msg.EVENT_ADD_VM.format(vm=vm.name, user=user), user=user, vm=vm)
    return vm


def create(state: State, vm: Vm) -> None:
    """Store a new VM with its "Active VM" snapshot (SnapshotsManager.addActiveSnapshot)."""
    state.vms[vm.id] = vm
    active = Snapshot(
        id=state.ids.new(),
        vm_id=vm.id,
        description=msg.ACTIVE_SNAPSHOT,
        date=state.now(),
        disk_ids=[],
        type="active",
    )
    state.snapshots[active.id] = active


def _validate_add(state: State, request: VmRequest) -> None:
    """validateInputs, then AddVmCommand.validate in its order."""
    if not VALID_NAME.fullmatch(request.name):
        raise refuse(ADD_VM, msg.NAME_SPECIAL_CHARS)
    cluster = state.clusters.get(request.cluster_id)
    if cluster is None:
        raise refuse(ADD_VM, msg.CLUSTER_CAN_NOT_BE_EMPTY)
    if name_used(state, request.name, cluster.data_center_id):
        raise refuse(ADD_VM, msg.NAME_ALREADY_USED)
    if not request.name:
        raise refuse(ADD_VM, msg.NAME_MAY_NOT_BE_EMPTY)
    if len(request.name) > VM_NAME_SIZE:
        raise refuse(ADD_VM, msg.NAME_TOO_LONG)
    memory = request.memory if request.memory is not None else BLANK.memory
    guaranteed = memory if request.memory_guaranteed is None else request.memory_guaranteed
    if guaranteed // MiB > memory // MiB:
        raise refuse(ADD_VM, msg.MIN_MEMORY_EXCEEDS_MEMORY)
    if request.vm_id is not None and request.vm_id in state.vms:
        raise refuse(ADD_VM, msg.VM_ID_EXISTS)


def name_used(state: State, name: str, data_center_id: str) -> bool:
    """Whether a VM of that name exists in the data center (VmHandler.isVmWithSameNameExist)."""
    for vm in state.vms.values():
        cluster = state.clusters.get(vm.cluster_id)
        if vm.name == name and cluster is not None and cluster.data_center_id == data_center_id:
            return True
    return False


# -- RemoveVm ---------------------------------------------------------------------------------
def remove(
    state: State, vm_id: str, user: str, *, detach_only: bool = False, force: bool = False
) -> None:
    """RemoveVm: the VM and (unless `detach_only`) its disks, snapshots and checkpoints."""
    locks.require(state, REMOVE_VM, exclusive_vms=[vm_id])
    vm = state.vms.get(vm_id)
    if vm is None:
        raise refuse(REMOVE_VM, msg.VM_NOT_FOUND)
    if vm.delete_protected:
        raise refuse(REMOVE_VM, msg.DELETE_PROTECTION_ENABLED)
    disks = state.vm_disks(vm)
    if detach_only and any(len(d.volumes) > 1 for d in disks):
        raise refuse(REMOVE_VM, msg.REMOVE_WITH_DETACH_SNAPSHOTS_EXIST)
    if vm.status is VmStatus.SUSPENDED:
        raise refuse(REMOVE_VM, msg.REMOVE_SUSPENDED_VM)
    if vm.status not in (VmStatus.DOWN, VmStatus.UNASSIGNED, VmStatus.IMAGE_LOCKED):
        raise refuse(REMOVE_VM, msg.VM_IS_RUNNING)
    snapshot_checks(state, vm, REMOVE_VM)
    images = [d for d in disks if not d.shareable]
    locked = [d.alias for d in images if d.status == "locked"]
    if locked and not force:
        raise refuse(REMOVE_VM, msg.DISKS_LOCKED, diskAliases=", ".join(locked))
    if vm.status is VmStatus.IMAGE_LOCKED and not force:
        raise refuse(REMOVE_VM, msg.VM_IS_LOCKED)
    elsewhere = [] if detach_only else attached_elsewhere(state, vm)  # RemoveVmCommand:313
    if elsewhere:
        info = "\n".join(elsewhere)
        raise refuse(REMOVE_VM, msg.DISK_SNAPSHOT_ATTACHED_TO_ANOTHER_VM, disksInfo=info)
    if state.unfinished_backup(vm.id) is not None:
        raise refuse(REMOVE_VM, msg.VM_IS_DURING_BACKUP)
    start_job(state, msg.JOB_REMOVE_VM.format(vm=vm.name), user, ended=True)
    _forget(state, vm)
    if not detach_only:
        for disk in images:
            disk.status = "locked"
            disk.work = PendingWork("remove", Progress(since=state.now()), user)
    state.log("vm_removed", msg.EVENT_REMOVE_VM.format(vm=vm.name, user=user), user=user)
    if not detach_only:
        for disk in images:
            advance_disk(state, disk)
            schedule_disk(state, disk)


def _forget(state: State, vm: Vm) -> None:
    """The VM's rows leave the database: the VM, its snapshots, checkpoints and backups; a
    clone's source snapshot is unlocked (AddVmFromSnapshot's `endWithFailure`)."""
    if vm.work is not None and vm.work.kind == CLONING:
        source = state.snapshots.get(str(vm.work.changes.get("snapshot", "")))
        if source is not None and source.status == "locked" and source.progress is None:
            source.status = "ok"
        state.schedule.at((CLONING, vm.id), None)
    del state.vms[vm.id]
    state.schedule.at(("vm", vm.id), None)
    for snapshot in state.vm_snapshots(vm.id):
        del state.snapshots[snapshot.id]
    for checkpoint in state.chain(vm.id)[::-1]:
        state.remove_checkpoint(checkpoint.id)
    for backup in state.vm_backups(vm.id):
        state.remove_backup(backup.id)


# -- power actions ------------------------------------------------------------------------------
def power(
    state: State,
    vm_id: str,
    action: str,
    user: str,
    *,
    force: bool = False,
    reason: str | None = None,
) -> None:
    """`POST /vms/{vm}/start|stop|shutdown`."""
    if action == "start":
        _start(state, vm_id, user)
    else:
        _stop(state, vm_id, action, user, force=force, reason=reason)


def _blocked_by_backup(state: State, vm_id: str) -> bool:
    """VmCommand.isVmDuringBackup for an operation that hybrid backups do not block: an
    unfinished backup exists and not all of the VM's backup rows are hybrid."""
    if state.unfinished_backup(vm_id) is None:
        return False
    return not all(_hybrid(b) for b in state.iter_vm_backups(vm_id))


def _hybrid(backup: Backup) -> bool:
    return backup.path is BackupPath.SNAPSHOT


def _start(state: State, vm_id: str, user: str) -> None:
    locks.require(state, RUN_VM, exclusive_vms=[vm_id])
    vm = state.vms.get(vm_id)
    if vm is None:
        raise refuse(RUN_VM, msg.VM_NOT_FOUND)
    host_id = _host_for(state, vm)
    if vm.status is VmStatus.PAUSED:  # a resume: only the host is checked, backups or not
        vm.status = VmStatus.UP
        host = state.hosts.get(vm.host_id or "")
        state.log(
            "vm_resumed",
            msg.EVENT_RESUME_VM.format(vm=vm.name, user=user, host=host.name if host else ""),
            user=user,
            vm=vm,
        )
        return
    disks = [
        state.disks[a.disk_id] for a in vm.attachments if a.active and a.disk_id in state.disks
    ]
    if not disks:
        raise refuse(RUN_VM, msg.RUN_WITHOUT_DISK)
    if vm.status is VmStatus.IMAGE_LOCKED:
        raise refuse(RUN_VM, msg.VM_IS_LOCKED)
    if any(s.status == "locked" for s in state.vm_snapshots(vm.id)):
        raise refuse(RUN_VM, msg.VM_IS_DURING_SNAPSHOT)
    if status_blocks(vm.status, "RunVm"):
        raise refuse(RUN_VM, msg.VM_STATUS_ILLEGAL, vmStatus=localized(vm.status))
    locked = [d.alias for d in disks if d.status == "locked"]
    if locked:
        raise refuse(RUN_VM, msg.DISKS_LOCKED, diskAliases=", ".join(locked))
    if host_id is None:
        raise refuse(RUN_VM, msg.NO_HOST_FOR_VM)
    if _blocked_by_backup(state, vm.id):
        raise refuse(RUN_VM, msg.VM_IS_DURING_BACKUP)
    host = state.hosts[host_id]
    job = start_job(state, msg.JOB_RUN_VM.format(vm=vm.name), user)
    vm.status = VmStatus.WAIT_FOR_LAUNCH
    vm.host_id = host_id
    vm.stop_reason = None
    vm.work = PendingWork("start", Progress(since=state.now()), user, job_id=job.id)
    state.log(
        "vm_started",
        msg.EVENT_STARTED_VM.format(vm=vm.name, user=user, host=host.name),
        user=user,
        vm=vm,
    )
    advance(state, vm)
    schedule(state, vm)


def _host_for(state: State, vm: Vm) -> str | None:
    """The scheduler's pick: the VM's cluster's first host that is up."""
    for host in state.hosts.values():
        if host.cluster_id == vm.cluster_id and host.status == "up":
            return host.id
    return None


def _stop(
    state: State, vm_id: str, action: str, user: str, *, force: bool, reason: str | None
) -> None:
    command = STOP_VM if action == "stop" else SHUTDOWN_VM
    vm = state.vms.get(vm_id)
    if vm is not None and vm.status is VmStatus.DOWN:
        skipped = "Stop VM" if action == "stop" else "Shutdown VM"
        state.log(
            "vm_already",
            msg.EVENT_VM_ALREADY.format(vm=vm.name, status="Down", action=skipped, user=user),
            user=user,
            vm=vm,
        )
        return
    if vm is None:
        raise refuse(command, msg.VM_NOT_FOUND)
    if _blocked_by_backup(state, vm.id) and not force:
        raise refuse(command, msg.VM_IS_DURING_BACKUP)
    running = vm.status in (
        VmStatus.UP,
        VmStatus.POWERING_DOWN,
        VmStatus.POWERING_UP,
        VmStatus.MIGRATING,
        VmStatus.WAIT_FOR_LAUNCH,
        VmStatus.REBOOT_IN_PROGRESS,
    )
    allowed = (VmStatus.PAUSED, VmStatus.NOT_RESPONDING, VmStatus.SUSPENDED)
    if not running and vm.status not in allowed:
        saving = vm.status in (VmStatus.SAVING_STATE, VmStatus.RESTORING_STATE)
        raise refuse(command, msg.VM_IS_SAVING_RESTORING if saving else msg.VM_IS_NOT_RUNNING)
    host = state.hosts.get(vm.host_id or "")
    host_name = host.name if host else ""
    optional = f" (Reason: {reason})" if reason else ""
    graceful = action == "shutdown" and vm.status is VmStatus.UP
    job_text = msg.JOB_STOP_VM if action == "stop" else msg.JOB_SHUTDOWN_VM
    job = start_job(state, job_text.format(vm=vm.name), user)
    if graceful:
        vm.status = VmStatus.POWERING_DOWN
        text, kind = msg.EVENT_SHUTDOWN_VM, "vm_shutdown"
    elif action == "shutdown":
        text, kind = msg.EVENT_STOPPED_INSTEAD_OF_SHUTDOWN, "vm_stopped_instead_of_shutdown"
    else:
        text, kind = msg.EVENT_STOP_VM, "vm_stopped"
    vm.stop_reason = reason
    vm.work = PendingWork(
        "shutdown" if graceful else "stop",
        Progress(since=state.now()),
        user,
        job_id=job.id,
        reason=reason,
    )
    state.log(
        kind,
        text.format(vm=vm.name, user=user, host=host_name, reason=optional),
        user=user,
        vm=vm,
    )
    advance(state, vm)
    schedule(state, vm)


# -- the VM monitoring, on the engine's clock -------------------------------------------------
def observe(state: State, vm: Vm) -> None:
    """A client was shown `vm`: count the read (a per-read policy moves on it)."""
    advance(state, vm, on_read=True)
    if vm.work is not None and vm.work.kind != CLONING:
        vm.work.progress.reads += 1
    schedule(state, vm)


def advance(state: State, vm: Vm, *, on_read: bool = False) -> None:
    """Apply the monitoring's steps that are due under the engine's policy."""
    policy = state.policy
    if policy.reads is not None and not on_read:
        return
    while vm.work is not None and vm.work.kind != CLONING and vm.id in state.vms:
        now = state.now()
        work = vm.work
        if not work.progress.due(policy, vm.status.value, now):
            return
        since = work.progress.next_since(policy, now)
        _step(state, vm, work, since)
        work.progress.restart(since)
        if policy.reads is not None:
            return  # a read shows each status


def _step(state: State, vm: Vm, work: PendingWork, since: datetime) -> None:
    if work.kind == "stop":
        _down(state, vm, work, since, exit_message=" ")
        return
    following = POWER_STEPS.get(vm.status)
    if following is None:  # the status moved by other means (fault injection, a reset)
        vm.work = None
        end_job(state, work.job_id, succeeded=False)
        return
    if following is VmStatus.DOWN:
        _down(state, vm, work, since, exit_message=GUEST_SHUT_DOWN)
        return
    vm.status = following
    if following is VmStatus.UP:
        vm.work = None
        vm.started = since
        host = state.hosts.get(vm.host_id or "")
        state.log(
            "vm_running",
            msg.EVENT_RUN_VM.format(vm=vm.name, host=host.name if host else ""),
            user=work.user,
            vm=vm,
        )
        end_job(state, work.job_id, succeeded=True)


def _down(state: State, vm: Vm, work: PendingWork, since: datetime, *, exit_message: str) -> None:
    """The monitoring sees the VM gone: VM_DOWN (VmAnalyzer.auditVmOnDownNormal)."""
    state.log("vm_down", msg.EVENT_VM_DOWN.format(vm=vm.name, exit=exit_message), vm=vm)
    vm.status = VmStatus.DOWN
    vm.host_id = None
    vm.work = None
    vm.stopped = since
    vm.generation += 1
    end_job(state, work.job_id, succeeded=True)


def next_due(state: State, vm: Vm) -> datetime | None:
    if vm.work is None or vm.work.kind == CLONING:
        return None
    return vm.work.progress.due_at(state.policy, vm.status.value)


def schedule(state: State, vm: Vm) -> None:
    if vm.id in state.vms:
        state.schedule.at(("vm", vm.id), next_due(state, vm))


def on_time(state: State, vm_id: str) -> None:
    """What the schedule runs for `("vm", id)`."""
    vm = state.vms.get(vm_id)
    if vm is None:
        return
    advance(state, vm)
    schedule(state, vm)
