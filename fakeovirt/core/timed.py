"""The engine's timed work, by kind: what `Engine.tick()` runs off the schedule.

Rules of this file:
- `TIMED` maps each kind of key on `state.schedule` to its handler `(state, entity_id)`;
  a handler does what is due for its entity on the engine clock and schedules the entity's
  next due time (see `schedule.py` for the contract a new kind follows);
- `run_due` is the whole of a tick: it costs what is due, never the history of the engine;
- `reschedule` is for what changes due times wholesale (a new engine policy): it visits only
  what has not finished (and the snapshots, which are few: the locked ones).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from . import backups, disks, snapshots, transfers, vm_clone, vms
from .model import Backup
from .retention import job_due
from .state import State

__all__ = ["AUDIT_LOG", "TIMED", "age_events", "expire_job", "reschedule", "run_due", "start"]

AUDIT_LOG = ("audit_log", "")  # the key of the engine's daily event cleanup
_DAY = timedelta(days=1)


def expire_job(state: State, job_id: str) -> None:
    """`("job", id)`: remove an ended job once its retention has passed."""
    job = state.jobs.get(job_id)
    if job is None:
        return
    due = job_due(state.retention, job)
    if due is not None and due <= state.now():
        del state.jobs[job_id]
    else:
        state.schedule.at(("job", job_id), due)


def age_events(state: State, _: str = "") -> None:
    """`AUDIT_LOG`: the engine's daily cleanup drops the events older than the aging
    threshold as of the latest cleanup time (however many days the clock skipped)."""
    ran = state.retention.last_cleanup(state.now())
    state.events.drop_before(ran - state.retention.audit_log_aging)
    state.schedule.at(AUDIT_LOG, ran + _DAY)


TIMED: dict[str, Callable[[State, str], None]] = {
    "backup": backups.on_time,
    "transfer": transfers.on_time,
    "snapshot": snapshots.on_time,  # a snapshot's locked status (creation or merge)
    "job": expire_job,
    "audit_log": age_events,
    "disk": disks.on_time,
    "vm": vms.on_time,
    "clone": vm_clone.on_time,  # a VM cloned from a snapshot, while its disks are copied
}


def start(state: State) -> None:
    """Configure a freshly built state: the event bound, the first daily event cleanup."""
    state.events.kept = state.retention.events_kept
    state.schedule.at(AUDIT_LOG, state.retention.last_cleanup(state.now()) + _DAY)


def run_due(state: State) -> int:
    """Run every piece of work due on the clock, earliest first; return how many ran."""
    ran = 0
    for kind, entity_id in state.schedule.due(state.now()):
        TIMED[kind](state, entity_id)
        ran += 1
    return ran


def reschedule(state: State) -> None:
    """Schedule again what has not finished, after a change of the engine's policy."""
    for entity in state.unfinished():
        if isinstance(entity, Backup):
            backups.schedule(state, entity)
        else:
            transfers.schedule(state, entity)
    for snapshot in [s for s in state.snapshots.values() if s.status == "locked"]:
        snapshots.schedule(state, snapshot)
    for disk in state.disks.values():  # disk and VM work is rare: the inventory, not history
        if disk.work is not None:
            disks.schedule(state, disk)
    for vm in state.vms.values():
        if vm.work is not None:
            vms.schedule(state, vm)
            vm_clone.schedule(state, vm)
