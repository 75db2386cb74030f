"""Phases of backups and image transfers, and the tables that move them.

Rules of this file:
- a phase changes only through `BACKUP_TRANSITIONS` / `TRANSFER_TRANSITIONS`;
- a move that is not in a table is a bug (`InvalidTransition`), never silently ignored;
- internal phases (`FINALIZING_FAILURE`) map to the REST phase the engine shows.
Read top to bottom, each table is the state diagram in `docs/phases.md`.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "BACKUP_TRANSITIONS",
    "ENGINE_PHASES",
    "TRANSFER_TRANSITIONS",
    "BackupPath",
    "BackupPhase",
    "InvalidTransition",
    "Step",
    "TransferPhase",
    "engine_phase_name",
    "next_backup_phase",
    "next_transfer_phase",
]


class InvalidTransition(Exception):
    """A move the tables do not allow."""


class Step(StrEnum):
    """What moves an entity: the engine's own progress, a failure, or a user's action."""

    ADVANCE = "advance"
    FAIL = "fail"
    FINALIZE = "finalize"
    CANCEL = "cancel"


class BackupPath(StrEnum):
    """How the engine takes the backup: a temporary snapshot, or the active volume.

    Which one a request gets is its profile's business (`core/profile.py`)."""

    SNAPSHOT = "snapshot"  # the engine's "hybrid" backup (HybridBackupCommand)
    LIVE = "live"  # the active volume, VM up (StartVmBackupCommand, "legacy")
    COLD = "cold"  # the active volume, VM down


class BackupPhase(StrEnum):
    """A backup's phase; `FINALIZING_FAILURE` is internal (REST shows `finalizing`)."""

    INITIALIZING = "initializing"
    STARTING = "starting"
    READY = "ready"
    FINALIZING = "finalizing"
    FINALIZING_FAILURE = "finalizing_failure"  # shown as "finalizing", ends "failed"
    SUCCEEDED = "succeeded"
    FAILED = "failed"

    @property
    def rest(self) -> str:
        """The phase as the REST API shows it."""
        return "finalizing" if self is BackupPhase.FINALIZING_FAILURE else self.value

    @property
    def finished(self) -> bool:
        """Succeeded or failed: nothing moves it any more."""
        return self in (BackupPhase.SUCCEEDED, BackupPhase.FAILED)


_S, _L, _C = BackupPath.SNAPSHOT, BackupPath.LIVE, BackupPath.COLD
_INIT, _START, _READY = BackupPhase.INITIALIZING, BackupPhase.STARTING, BackupPhase.READY
_FIN, _FINFAIL = BackupPhase.FINALIZING, BackupPhase.FINALIZING_FAILURE
_OK, _FAILED = BackupPhase.SUCCEEDED, BackupPhase.FAILED

BACKUP_TRANSITIONS: dict[tuple[BackupPath, BackupPhase, Step], BackupPhase] = {
    # snapshot path: initializing -> starting -> ready -(finalize)-> finalizing -> succeeded
    (_S, _INIT, Step.ADVANCE): _START,
    (_S, _START, Step.ADVANCE): _READY,
    (_S, _READY, Step.FINALIZE): _FIN,
    (_S, _FIN, Step.ADVANCE): _OK,
    (_S, _INIT, Step.FAIL): _FAILED,
    (_S, _START, Step.FAIL): _FAILED,
    (_S, _FIN, Step.FAIL): _FAILED,
    # active volume, VM up: initializing -> starting -> ready -(finalize)-> finalizing -> succeeded
    (_L, _INIT, Step.ADVANCE): _START,
    (_L, _START, Step.ADVANCE): _READY,
    (_L, _READY, Step.FINALIZE): _FIN,
    (_L, _FIN, Step.ADVANCE): _OK,
    (_L, _INIT, Step.FINALIZE): _FINFAIL,
    (_L, _START, Step.FINALIZE): _FINFAIL,
    (_L, _INIT, Step.FAIL): _FINFAIL,
    (_L, _START, Step.FAIL): _FINFAIL,
    (_L, _FIN, Step.FAIL): _FINFAIL,
    (_L, _FINFAIL, Step.ADVANCE): _FAILED,
    (_L, _FINFAIL, Step.FAIL): _FAILED,
    # active volume, VM down: initializing -> ready -(finalize)-> finalizing -> succeeded
    (_C, _INIT, Step.ADVANCE): _READY,
    (_C, _READY, Step.FINALIZE): _FIN,
    (_C, _FIN, Step.ADVANCE): _OK,
    (_C, _INIT, Step.FINALIZE): _FINFAIL,
    (_C, _INIT, Step.FAIL): _FINFAIL,
    (_C, _FIN, Step.FAIL): _FINFAIL,
    (_C, _FINFAIL, Step.ADVANCE): _FAILED,
    (_C, _FINFAIL, Step.FAIL): _FAILED,
}


def next_backup_phase(path: BackupPath, phase: BackupPhase, step: Step) -> BackupPhase:
    """The phase `step` leads to, or `InvalidTransition`."""
    try:
        return BACKUP_TRANSITIONS[path, phase, step]
    except KeyError:
        text = f"{path.value} backup: no {step.value} from {phase.value}"
        raise InvalidTransition(text) from None


# Where the engine's own phase (VmBackupPhase) behind a REST phase is not the REST phase's
# name: its texts name it (StopVmBackupCommand.java:84-107, TransferDiskImageCommand.java:
# 228-231). A cold backup's `initializing` is ADDING_BITMAPS when the POST returns, then
# WAITING_FOR_BITMAPS; fakeovirt names the first (StartVmBackupCommand.java:294,319-326).
ENGINE_PHASES: dict[tuple[BackupPath, BackupPhase], str] = {
    (_L, _INIT): "CREATING_SCRATCH_DISKS",
    (_C, _INIT): "ADDING_BITMAPS",
    (_S, _FIN): "REMOVING_SNAPSHOT",
}


def engine_phase_name(path: BackupPath, phase: BackupPhase) -> str:
    """The engine's VmBackupPhase name behind `phase` on `path` (VmBackupMapper.java:80-105
    maps them to REST)."""
    return ENGINE_PHASES.get((path, phase), phase.name)


class TransferPhase(StrEnum):
    """An image transfer's phase, as the REST API shows it."""

    INITIALIZING = "initializing"
    TRANSFERRING = "transferring"
    RESUMING = "resuming"
    PAUSED_SYSTEM = "paused_system"
    PAUSED_USER = "paused_user"
    CANCELLED_SYSTEM = "cancelled_system"
    CANCELLED_USER = "cancelled_user"
    FINALIZING_SUCCESS = "finalizing_success"
    FINALIZING_FAILURE = "finalizing_failure"
    FINISHED_SUCCESS = "finished_success"
    FINISHED_FAILURE = "finished_failure"

    @property
    def finished(self) -> bool:
        """Finished with success or failure: nothing moves it any more."""
        return self in (TransferPhase.FINISHED_SUCCESS, TransferPhase.FINISHED_FAILURE)


_T = TransferPhase
TRANSFER_TRANSITIONS: dict[tuple[TransferPhase, str], TransferPhase] = {
    # the engine's own progress
    (_T.INITIALIZING, "advance"): _T.TRANSFERRING,
    (_T.RESUMING, "advance"): _T.TRANSFERRING,
    (_T.FINALIZING_SUCCESS, "advance"): _T.FINISHED_SUCCESS,
    (_T.CANCELLED_USER, "advance"): _T.FINISHED_FAILURE,
    (_T.CANCELLED_SYSTEM, "advance"): _T.FINISHED_FAILURE,
    (_T.FINALIZING_FAILURE, "advance"): _T.FINISHED_FAILURE,
    # failures the engine reports by itself
    (_T.INITIALIZING, "fail"): _T.FINISHED_FAILURE,
    (_T.FINALIZING_SUCCESS, "fail"): _T.FINALIZING_FAILURE,
    (_T.TRANSFERRING, "system_pause"): _T.PAUSED_SYSTEM,
    (_T.TRANSFERRING, "system_cancel"): _T.CANCELLED_SYSTEM,
    # the user's actions
    (_T.TRANSFERRING, "finalize"): _T.FINALIZING_SUCCESS,
    (_T.PAUSED_USER, "finalize"): _T.FINALIZING_SUCCESS,
    (_T.PAUSED_SYSTEM, "finalize"): _T.FINALIZING_SUCCESS,
    (_T.INITIALIZING, "cancel"): _T.CANCELLED_USER,
    (_T.TRANSFERRING, "cancel"): _T.CANCELLED_USER,
    (_T.PAUSED_USER, "cancel"): _T.CANCELLED_USER,
    (_T.PAUSED_SYSTEM, "cancel"): _T.CANCELLED_USER,
    (_T.RESUMING, "cancel"): _T.CANCELLED_USER,
    (_T.TRANSFERRING, "pause"): _T.PAUSED_USER,
    (_T.PAUSED_USER, "resume"): _T.RESUMING,
    (_T.PAUSED_SYSTEM, "resume"): _T.RESUMING,
}


def next_transfer_phase(phase: TransferPhase, step: str) -> TransferPhase:
    """The phase `step` leads to, or `InvalidTransition`."""
    try:
        return TRANSFER_TRANSITIONS[phase, step]
    except KeyError:
        raise InvalidTransition(f"transfer: no {step} from {phase.value}") from None
