"""Behaviour profiles: the documented API contract, or what oVirt engine 4.5's code does.

Rules of this file:
- a profile is a frozen table of named switches; the code asks a switch, never a name;
- `DOCUMENTED` (the default) is the API documentation's contract (the seed, behaviour.md);
  `ENGINE` is what ovirt-engine 4.5.7 (= master for these files) does where it departs
  from it; `SWITCHES` names the engine source behind each switch, and docs/backups.md shows
  them as a table (a test keeps the two in step);
- a backup keeps the profile it started under: changing the engine's profile changes what
  starts afterwards, never a backup half way.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any

from .phases import BackupPath, BackupPhase, engine_phase_name

__all__ = [
    "DOCUMENTED",
    "ENGINE",
    "PROFILES",
    "SWITCHES",
    "Check",
    "Profile",
    "as_profile",
]

_S, _L, _C = BackupPath.SNAPSHOT, BackupPath.LIVE, BackupPath.COLD


class Check(StrEnum):
    """A validation step of `POST /vms/{vm}/backups` (`Profile.validation` orders them)."""

    LOCKS = "locks"  # the command's in-memory locks, taken before validate()
    DISKS_EXIST = "disks_exist"
    DISKS_LOCKED = "disks_locked"
    DISKS_PLUGGED = "disks_plugged"
    CHECKPOINT = "checkpoint"
    VM_STATUS = "vm_status"
    DURING_BACKUP = "during_backup"
    DESCRIPTION = "description"
    BACKUP_ID = "backup_id"
    FLAGS = "flags"  # a query flag that is not a boolean


@dataclass(frozen=True)
class Profile:
    """One behaviour profile: its name and its switches (see `SWITCHES` for each)."""

    name: str
    summary: str
    active_path_flags: tuple[str, ...]
    hybrid_min_cluster: tuple[int, int] | None
    validation: tuple[Check, ...]
    consistency_paths: frozenset[BackupPath]
    freeze_warning_paths: frozenset[BackupPath]
    snapshot_path_starts: BackupPhase
    checkpoint_at_start: frozenset[BackupPath]
    disks_listed_at_ready: frozenset[BackupPath]
    premature_stop_refused: frozenset[BackupPath]
    engine_texts: bool
    event_subjects_searchable: bool

    @staticmethod
    def named(name: str) -> Profile:
        """`documented` or `engine`; a `ValueError` names the choices."""
        try:
            return PROFILES[name]
        except (KeyError, TypeError):
            choices = ", ".join(PROFILES)
            raise ValueError(f"unknown profile {name!r}: use one of {choices}") from None

    def phase_name(self, path: BackupPath, phase: BackupPhase) -> str:
        """The phase as a fault text names it: `STARTING`, or with `engine_texts` the
        engine's own phase behind it (`CREATING_SCRATCH_DISKS` behind a live backup's
        `initializing`)."""
        return engine_phase_name(path, phase) if self.engine_texts else phase.name

    def said_phase(self, path: BackupPath, phase: BackupPhase) -> str:
        """The phase inside a free-text fault (finalize refusals): the REST name, or with
        `engine_texts` the engine's, as its translator renders free text."""
        return self.free_text(self.phase_name(path, phase)) if self.engine_texts else phase.rest

    def free_text(self, text: str) -> str:
        """A message the engine sends untranslated: with `engine_texts` lower-cased with
        `_` as spaces (ErrorTranslatorImpl.java:136-150), else as written."""
        return text.lower().replace("_", " ") if self.engine_texts else text

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the name, the summary and every switch."""
        switches = {f.name: _json(getattr(self, f.name)) for f in fields(self)}
        name, summary = switches.pop("name"), switches.pop("summary")
        return {"name": name, "summary": summary, "switches": switches}


def _json(value: object) -> object:
    if isinstance(value, frozenset):
        return sorted(str(v) for v in value)
    if isinstance(value, tuple):
        return [_json(v) for v in value]
    if isinstance(value, StrEnum):
        return str(value)
    return value


DOCUMENTED = Profile(
    name="documented",
    summary="the API documentation's contract (the default)",
    active_path_flags=("use_active", "legacy"),
    hybrid_min_cluster=None,
    validation=(
        Check.DISKS_EXIST,
        Check.DISKS_PLUGGED,
        Check.DISKS_LOCKED,
        Check.CHECKPOINT,
        Check.VM_STATUS,
        Check.DURING_BACKUP,
        Check.DESCRIPTION,
        Check.BACKUP_ID,
        Check.FLAGS,
    ),
    consistency_paths=frozenset({_S, _L, _C}),
    freeze_warning_paths=frozenset({_S, _L}),
    snapshot_path_starts=BackupPhase.INITIALIZING,
    checkpoint_at_start=frozenset(),
    disks_listed_at_ready=frozenset(),
    premature_stop_refused=frozenset(),
    engine_texts=False,
    event_subjects_searchable=True,
)

ENGINE = Profile(
    name="engine",
    summary="what oVirt engine 4.5 code does where it departs from the documentation",
    active_path_flags=("legacy",),
    hybrid_min_cluster=(4, 7),
    validation=(
        Check.LOCKS,
        Check.DISKS_EXIST,
        Check.DISKS_LOCKED,
        Check.DISKS_PLUGGED,
        Check.CHECKPOINT,
        Check.VM_STATUS,
        Check.DURING_BACKUP,
        Check.DESCRIPTION,
        Check.BACKUP_ID,
    ),
    consistency_paths=frozenset({_L, _C}),
    freeze_warning_paths=frozenset({_S}),
    snapshot_path_starts=BackupPhase.STARTING,
    checkpoint_at_start=frozenset({_L, _C}),
    disks_listed_at_ready=frozenset({_S}),
    premature_stop_refused=frozenset({_L, _C}),
    engine_texts=True,
    event_subjects_searchable=False,
)

PROFILES: dict[str, Profile] = {p.name: p for p in (DOCUMENTED, ENGINE)}

_REST = "restapi/jaxrs/.../restapi/resource/"  # ovirt-engine backend/manager/modules/...
_BKP = "bll/.../bll/storage/backup/"
SWITCHES: dict[str, str] = {  # switch -> the engine source that decides its `ENGINE` value
    "active_path_flags": _REST + "BackendVmBackupsResource.java:69-76,84-86 (reads only "
    "`legacy`; `use_active` occurs nowhere in the engine)",
    "hybrid_min_cluster": _REST + "BackendVmBackupsResource.java:69; FeatureSupported."
    "isHybridBackupSupported; 0000_config.sql:994-995 (UseHybridBackup from 4.7)",
    "validation": _BKP + "StartVmBackupCommand.java:130-230 (validate), :740-748 and "
    "HybridBackupCommand.java:209-218 (locks, taken first: CommandBase.java:819-825); "
    "ParametersHelper.java:137-154 (a bad boolean is ignored)",
    "consistency_paths": _REST + "BackendVmBackupsResource.java:71 vs :75 (the hybrid "
    "path is given no require_consistency)",
    "freeze_warning_paths": "bll/.../snapshots/CreateSnapshotForVmCommand.java:618-660 "
    "(FAILED_TO_FREEZE_VM, snapshot path only; vdsm backup.py ignores a failed freeze "
    "silently on the live path)",
    "snapshot_path_starts": _BKP + "HybridBackupCommand.java:105-134 (STARTING before the "
    "POST returns); VmBackupMapper.java:80-105",
    "checkpoint_at_start": _BKP + "StartVmBackupCommand.java:278-290 (created at start "
    "unless all disks are raw), :390,458 (to_checkpoint_id once ready), :707-713 (removed "
    "on failure); HybridBackupCommand.java:159-162 (at STARTING -> READY)",
    "disks_listed_at_ready": _BKP + "HybridBackupCommand.java:148-157 (disk rows added at "
    "STARTING -> READY); GetVmBackupByIdQuery.java",
    "premature_stop_refused": _BKP + "StopVmBackupCommand.java:99-112 (execute-failed "
    "message, no rollback: @NonTransactiveCommandAttribute)",
    "engine_texts": "VmBackupPhase.java; StopVmBackupCommand.java:84-107; "
    "TransferDiskImageCommand.java:228-231; ErrorTranslatorImpl.java:136-150 (free text "
    "lower-cased, `_` as spaces)",
    "event_subjects_searchable": "searchbackend (free text of an event is its message and "
    "names; a snapshot event does not name the backup)",
}


def as_profile(value: Profile | str) -> Profile:
    """A profile from itself or its name."""
    return value if isinstance(value, Profile) else Profile.named(value)
