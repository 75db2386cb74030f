"""How long the engine keeps what has finished, as its cleanup managers do, on engine time.

Rules of this file:
- every default is the engine's, with the config key that sets it there
  (`packaging/dbscripts/upgrade/pre_upgrade/0000_config.sql` of oVirt/ovirt-engine):
  - backups: `SucceededBackupCleanupTimeInMinutes` 15, `FailedBackupCleanupTimeInMinutes`
    30 (line 996-997), removed by `DbEntityCleanupManager` (`vm_backups_sp.sql
    DeleteCompletedBackupsOlderThanDate`), counted from the backup's last change;
  - image transfers: `SucceededImageTransferCleanupTimeInMinutes` 15,
    `FailedImageTransferCleanupTimeInMinutes` 30 (lines 998-999), the same manager;
  - jobs: `SucceededJobCleanupTimeInMinutes` 10 (line 652) for finished jobs,
    `FailedJobCleanupTimeInMinutes` 60 (line 122) for failed ones, counted from their end
    (`bll/job/JobRepositoryCleanupManager.java`, `job_sp.sql DeleteCompletedJobsOlderThanDate`);
  - events: once a day at `AuditLogCleanupTime` 03:35:35 (line 67) the engine deletes the
    events older than `AuditLogAgingThreshold` days, 30 (line 66)
    (`bll/AuditLogCleanupManager.java`, `audit_log_sp.sql DeleteAuditLogOlderThenDate`);
- deliberate divergences: backups, transfers and jobs leave at the exact moment (the engine's
  managers run every `DbEntitiesCleanupRateInMinutes`/`JobCleanupRateInMinutes`, 10 minutes,
  so there they leave up to 10 minutes later); the cleanup time of day is engine-clock UTC
  (the engine's cron uses the server's zone); and fakeovirt keeps at most `events_kept` events
  (default 10,000, oldest dropped first), because a fake has no database to fill: the bound
  keeps a server that answers for hours from growing without end.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from .model import Job

__all__ = ["Retention", "job_due"]

_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Retention:
    """How long finished backups, transfers and jobs, and events, are kept."""

    backup_succeeded: timedelta = timedelta(minutes=15)
    backup_failed: timedelta = timedelta(minutes=30)
    transfer_succeeded: timedelta = timedelta(minutes=15)
    transfer_failed: timedelta = timedelta(minutes=30)
    job_succeeded: timedelta = timedelta(minutes=10)
    job_failed: timedelta = timedelta(minutes=60)
    audit_log_aging: timedelta = timedelta(days=30)
    audit_log_cleanup: time = time(3, 35, 35)
    events_kept: int | None = 10_000

    def __post_init__(self) -> None:
        spans = (
            self.backup_succeeded,
            self.backup_failed,
            self.transfer_succeeded,
            self.transfer_failed,
            self.job_succeeded,
            self.job_failed,
            self.audit_log_aging,
        )
        if any(span < timedelta(0) for span in spans):
            raise ValueError("retention times must not be negative")
        if self.events_kept is not None and self.events_kept < 1:
            raise ValueError("events_kept must be at least 1 (or None for no bound)")

    def backup(self, succeeded: bool) -> timedelta:
        return self.backup_succeeded if succeeded else self.backup_failed

    def transfer(self, succeeded: bool) -> timedelta:
        return self.transfer_succeeded if succeeded else self.transfer_failed

    def last_cleanup(self, now: datetime) -> datetime:
        """The latest daily event cleanup at or before `now` (a time of day in UTC)."""
        at = self.audit_log_cleanup
        today = now.astimezone(UTC).replace(
            hour=at.hour, minute=at.minute, second=at.second, microsecond=0
        )
        return today if today <= now else today - _DAY


def job_due(retention: Retention, job: Job) -> datetime | None:
    """When an ended job is removed; None while it runs."""
    if job.end_time is None:
        return None
    kept = retention.job_succeeded if job.status == "finished" else retention.job_failed
    return job.end_time + kept
