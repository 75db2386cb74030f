"""A backup request, the path it takes and whether the engine accepts it.

Rules of this file:
- the request's profile (`core/profile.py`) decides the path (`choose_path`) and the order
  of the checks (`Profile.validation`); each check is one function in `_CHECKS`;
- a check only reads: a refused request changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from . import messages as msg
from .errors import BadRequest, Conflict
from .model import Vm, VmStatus
from .phases import BackupPath
from .policy import TransitionPolicy
from .profile import Check, Profile
from .state import State

__all__ = ["MAX_DESCRIPTION", "BackupRequest", "choose_path", "validate"]

MAX_DESCRIPTION = 1024


@dataclass(frozen=True)
class BackupRequest:
    """A parsed `POST /vms/{vm}/backups`; `disk_ids` is None when `<disks>` was missing.

    `use_active` and `legacy` are the query flags; which of them selects the active-volume
    path is the profile's `active_path_flags`."""

    disk_ids: tuple[str, ...] | None
    backup_id: str | None = None
    from_checkpoint_id: str | None = None
    description: str | None = None
    require_consistency: bool = False
    use_active: bool = False
    bad_flag: tuple[str, str] | None = None  # (name, value) of a query flag that is not boolean
    policy: TransitionPolicy | None = None
    legacy: bool = False


def validate(
    state: State, vm: Vm, request: BackupRequest, path: BackupPath, profile: Profile
) -> tuple[str, ...]:
    """behaviour.md section 3, in the profile's order; the first check that fails answers;
    the requested disk ids without repeats.

    A missing or empty `<disks>` is refused first on every profile (the engine would fail
    with a 500 "General command validation failure")."""
    if not request.disk_ids:
        raise BadRequest(msg.BACKUP_NO_DISKS)
    disk_ids = tuple(dict.fromkeys(request.disk_ids))
    for check in profile.validation:
        _CHECKS[check](state, vm, request, disk_ids, path)
    return disk_ids


def _check_locks(
    state: State, vm: Vm, request: BackupRequest, disk_ids: tuple[str, ...], path: BackupPath
) -> None:
    """The engine's in-memory locks, taken before validate() (CommandBase.java:819-825):
    the legacy command locks the VM and the requested disks, the hybrid one every active,
    non-shareable disk of the VM (StartVmBackupCommand.java:740-748, HybridBackupCommand.
    java:209-218). A conflict answers with the holder's message: a running backup's, or a
    plain transfer's (TransferDiskImageCommand.java:451-492, held until it finishes)."""
    legacy = path is not BackupPath.SNAPSHOT
    wanted = set(disk_ids) if legacy else _lockable_disks(state, vm)
    holder = state.unfinished_backup(vm.id)
    if holder is not None:
        if legacy and holder.path is not BackupPath.SNAPSHOT:
            raise Conflict(msg.BACKUP_VM_DURING_BACKUP)  # the VM lock
        snapshot = holder.path is BackupPath.SNAPSHOT
        held = _lockable_disks(state, vm) if snapshot else set(holder.disk_ids)
        if wanted & held:
            raise Conflict(msg.BACKUP_DISK_IS_LOCKED)
    for transfer in state.vm_transfers(vm.id):
        running = transfer.backup_id is None and not transfer.phase.finished
        if running and (legacy or transfer.disk_id in wanted):  # it locks the disk's VMs too
            disk = state.disks.get(transfer.disk_id)
            alias = disk.alias if disk else transfer.disk_id
            raise Conflict(msg.BACKUP_DISK_BEING_TRANSFERRED.format(alias=alias))


def _lockable_disks(state: State, vm: Vm) -> set[str]:
    """What a hybrid backup locks: the VM's active, non-shareable disks."""
    return {
        a.disk_id
        for a in vm.attachments
        if a.active and a.disk_id in state.disks and not state.disks[a.disk_id].shareable
    }


def _check_disks_exist(
    state: State, vm: Vm, request: BackupRequest, disk_ids: tuple[str, ...], path: BackupPath
) -> None:
    missing = [d for d in disk_ids if d not in state.disks]
    if missing:
        raise BadRequest(msg.BACKUP_DISKS_NOT_EXIST.format(ids=", ".join(missing)))


def _check_disks_plugged(
    state: State, vm: Vm, request: BackupRequest, disk_ids: tuple[str, ...], path: BackupPath
) -> None:
    """Unplugged, or not attached to this VM at all (the engine fails the latter with a
    500 from a null device: fakeovirt answers as for an unplugged disk)."""
    inactive = [d for d in disk_ids if not ((a := vm.attachment(d)) and a.active)]
    if inactive:
        raise Conflict(msg.BACKUP_DISKS_NOT_ACTIVE.format(vm=vm.name, ids=", ".join(inactive)))


def _check_disks_locked(
    state: State, vm: Vm, request: BackupRequest, disk_ids: tuple[str, ...], path: BackupPath
) -> None:
    locked = [state.disks[d].alias for d in disk_ids if state.disks[d].status == "locked"]
    if locked:
        raise Conflict(msg.BACKUP_DISKS_LOCKED.format(aliases=", ".join(locked)))


def _check_checkpoint(
    state: State, vm: Vm, request: BackupRequest, disk_ids: tuple[str, ...], path: BackupPath
) -> None:
    if request.from_checkpoint_id is not None:
        checkpoint = state.checkpoints.get(request.from_checkpoint_id)
        if checkpoint is None:
            raise BadRequest(msg.BACKUP_CHECKPOINT_NOT_EXIST.format(id=request.from_checkpoint_id))
        if checkpoint.state == "invalid":
            raise BadRequest(msg.BACKUP_CHECKPOINT_INVALID.format(id=request.from_checkpoint_id))


def _check_vm_status(
    state: State, vm: Vm, request: BackupRequest, disk_ids: tuple[str, ...], path: BackupPath
) -> None:
    if vm.status not in (VmStatus.UP, VmStatus.DOWN):
        raise Conflict(msg.BACKUP_VM_STATUS)


def _check_during_backup(
    state: State, vm: Vm, request: BackupRequest, disk_ids: tuple[str, ...], path: BackupPath
) -> None:
    if state.unfinished_backup(vm.id) is not None:
        raise Conflict(msg.BACKUP_VM_DURING_BACKUP)


def _check_description(
    state: State, vm: Vm, request: BackupRequest, disk_ids: tuple[str, ...], path: BackupPath
) -> None:
    if request.description is not None and len(request.description) > MAX_DESCRIPTION:
        raise BadRequest(msg.BACKUP_DESCRIPTION_TOO_LONG)


def _check_backup_id(
    state: State, vm: Vm, request: BackupRequest, disk_ids: tuple[str, ...], path: BackupPath
) -> None:
    if request.backup_id is not None and request.backup_id in state.backups:
        raise BadRequest(msg.BACKUP_ID_EXISTS.format(id=request.backup_id))


def _check_flags(
    state: State, vm: Vm, request: BackupRequest, disk_ids: tuple[str, ...], path: BackupPath
) -> None:
    if request.bad_flag is not None:
        name, value = request.bad_flag
        raise BadRequest(msg.BAD_FLAG.format(name=name, value=value))


_CHECKS: dict[Check, Callable[[State, Vm, BackupRequest, tuple[str, ...], BackupPath], None]] = {
    Check.LOCKS: _check_locks,
    Check.DISKS_EXIST: _check_disks_exist,
    Check.DISKS_PLUGGED: _check_disks_plugged,
    Check.DISKS_LOCKED: _check_disks_locked,
    Check.CHECKPOINT: _check_checkpoint,
    Check.VM_STATUS: _check_vm_status,
    Check.DURING_BACKUP: _check_during_backup,
    Check.DESCRIPTION: _check_description,
    Check.BACKUP_ID: _check_backup_id,
    Check.FLAGS: _check_flags,
}


def choose_path(state: State, vm: Vm, request: BackupRequest, profile: Profile) -> BackupPath:
    """The snapshot path unless a flag of `active_path_flags` is set, or (with
    `hybrid_min_cluster`) the VM's cluster is below the hybrid backup's level."""
    flags = {"use_active": request.use_active, "legacy": request.legacy}
    active = any(flags[name] for name in profile.active_path_flags)
    if profile.hybrid_min_cluster is not None:
        cluster = state.clusters.get(vm.cluster_id)
        active = active or cluster is None or cluster.version < profile.hybrid_min_cluster
    if not active:
        return BackupPath.SNAPSHOT
    return BackupPath.LIVE if vm.status is VmStatus.UP else BackupPath.COLD
