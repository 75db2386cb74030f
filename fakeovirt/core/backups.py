"""VM backups: validation, the two paths, finalize, and the engine's own progress.

Rules of this file:
- where the documented contract and engine 4.5's code differ, the backup's profile
  (`core/profile.py`) decides, through its named switches, never through its name;
- validation runs in the profile's order and changes nothing when it refuses;
- every phase change goes through `_move`, which consults `phases.BACKUP_TRANSITIONS`;
- what happens on entering a phase (checkpoint, snapshot, locks, events) lives in `_entered`;
- after anything that can make a backup due sooner (its start, a move, a release, a policy
  change) the backup is put on the engine's schedule (`schedule`): its next automatic step,
  or its removal once finished; `on_time` is what the schedule runs.
"""

from __future__ import annotations

from datetime import datetime

from . import messages as msg
from . import snapshots
from .backup_requests import MAX_DESCRIPTION, BackupRequest, choose_path, validate
from .content import ContentView
from .errors import BadRequest, Conflict
from .jobs import start_job
from .model import Backup, Checkpoint, Vm, VmStatus
from .phases import BackupPath, BackupPhase, Step, next_backup_phase
from .policy import Progress, TransitionPolicy
from .retention import job_due
from .state import State

__all__ = [
    "MAX_DESCRIPTION",
    "BackupRequest",
    "advance",
    "drop_checkpoint",
    "finalize",
    "listed_disk_ids",
    "next_due",
    "observe",
    "on_time",
    "policy_of",
    "schedule",
    "start",
]


def start(state: State, vm_id: str, request: BackupRequest, user: str) -> Backup:
    """Validate and start a backup; the returned backup has been seen once (the add reply)."""
    vm = state.vm(vm_id)
    profile = state.profile
    path = choose_path(state, vm, request, profile)
    disk_ids = validate(state, vm, request, path, profile)
    now = state.now()
    checkpoint = state.checkpoints.get(request.from_checkpoint_id or "")
    snapshot_path = path is BackupPath.SNAPSHOT
    first = profile.snapshot_path_starts if snapshot_path else BackupPhase.INITIALIZING
    backup = Backup(
        id=request.backup_id or state.ids.new(),
        vm_id=vm.id,
        path=path,
        phase=first,
        disk_ids=list(disk_ids),
        created=now,
        modified=now,
        progress=Progress(since=now),
        user=user,
        from_checkpoint_id=request.from_checkpoint_id,
        description=request.description,
        require_consistency=request.require_consistency and path in profile.consistency_paths,
        host_id=vm.host_id if path is BackupPath.LIVE else None,
        policy=request.policy,
        history=[(first, now)],
        profile=profile,
    )
    for disk_id in disk_ids:
        disk = state.disks[disk_id]
        incremental = (
            checkpoint is not None
            and disk.qcow2
            and disk.backup == "incremental"
            and disk_id in checkpoint.disk_ids
        )
        backup.backup_modes[disk_id] = disk.backup_mode = "incremental" if incremental else "full"
        backup.marks[disk_id] = disk.content.generation
        # Both paths export the disks as of now: the snapshot path reads its temporary
        # snapshot, the active path a libvirt pull-mode backup whose scratch disks keep the
        # point in time (vdsm lib/vdsm/virt/backup.py:149-200, backupBegin at :486).
        backup.views[disk_id] = disk.content.freeze()
    state.add_backup(backup)
    if path in profile.checkpoint_at_start and any(state.disks[d].qcow2 for d in disk_ids):
        _make_checkpoint(state, vm, backup)  # StartVmBackupCommand.java:278-290
    backup.job_id = start_job(state, msg.JOB_BACKUP_VM.format(vm=vm.name), user).id
    if path is BackupPath.SNAPSHOT:
        _take_snapshot(state, vm, backup)
    else:
        for disk_id in disk_ids:
            state.disks[disk_id].status = "locked"
    state.log(
        "backup_started",
        msg.EVENT_BACKUP_STARTED.format(backup=backup.id, vm=vm.name, user=user),
        user=user,
        vm=vm,
        subjects=(backup.id,),
    )
    advance(state, backup, on_read=True)  # the add reply is the backup's first read
    backup.progress.reads += 1
    schedule(state, backup)
    return backup


def _take_snapshot(state: State, vm: Vm, backup: Backup) -> None:
    """The snapshot path's temporary snapshot: a real one (`snapshots.take_for_backup`), whose
    frozen volumes the backup reads; guest writes after it go to the new active volumes."""
    snapshot = snapshots.take_for_backup(state, vm, backup)
    backup.snapshot_id = snapshot.id
    for disk_id, image_id in snapshot.images.items():
        frozen = state.disks[disk_id].volumes.volume(image_id).guest
        assert isinstance(frozen, ContentView)  # a snapshot's volume is never the active one
        backup.views[disk_id] = frozen
    state.log(
        "snapshot_started",
        msg.EVENT_SNAPSHOT_STARTED.format(
            snapshot=snapshot.description, vm=vm.name, user=backup.user
        ),
        user=backup.user,
        vm=vm,
        subjects=(backup.id, snapshot.id),
    )
    if vm.status is VmStatus.UP:
        _freeze(state, vm, backup)


def _freeze(state: State, vm: Vm, backup: Backup) -> None:
    """Ask the guest to freeze; a failure is remembered, and warned about unless required
    (on the profile's `freeze_warning_paths`)."""
    backup.freeze_failed = vm.guest.freeze_fails
    warns = backup.path in backup.profile.freeze_warning_paths
    if backup.freeze_failed and not backup.require_consistency and warns:
        state.log(
            "freeze_failed",
            msg.EVENT_FREEZE_FAILED.format(vm=vm.name),
            vm=vm,
            subjects=(backup.id,),
        )


def policy_of(state: State, backup: Backup) -> TransitionPolicy:
    """The backup's own policy, else the engine's."""
    return backup.policy or state.policy


def observe(state: State, backup: Backup) -> None:
    """A client reads the backup: count the read after applying any due progress."""
    advance(state, backup, on_read=True)
    backup.progress.reads += 1


def advance(state: State, backup: Backup, *, on_read: bool = False) -> None:
    """Apply every automatic step that is due under the backup's policy.

    Under a per-read policy only a client's read moves the backup (`on_read`): a clock
    tick, a finalize or a release never shows a phase nobody has read.
    """
    policy = policy_of(state, backup)
    if policy.reads is not None and not on_read:
        return
    while not backup.phase.finished:
        now = state.now()
        if backup.phase is BackupPhase.READY or not backup.progress.due(
            policy, backup.phase.rest, now
        ):
            return
        step = _automatic_step(state, backup, policy)
        since = backup.progress.next_since(policy, now, backup.phase.rest)
        _move(state, backup, step, since=since)


def _automatic_step(state: State, backup: Backup, policy: TransitionPolicy) -> Step:
    if policy.fail_at == backup.phase.rest:
        return Step.FAIL
    if backup.phase is BackupPhase.INITIALIZING and backup.path is BackupPath.SNAPSHOT:
        return Step.FAIL if backup.freeze_failed and backup.require_consistency else Step.ADVANCE
    if backup.phase is BackupPhase.STARTING and backup.path is BackupPath.LIVE:
        _freeze(state, state.vms[backup.vm_id], backup)
        return Step.FAIL if backup.freeze_failed and backup.require_consistency else Step.ADVANCE
    return Step.ADVANCE


def finalize(state: State, vm_id: str, backup_id: str, user: str) -> Backup:
    """`POST .../backups/{id}/finalize`: start the path's finalize sequence."""
    backup = state.backup(vm_id, backup_id)
    vm = state.vms[vm_id]
    advance(state, backup)
    if any(not t.phase.finished for t in state.backup_transfers(backup.id)):
        raise Conflict(msg.FINALIZE_ACTIVE_TRANSFER)
    profile, before = backup.profile, backup.phase
    finishing = backup.phase in (BackupPhase.FINALIZING, BackupPhase.FINALIZING_FAILURE)
    if finishing or backup.phase.finished:
        phase = profile.said_phase(backup.path, backup.phase)
        text = msg.FINALIZE_ALREADY.format(vm=vm.id, id=backup.id, phase=phase)
        raise BadRequest(profile.free_text(text))
    if backup.stop_requested:
        text = msg.FINALIZE_ALREADY_STOPPED.format(vm=vm.id, id=backup.id)
        raise BadRequest(profile.free_text(text))
    if backup.path is BackupPath.SNAPSHOT:
        state.log(
            "backup_stopped",
            msg.EVENT_BACKUP_STOPPED.format(backup=backup.id, vm=vm.name, user=user),
            user=user,
            vm=vm,
            subjects=(backup.id,),
        )
        if backup.phase is not BackupPhase.READY:
            backup.stop_requested = True  # the engine's is_stopped: finalized once ready
            return backup
    else:
        ready = backup.phase is BackupPhase.READY
        kind, text = (
            ("backup_finalized", msg.EVENT_BACKUP_FINALIZED)
            if ready
            else ("backup_failed_to_finalize", msg.EVENT_BACKUP_FAILED_TO_FINALIZE)
        )
        state.log(
            kind,
            text.format(backup=backup.id, vm=vm.name, user=user),
            user=user,
            vm=vm,
            subjects=(backup.id,),
        )
    _move(state, backup, Step.FINALIZE, since=state.now())
    advance(state, backup)
    if before is not BackupPhase.READY and backup.path in profile.premature_stop_refused:
        # the stop happened; the engine reports it as a failed execution (a 400)
        phase = profile.phase_name(backup.path, before)
        text = msg.FINALIZE_PREMATURE.format(id=backup.id, phase=phase)
        raise BadRequest(profile.free_text(text))
    return backup


def _move(state: State, backup: Backup, step: Step, *, since: datetime) -> None:
    backup.phase = next_backup_phase(backup.path, backup.phase, step)
    backup.progress.restart(since)
    backup.modified = since
    backup.history.append((backup.phase, since))
    if backup.phase.finished:
        state.finished(backup)
    _entered(state, backup)
    schedule(state, backup)


def _entered(state: State, backup: Backup) -> None:
    vm = state.vms[backup.vm_id]
    if backup.phase is BackupPhase.READY:
        if backup.path not in backup.profile.checkpoint_at_start:
            _make_checkpoint(state, vm, backup)
        if backup.checkpoint_id in state.checkpoints:
            backup.to_checkpoint_id = backup.checkpoint_id
        snapshot = state.snapshots.get(backup.snapshot_id or "")
        if snapshot is not None:
            snapshot.status = "ok"
            state.log(
                "snapshot_finished",
                msg.EVENT_SNAPSHOT_FINISHED.format(snapshot=snapshot.description, vm=vm.name),
                vm=vm,
                subjects=(backup.id, snapshot.id),
            )
        if backup.stop_requested:
            _move(state, backup, Step.FINALIZE, since=backup.modified)
    elif backup.phase.finished:
        _end(state, vm, backup)


def _make_checkpoint(state: State, vm: Vm, backup: Backup) -> None:
    """The backup's checkpoint, made now: when it is ready, or (`checkpoint_at_start`) at
    the POST; it becomes the backup's `to_checkpoint_id` once the backup is ready."""
    leaf = state.leaf_checkpoint(vm.id)
    qcow2 = [d for d in backup.disk_ids if state.disks[d].qcow2]
    checkpoint = Checkpoint(
        id=state.ids.new(),
        vm_id=vm.id,
        parent_id=leaf.id if leaf else None,
        created=backup.modified,  # the moment the backup started, or became ready
        disk_ids=qcow2,
        marks={d: backup.marks[d] for d in qcow2},
        description=backup.description,
    )
    state.add_checkpoint(checkpoint)
    backup.checkpoint_id = checkpoint.id


def _end(state: State, vm: Vm, backup: Backup) -> None:
    """Release what the backup held and log its outcome."""
    succeeded = backup.phase is BackupPhase.SUCCEEDED
    if not succeeded and backup.checkpoint_id in state.checkpoints:
        drop_checkpoint(state, backup.checkpoint_id or "")
        backup.to_checkpoint_id = backup.checkpoint_id = None
    snapshot = state.snapshots.get(backup.snapshot_id or "")
    if snapshot is not None:  # merged away before the backup ends (RemoveSnapshot)
        snapshots.remove_for_backup(state, snapshot, backup.user)
    backup.snapshot_id = None  # the views stay: what a restore must equal (backup_content)
    if backup.path is not BackupPath.SNAPSHOT:  # the engine's legacy path also clears the mode
        for disk_id in backup.disk_ids:
            if disk_id in state.disks:
                state.disks[disk_id].status = "ok"
                state.disks[disk_id].backup_mode = None
    job = state.jobs.get(backup.job_id or "")
    if job is not None:
        job.status = "finished" if succeeded else "failed"
        job.end_time = job.last_updated = backup.modified
        state.schedule.at(("job", job.id), job_due(state.retention, job))
    kind, text = (
        ("backup_succeeded", msg.EVENT_BACKUP_SUCCEEDED)
        if succeeded
        else ("backup_failed", msg.EVENT_BACKUP_FAILED)
    )
    state.log(
        kind,
        text.format(backup=backup.id, vm=vm.name, user=backup.user),
        user=backup.user,
        vm=vm,
        subjects=(backup.id,),
    )


def listed_disk_ids(backup: Backup) -> list[str]:
    """The disks `GET .../backups/{id}/disks` lists: on a `disks_listed_at_ready` path none
    until the backup has been ready (the engine adds a hybrid backup's disk rows at STARTING
    -> READY: HybridBackupCommand.java:148-157, GetVmBackupByIdQuery.java)."""
    if backup.path in backup.profile.disks_listed_at_ready and not any(
        phase is BackupPhase.READY for phase, _ in backup.history
    ):
        return []
    return backup.disk_ids


def drop_checkpoint(state: State, checkpoint_id: str) -> None:
    """Remove a checkpoint and relink its child to its parent."""
    state.remove_checkpoint(checkpoint_id)


# -- the engine's schedule -------------------------------------------------------------
def next_due(state: State, backup: Backup) -> datetime | None:
    """When the clock alone next changes the backup: its next automatic step, or, once
    finished, its removal (`Retention`); None when only a read, a finalize or a release can."""
    if backup.phase.finished:
        return backup.modified + state.retention.backup(backup.phase is BackupPhase.SUCCEEDED)
    if backup.phase is BackupPhase.READY:
        return None
    return backup.progress.due_at(policy_of(state, backup), backup.phase.rest)


def schedule(state: State, backup: Backup) -> None:
    if backup.id in state.backups:
        state.schedule.at(("backup", backup.id), next_due(state, backup))


def on_time(state: State, backup_id: str) -> None:
    """What the schedule runs for `("backup", id)`: the due steps, then removal if due."""
    backup = state.backups.get(backup_id)
    if backup is None:
        return
    advance(state, backup)
    due = next_due(state, backup)
    if backup.phase.finished and due is not None and due <= state.now():
        state.remove_backup(backup_id)
    else:
        state.schedule.at(("backup", backup_id), due)
