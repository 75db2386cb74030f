"""The engine's jobs for the commands of disks, VMs, NICs and events
(`ExecutionMessages.properties`): started when a command is accepted, ended with it."""

from __future__ import annotations

from datetime import datetime

from .model import Job
from .retention import job_due
from .state import State

__all__ = ["end_job", "start_job"]


def start_job(state: State, description: str, user: str, *, ended: bool = False) -> Job:
    """A job for a command accepted now; `ended` for a command that finished with its call."""
    now = state.now()
    job = Job(
        id=state.ids.new(),
        description=description,
        status="started",
        start_time=now,
        last_updated=now,
        owner=user,
    )
    state.jobs[job.id] = job
    if ended:
        end_job(state, job.id, succeeded=True)
    return job


def end_job(
    state: State, job_id: str | None, *, succeeded: bool, when: datetime | None = None
) -> None:
    """End a job (if it is still kept and running) at `when` (now by default), and schedule
    its removal."""
    job = state.jobs.get(job_id or "")
    if job is None or job.end_time is not None:
        return
    job.status = "finished" if succeeded else "failed"
    job.end_time = job.last_updated = state.now() if when is None else when
    state.schedule.at(("job", job.id), job_due(state.retention, job))
