"""Image transfers: backup downloads and plain disk downloads/uploads, with their tickets.

Rules of this file:
- validation follows the engine's order (behaviour.md §6) and changes nothing when it refuses;
- every phase change goes through `_move` and `phases.TRANSFER_TRANSITIONS`;
- a ticket answers only while its transfer is `transferring`; otherwise it is unknown (403);
- after anything that can make a transfer due sooner (its start, a move, a release, a policy
  change) it is put on the engine's schedule (`schedule`): its next automatic step, its
  inactivity timeout, or its removal once finished. A client's activity only postpones the
  timeout: `on_time` finds it not due yet and schedules it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from . import backends, disksnapshots, locks
from . import messages as msg
from .disks import domain_status
from .errors import BadRequest, Conflict, EngineFailure
from .model import Backup, Disk, ImageTransfer, VmStatus
from .phases import (
    TRANSFER_TRANSITIONS,
    BackupPath,
    BackupPhase,
    InvalidTransition,
    TransferPhase,
    next_transfer_phase,
)
from .policy import Progress, TransitionPolicy
from .state import State
from .translate import render_for

__all__ = [
    "TransferRequest",
    "act",
    "advance",
    "expire_if_inactive",
    "next_due",
    "observe",
    "on_time",
    "schedule",
    "start",
]

DIRECTIONS = ("upload", "download")
FORMATS = ("raw", "cow")
TIMEOUT_POLICIES = ("legacy", "pause", "cancel")
DEFAULT_INACTIVITY_TIMEOUT = 60
TRANSFER = "transfer Virtual Disk"  # the command's "<action> <type>" in its texts


@dataclass(frozen=True)
class TransferRequest:
    """A parsed `POST /imagetransfers`: `disk_id` from `<disk id>` or `<image id>`, `image_id`
    from `<snapshot id>` (a disk snapshot, that is a volume)."""

    disk_id: str | None
    backup_id: str | None = None
    direction: str = "upload"
    format: str | None = None
    inactivity_timeout: int | None = None
    timeout_policy: str | None = None
    shallow: bool = False
    host_id: str | None = None
    policy: TransitionPolicy | None = None
    image_id: str | None = None


def start(state: State, request: TransferRequest, user: str) -> ImageTransfer:
    disk, image_id, backup = _validate(state, request)
    now = state.now()
    vm = state.vm_of_disk(disk.id)
    host_id = request.host_id or (backup.host_id if backup else None)
    host_id = host_id or (vm.host_id if vm and vm.host_id else next(iter(state.hosts)))
    transfer = ImageTransfer(
        id=state.ids.new(),
        disk_id=disk.id,
        direction=request.direction,
        format=request.format or disk.volume_format(image_id),  # getTransferImageFormat
        phase=TransferPhase.INITIALIZING,
        host_id=host_id,
        ticket=state.ids.new(),
        created=now,
        modified=now,
        progress=Progress(since=now),
        user=user,
        backup_id=backup.id if backup else None,
        inactivity_timeout=(
            DEFAULT_INACTIVITY_TIMEOUT
            if request.inactivity_timeout is None
            else request.inactivity_timeout
        ),
        timeout_policy=request.timeout_policy or "legacy",
        shallow=request.shallow,
        image_id=request.image_id if request.disk_id is None else None,
        backend="nbd" if backup is not None or request.format == "raw" else "file",
        policy=request.policy,
        history=[(TransferPhase.INITIALIZING, now)],
    )
    state.add_transfer(transfer, vm.id if vm else None)
    if backup is None:  # the image stays locked until the transfer ends (lines 678-679)
        disk.set_volume_state(image_id, "locked")
    state.log(
        "transfer_initiated",
        msg.EVENT_TRANSFER_INITIATED.format(
            direction=transfer.direction.capitalize(), disk=disk.alias, user=user
        ),
        user=user,
        vm=vm,
        subjects=(transfer.id, disk.id) + ((backup.id,) if backup else ()),
    )
    advance(state, transfer)
    transfer.progress.reads += 1
    schedule(state, transfer)
    return transfer


def _validate(state: State, request: TransferRequest) -> tuple[Disk, str, Backup | None]:
    """`TransferDiskImageCommand`: its locks, then `validateImageTransfer()` (lines 192-240).

    Answers the disk, the image id of the volume to transfer and the backup, if any.
    """
    if request.direction not in DIRECTIONS:
        raise BadRequest(msg.TRANSFER_BAD_DIRECTION.format(value=request.direction))
    if request.format is not None and request.format not in FORMATS:
        raise BadRequest(msg.TRANSFER_BAD_FORMAT.format(value=request.format))
    if request.timeout_policy is not None and request.timeout_policy not in TIMEOUT_POLICIES:
        raise BadRequest(msg.TRANSFER_BAD_TIMEOUT_POLICY.format(value=request.timeout_policy))
    if request.disk_id is None and request.image_id is None:
        raise BadRequest(msg.TRANSFER_NO_DISK)
    disk, image_id = _resolve(state, request)
    if request.backup_id is None:
        _lock(state, request, disk)
    if disk is None or image_id is None:  # DiskValidator.isDiskExists (see docs/data-plane.md)
        raise BadRequest(render_for(TRANSFER, msg.DISK_NOT_EXIST))
    if request.host_id is not None:
        state.host(request.host_id)
    if disk.volume_state(image_id) == "illegal":
        raise EngineFailure(msg.DISKS_ILLEGAL.format(what=TRANSFER, aliases=disk.alias))
    domain = state.storage_domains.get(disk.storage_domain_id)
    if domain is not None and domain.status != "active":
        status = domain_status(domain)
        raise Conflict(render_for(TRANSFER, msg.STORAGE_DOMAIN_STATUS_ILLEGAL, status=status))
    if request.backup_id is not None:
        return disk, image_id, _validate_backup(state, request, disk)
    if image_id == disk.image_id:  # only the active volume (`isDiskSnapshot()`, line 221)
        running = sorted(
            vm.name
            for vm in state.vms.values()
            if (a := vm.attachment(disk.id)) is not None
            and a.active
            and vm.status is not VmStatus.DOWN
        )
        if running:
            text = msg.DISK_PLUGGED_TO_NON_DOWN_VMS.format(
                what=TRANSFER, alias=disk.alias, vms=",".join(running)
            )
            raise Conflict(text)
    if disk.volume_state(image_id) == "locked":
        raise Conflict(render_for(TRANSFER, msg.DISKS_LOCKED, diskAliases=disk.alias))
    if request.direction == "upload" and image_id != disk.image_id:
        raise BadRequest(msg.TRANSFER_INTO_SNAPSHOT.format(image=image_id))
    return disk, image_id, None


def _resolve(state: State, request: TransferRequest) -> tuple[Disk | None, str | None]:
    """The disk and volume a request names: `<disk>`/`<image>` its active volume,
    `<snapshot>` that volume (`GetDiskIdBySnapshotIdQuery`)."""
    if request.disk_id is not None:
        disk = state.disks.get(request.disk_id)
        return disk, disk.image_id if disk is not None else None
    found = disksnapshots.find(state, request.image_id or "")
    return (found.disk, found.image_id) if found is not None else (None, None)


def _lock(state: State, request: TransferRequest, disk: Disk | None) -> None:
    """A shared VM lock for a disk snapshot, a shared (download) or exclusive (upload)
    disk lock (`getSharedLocks`, `getExclusiveLocks`, lines 450-492)."""
    if disk is None:
        return
    shared: list[locks.Key] = []
    vm = state.vm_of_disk(disk.id)
    if request.disk_id is None and vm is not None:
        shared.append(locks.vm_key(vm.id))
    if request.direction == "download":
        shared.append(locks.disk_key(disk.id))
        locks.acquire(state, TRANSFER, shared=shared)
    else:
        locks.acquire(state, TRANSFER, shared=shared, exclusive=[locks.disk_key(disk.id)])


def _validate_backup(state: State, request: TransferRequest, disk: Disk) -> Backup:
    """Rows B1-B4 (lines 207-213, 224-240), then fakeovirt's own two (docs/data-plane.md)."""
    backup = state.backups.get(request.backup_id or "")
    if backup is None:
        raise BadRequest(msg.TRANSFER_BACKUP_NOT_EXIST)
    if backup.path is BackupPath.SNAPSHOT and backup.snapshot_id not in state.snapshots:
        raise BadRequest(render_for(TRANSFER, msg.VM_SNAPSHOT_DOES_NOT_EXIST))
    if backup.phase is not BackupPhase.READY:
        phase = backup.profile.phase_name(backup.path, backup.phase)
        raise Conflict(msg.TRANSFER_BACKUP_NOT_READY.format(phase=phase))
    if request.format == "cow":
        raise BadRequest(msg.TRANSFER_FORMAT_NOT_FOR_BACKUP)
    if request.direction != "download":
        raise BadRequest(msg.TRANSFER_UPLOAD_WITH_BACKUP)
    if disk.id not in backup.disk_ids:
        raise BadRequest(msg.TRANSFER_DISK_NOT_IN_BACKUP.format(disk=disk.id, backup=backup.id))
    return backup


def policy_of(state: State, transfer: ImageTransfer) -> TransitionPolicy:
    return transfer.policy or state.policy


def observe(state: State, transfer: ImageTransfer) -> None:
    advance(state, transfer, on_read=True)
    transfer.progress.reads += 1


def advance(state: State, transfer: ImageTransfer, *, on_read: bool = False) -> None:
    """Apply the automatic steps that are due (initializing -> transferring, and endings).

    Under a per-read policy only a client's read moves the transfer (`on_read`).
    """
    policy = policy_of(state, transfer)
    if policy.reads is not None and not on_read:
        return
    while not transfer.phase.finished:
        now = state.now()
        step = "fail" if policy.fail_at == transfer.phase.value else "advance"
        if (transfer.phase, step) not in _AUTOMATIC:
            return
        if not transfer.progress.due(policy, transfer.phase.value, now):
            return
        since = transfer.progress.next_since(policy, now, transfer.phase.value)
        if step == "advance" and transfer.phase is TransferPhase.FINALIZING_SUCCESS:
            step = "advance" if backends.verify(state, transfer) else "fail"
        _move(state, transfer, step, since=since)


_AUTOMATIC = {key for key in TRANSFER_TRANSITIONS if key[1] in ("advance", "fail")}


# (timeout policy, direction) -> (event kind, its text, the system's step), as the engine does
_ON_INACTIVITY = {
    ("legacy", "download"): (
        "download_canceled_timeout",
        msg.EVENT_DOWNLOAD_CANCELED_TIMEOUT,
        "system_cancel",
    ),
    ("legacy", "upload"): (
        "upload_paused_timeout",
        msg.EVENT_UPLOAD_PAUSED_TIMEOUT,
        "system_pause",
    ),
    ("cancel", "download"): (
        "transfer_canceled_on_timeout",
        msg.EVENT_TRANSFER_CANCELED_ON_TIMEOUT,
        "system_cancel",
    ),
    ("cancel", "upload"): (
        "transfer_canceled_on_timeout",
        msg.EVENT_TRANSFER_CANCELED_ON_TIMEOUT,
        "system_cancel",
    ),
    ("pause", "download"): (
        "transfer_paused_on_timeout",
        msg.EVENT_TRANSFER_PAUSED_ON_TIMEOUT,
        "system_pause",
    ),
    ("pause", "upload"): (
        "transfer_paused_on_timeout",
        msg.EVENT_TRANSFER_PAUSED_ON_TIMEOUT,
        "system_pause",
    ),
}


def expire_if_inactive(state: State, transfer: ImageTransfer) -> None:
    """The engine's inactivity timeout: no client activity for `inactivity_timeout` seconds.

    What follows depends on the timeout policy (`_ON_INACTIVITY`); 0 disables the check.
    """
    if transfer.phase is not TransferPhase.TRANSFERRING or transfer.inactivity_timeout <= 0:
        return
    since = transfer.last_activity or transfer.progress.since
    if (state.now() - since).total_seconds() < transfer.inactivity_timeout:
        return
    kind, text, step = _ON_INACTIVITY[transfer.timeout_policy, transfer.direction]
    vm = state.vm_of_disk(transfer.disk_id)
    state.log(kind, text, vm=vm, subjects=_subjects(transfer))
    _move(state, transfer, step, since=state.now())
    advance(state, transfer)


def _subjects(transfer: ImageTransfer) -> tuple[str, ...]:
    backup = (transfer.backup_id,) if transfer.backup_id else ()
    return (transfer.id, transfer.disk_id, *backup)


def act(state: State, transfer_id: str, action: str, user: str) -> ImageTransfer:
    """A user's action: finalize, cancel, pause, resume or extend."""
    transfer = state.transfer(transfer_id)
    advance(state, transfer)
    if action == "extend":
        if transfer.phase.finished:
            raise BadRequest(_finished(transfer, action))
        transfer.progress.restart(transfer.progress.since)
        transfer.last_activity = state.now()
        return transfer
    if action == "pause" and transfer.direction == "download":
        raise BadRequest(msg.TRANSFER_CANNOT_PAUSE_DOWNLOAD)
    if action == "resume" and transfer.phase not in (
        TransferPhase.PAUSED_USER,
        TransferPhase.PAUSED_SYSTEM,
    ):
        raise Conflict(msg.TRANSFER_CANNOT_RESUME)
    try:
        next_transfer_phase(transfer.phase, action)
    except InvalidTransition:
        raise BadRequest(_finished(transfer, action)) from None
    _move(state, transfer, action, since=state.now())
    transfer.last_activity = state.now()  # any action of the client counts as activity
    advance(state, transfer)
    return transfer


def system_event(state: State, transfer_id: str, step: str) -> ImageTransfer:
    """The engine pauses or cancels a transfer by itself (fault injection)."""
    transfer = state.transfer(transfer_id)
    _move(state, transfer, step, since=state.now())
    return transfer


def _finished(transfer: ImageTransfer, action: str) -> str:
    return msg.TRANSFER_FINISHED.format(action=action, id=transfer.id, phase=transfer.phase.value)


def _move(state: State, transfer: ImageTransfer, step: str, *, since: datetime) -> None:
    transfer.phase = next_transfer_phase(transfer.phase, step)
    transfer.progress.restart(since)
    transfer.modified = since
    transfer.history.append((transfer.phase, since))
    if transfer.phase.finished:
        state.finished(transfer)
        _end(state, transfer)
    schedule(state, transfer)


def _end(state: State, transfer: ImageTransfer) -> None:
    disk = state.disks.get(transfer.disk_id)
    transfer.file = None
    if disk is None:
        return
    ok = transfer.phase is TransferPhase.FINISHED_SUCCESS
    image_id = transfer.image_id or disk.image_id
    if transfer.backup_id is None and image_id in disk.volumes:  # lines 887-925, 954-977
        failed_upload = transfer.direction == "upload" and not ok
        disk.set_volume_state(image_id, "illegal" if failed_upload else "ok")
    cancelled = any(p is TransferPhase.CANCELLED_USER for p, _ in transfer.history)
    if ok:
        kind, text = "transfer_succeeded", msg.EVENT_TRANSFER_SUCCEEDED
    elif cancelled:
        kind, text = "transfer_cancelled", msg.EVENT_TRANSFER_CANCELLED
    else:
        kind, text = "transfer_failed", msg.EVENT_TRANSFER_FAILED
    state.log(
        kind,
        text.format(direction=transfer.direction.capitalize(), disk=disk.alias),
        user=transfer.user,
        vm=state.vm_of_disk(disk.id),
        subjects=_subjects(transfer),
    )


# -- the engine's schedule -------------------------------------------------------------
def next_due(state: State, transfer: ImageTransfer) -> datetime | None:
    """When the clock alone next changes the transfer: its next automatic step, its
    inactivity timeout as of its last activity, or, once finished, its removal."""
    if transfer.phase.finished:
        succeeded = transfer.phase is TransferPhase.FINISHED_SUCCESS
        return transfer.modified + state.retention.transfer(succeeded)
    policy = policy_of(state, transfer)
    phase = transfer.phase
    step = "fail" if policy.fail_at == phase.value else "advance"
    times = []
    if (phase, step) in _AUTOMATIC and (at := transfer.progress.due_at(policy, phase.value)):
        times.append(at)
    if phase is TransferPhase.TRANSFERRING and transfer.inactivity_timeout > 0:
        since = transfer.last_activity or transfer.progress.since
        times.append(since + timedelta(seconds=transfer.inactivity_timeout))
    return min(times, default=None)


def schedule(state: State, transfer: ImageTransfer) -> None:
    if transfer.id in state.transfers:
        state.schedule.at(("transfer", transfer.id), next_due(state, transfer))


def on_time(state: State, transfer_id: str) -> None:
    """What the schedule runs for `("transfer", id)`: the due steps, the inactivity
    timeout, then removal if due."""
    transfer = state.transfers.get(transfer_id)
    if transfer is None:
        return
    advance(state, transfer)
    expire_if_inactive(state, transfer)
    due = next_due(state, transfer)
    if transfer.phase.finished and due is not None and due <= state.now():
        state.remove_transfer(transfer_id)
    else:
        state.schedule.at(("transfer", transfer_id), due)
