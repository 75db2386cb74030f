"""The contract's model of the engine: what a backup, a VM and its chain may do next.

Rules of this file:
- a backup's phase is a set of possibilities (`BackupModel.possible`), because the engine may
  move it between two calls (a read, a clock tick); `closure` adds every automatic move, and
  each answer narrows the set;
- a start request is judged in the engine's validation order (behaviour spec section 3;
  `fakeovirt/core/backups.py` `_validate`): the first check that fails answers;
- a VM's chain is the checkpoints of the backups seen succeeding, oldest first, each the parent
  of the next; removing one relinks its child to its parent.
Nothing here talks to a client or to the fake: the machine does, and asks this model.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from fakeovirt.core.phases import BACKUP_TRANSITIONS, BackupPath, BackupPhase, Step

__all__ = [
    "WITH_CHECKPOINT",
    "BackupModel",
    "DiskModel",
    "PhaseState",
    "RestorePoint",
    "SnapshotModel",
    "VmModel",
    "expected_modes",
    "expected_start",
    "finalize_outcome",
    "phase_names",
]

PhaseState = tuple[BackupPhase, bool]  # (phase, finalize accepted before ready)
RestorePoint = tuple[str, str, str, tuple[str, ...]]  # (kind, backup or snapshot id, vm, disks)
WITH_CHECKPOINT = frozenset({BackupPhase.READY, BackupPhase.FINALIZING, BackupPhase.SUCCEEDED})


@dataclass(frozen=True)
class DiskModel:
    id: str
    alias: str
    vm_id: str
    size: int
    qcow2: bool
    incremental: bool  # the disk's `backup` is incremental


@dataclass
class BackupModel:
    id: str
    vm_id: str
    path: BackupPath
    disks: tuple[str, ...]
    from_checkpoint: str | None
    require_consistency: bool
    doomed: bool  # the freeze fails and consistency is required
    possible: set[PhaseState]
    modes: dict[str, str] = field(default_factory=dict)  # disk id -> full or incremental
    to_checkpoint: str | None = None
    settled: bool = False
    downloaded: bool = False

    def closure(self) -> set[PhaseState]:
        """Every state the engine may have moved to by itself since we last looked."""
        seen = set(self.possible)
        todo = list(seen)
        while todo:
            phase, stopping = todo.pop()
            step = self._automatic(phase, stopping)
            if step is not None:
                nxt = (BACKUP_TRANSITIONS[self.path, phase, step], stopping)
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    def _automatic(self, phase: BackupPhase, stopping: bool) -> Step | None:
        if phase is BackupPhase.READY:
            return Step.FINALIZE if stopping else None
        freezes = (self.path is BackupPath.SNAPSHOT and phase is BackupPhase.INITIALIZING) or (
            self.path is BackupPath.LIVE and phase is BackupPhase.STARTING
        )
        if freezes and self.doomed:
            return Step.FAIL
        return Step.ADVANCE if (self.path, phase, Step.ADVANCE) in BACKUP_TRANSITIONS else None

    def may_be_unfinished(self) -> bool:
        return any(not phase.finished for phase, _ in self.closure())

    def may_be_finished(self) -> bool:
        return any(phase.finished for phase, _ in self.closure())

    def may_have_checkpoint(self) -> bool:
        return any(phase in WITH_CHECKPOINT for phase, _ in self.closure())

    def surely_ready(self) -> bool:
        """Ready, with no finalize pending: the one phase in which its disks can be read."""
        return self.possible == {(BackupPhase.READY, False)}


@dataclass
class VmModel:
    id: str
    name: str
    status: str
    freeze_fails: bool
    disks: dict[str, bool]  # disk id -> active on the VM
    chain: list[str] = field(default_factory=list)
    invalid: set[str] = field(default_factory=set)
    removed: list[str] = field(default_factory=list)
    checkpoint_disks: dict[str, tuple[str, ...]] = field(default_factory=dict)
    current: BackupModel | None = None
    snapshots: list[SnapshotModel] = field(default_factory=list)  # regular, oldest first
    taken: list[SnapshotModel] = field(default_factory=list)  # every one, removed ones too

    def legacy_busy(self) -> bool:
        """Whether an active-path (legacy) backup surely runs: it holds the VM's lock."""
        current = self.current
        return (
            current is not None
            and current.path is not BackupPath.SNAPSHOT
            and not current.may_be_finished()
        )

    def is_busy(self) -> bool:
        """Whether the VM's last backup may still be running."""
        return self.current is not None and self.current.may_be_unfinished()


@dataclass
class SnapshotModel:
    """A user's snapshot of a VM, `ok` between rules (the rules wait out its `locked`)."""

    id: str
    vm_id: str
    description: str
    disks: tuple[str, ...]
    downloaded: bool = False


def finalize_outcome(model: BackupModel, state: PhaseState) -> tuple[int, set[PhaseState]]:
    """The status finalize answers in `state`, and the states it may leave."""
    phase, stopping = state
    done = phase in (BackupPhase.FINALIZING, BackupPhase.FINALIZING_FAILURE) or phase.finished
    if done or stopping:
        return 400, {state}
    if phase is not BackupPhase.READY and model.path is BackupPath.SNAPSHOT:
        return 200, {(phase, True)}
    return 200, {(BACKUP_TRANSITIONS[model.path, phase, Step.FINALIZE], False)}


def expected_start(vm: VmModel, disk_ids: list[str], from_checkpoint: str | None) -> set[int]:
    """The statuses the engine may answer, for each world (the last backup finished or not)."""
    current = vm.current
    worlds = set()
    if current is None or current.may_be_finished():
        worlds.add(False)
    if current is not None and current.may_be_unfinished():
        worlds.add(True)
    return {_first_failure(vm, disk_ids, from_checkpoint, busy) for busy in worlds}


def _first_failure(
    vm: VmModel, disk_ids: list[str], from_checkpoint: str | None, busy: bool
) -> int:
    if not disk_ids:
        return 400
    if not all(vm.disks[d] for d in disk_ids):
        return 409
    current = vm.current
    active = current is not None and current.path is not BackupPath.SNAPSHOT
    if busy and active and current and set(current.disks) & set(disk_ids):  # locked
        return 409
    if from_checkpoint is not None and (
        from_checkpoint not in vm.chain or from_checkpoint in vm.invalid
    ):
        return 400
    if vm.status not in ("up", "down") or busy:
        return 409
    return 201


def expected_modes(
    vm: VmModel, disks: dict[str, DiskModel], disk_ids: Iterable[str], from_checkpoint: str | None
) -> dict[str, str]:
    """Each disk's backup mode: incremental for an incremental qcow2 disk in the checkpoint."""
    held = vm.checkpoint_disks.get(from_checkpoint or "", ())
    return {
        d: (
            "incremental"
            if from_checkpoint is not None and disks[d].qcow2 and disks[d].incremental and d in held
            else "full"
        )
        for d in disk_ids
    }


def phase_names(states: Iterable[PhaseState], *, rest: bool = False) -> list[str]:
    """Readable names of phase states, for messages."""
    out = {
        (p.rest if rest else p.value) + ("" if rest or not stop else "+stop") for p, stop in states
    }
    return sorted(out)
