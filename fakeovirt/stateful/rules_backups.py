"""Rule group: backups. Whole rounds (start, wait, finalize) and the single steps between.

Rules of this file:
- `back_up`, `back_up_incremental` and `abort_backup` are macro rules: a client's whole
  round, so that one step of the program deepens the chain; the single steps (`start`,
  `poll`, `wait`, `finalize`) reach the odd corners (a second backup of a busy VM);
- `start_with` seeds history: a few rounds on one VM before the rules run;
- every start is judged by `model.expected_start`, and an accepted one is checked against the
  backup the engine actually started (disks, checkpoint, path, consistency).
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import initialize, multiple, precondition, rule

from fakeovirt.core.phases import BackupPhase

from .api import ApiFault
from .base import MAX_CLOCK_ADVANCE, UNKNOWN_BACKUP, UNKNOWN_CHECKPOINT, WAIT_POLLS, ContractMachine
from .chain import ChainMachine
from .choices import policies, vm_names
from .model import (
    BackupModel,
    VmModel,
    expected_modes,
    expected_start,
    finalize_outcome,
    phase_names,
)

__all__ = ["BackupRules"]

FULL_OR_ANY = ["full", "leaf", "parent", "root", "middle", "invalid", "removed", "unknown"]
INCREMENTAL = ["leaf", "root", "parent", "middle", "invalid"]
EARLY = frozenset({BackupPhase.INITIALIZING, BackupPhase.STARTING})
disk_choices = st.sampled_from(["all", "first", "last"])
since_choices = st.sampled_from(FULL_OR_ANY)
# The retention an incremental round ends with: none (what a shrunk program shows), or keep
# the newest 2 or 1, as tools that rotate after each backup do.
KEEP = [None, 2, 1]


class BackupRules(ChainMachine):
    """Starting, reading and finalizing backups; history seeding; the clock."""

    @initialize(policy=policies(), vm=vm_names(), history=st.integers(0, 5), prune=st.booleans())
    def start_with(self, policy: str | None, vm: str, history: int, prune: bool) -> None:
        """Choose the example's policy, then seed `history` backup rounds on `vm`; with
        `prune`, then remove a checkpoint from the middle of its chain, as an admin might."""
        if policy is not None:
            self.fake.policy = policy
            self.steps.add(f"the engine moves phases by the policy {policy!r}")
        model = self.vm_by_name[vm]
        for number in range(history):
            if number:
                self._between_backups(model, number)
            self._round(
                model,
                disks="all",
                since="leaf" if number else "full",
                use_active=number % 2 == 1,
                require_consistency=False,
                write_during=False,
            )
        if prune and len(model.chain) > 2:
            self._remove_checkpoint(model, model.chain[len(model.chain) // 2])

    # -- whole rounds ------------------------------------------------------------------------
    @rule(
        vm=vm_names(),
        disks=disk_choices,
        since=since_choices,
        use_active=st.booleans(),
        require_consistency=st.booleans(),
        write_during=st.booleans(),
    )
    def back_up(
        self,
        vm: str,
        disks: str,
        since: str,
        use_active: bool,
        require_consistency: bool,
        write_during: bool,
    ) -> None:
        """A client's round: start, wait until ready, (download), finalize, wait until done."""
        self._round(
            self.vm_by_name[vm], disks, since, use_active, require_consistency, write_during
        )

    @rule(
        vm=vm_names(),
        since=st.sampled_from(INCREMENTAL),
        use_active=st.booleans(),
        write_during=st.booleans(),
        keep=st.sampled_from(KEEP),
    )
    def back_up_incremental(
        self, vm: str, since: str, use_active: bool, write_during: bool, keep: int | None
    ) -> None:
        """A tool's incremental round: list the VM's checkpoints, back up all its disks from
        one of them, then (unless `keep` is None) apply its retention: remove the oldest
        checkpoints until `keep` are left."""
        model = self.vm_by_name[vm]
        self._read_chain(model)
        self._round(model, "all", since, use_active, False, write_during)
        if keep is not None:
            self._keep_only(model, keep)

    @rule(vm=vm_names(), use_active=st.booleans())
    def abort_backup(self, vm: str, use_active: bool) -> None:
        """A client that gives up: start a full backup, finalize it at once, wait for the end."""
        model = self.vm_by_name[vm]
        self._settle_vm(model)
        backup = self._start_backup(model, list(model.disks), None, use_active, False)
        if backup is not None:
            if backup.may_be_unfinished():
                self._finalize_backup(backup)
            self._wait_for(backup, ("succeeded", "failed"))

    def _round(
        self,
        vm: VmModel,
        disks: str,
        since: str,
        use_active: bool,
        require_consistency: bool,
        write_during: bool,
    ) -> None:
        self._settle_vm(vm)
        backup = self._start_backup(
            vm, self._choose_disks(vm, disks), self._choose_checkpoint(vm, since), use_active,
            require_consistency,
        )  # fmt: skip
        if backup is None:
            return
        self._wait_for(backup, ("ready", "failed"))
        if backup.surely_ready():
            self._after_ready(backup, write_during=write_during)
        if backup.may_be_unfinished():
            self._finalize_backup(backup)
            self._wait_for(backup, ("succeeded", "failed"))
        if backup.settled and backup.possible == {(BackupPhase.SUCCEEDED, False)}:
            self._after_success(backup)

    # -- single steps --------------------------------------------------------------------------
    @rule(
        target=ContractMachine.backups,
        vm=vm_names(),
        disks=disk_choices,
        since=since_choices,
        use_active=st.booleans(),
        require_consistency=st.booleans(),
    )
    def start(
        self, vm: str, disks: str, since: str, use_active: bool, require_consistency: bool
    ) -> Any:
        """Start a backup and leave it to the other rules."""
        model = self.vm_by_name[vm]
        self._settle_vm(model)
        backup = self._start_backup(
            model,
            self._choose_disks(model, disks),
            self._choose_checkpoint(model, since),
            use_active,
            require_consistency,
        )
        return multiple() if backup is None else backup.id

    @rule(backup=ContractMachine.backups)
    def poll(self, backup: str) -> None:
        self._read_backup(self.backup_models[backup])

    @rule(backup=ContractMachine.backups)
    def wait(self, backup: str) -> None:
        """Poll as a client waiting for a backup to be ready (or to end) does."""
        self._wait_for(self.backup_models[backup], ("ready", "succeeded", "failed"))

    @rule(backup=ContractMachine.backups)
    def finalize(self, backup: str) -> None:
        self._finalize_backup(self.backup_models[backup])

    @rule(vm=vm_names())
    def ask_for_missing(self, vm: str) -> None:
        """Reading a backup, or removing a checkpoint, that the engine does not have must fail
        with 404 (as for a client retrying a call whose answer it lost)."""
        model = self.vm_by_name[vm]
        text = f"get_backup({vm}, {self.labels(UNKNOWN_BACKUP)})"
        status = self._fault_of(text, lambda: self.get_backup(model.id, UNKNOWN_BACKUP))
        self._expect(status == 404, f"{text} answered {status}; the engine answers 404")
        self._remove_checkpoint(model, model.removed[-1] if model.removed else UNKNOWN_CHECKPOINT)

    @precondition(lambda self: self.exact and self.fake.policy.seconds is not None)
    @rule(seconds=st.sampled_from([1.0, 5.0, 30.0]))
    def advance_clock(self, seconds: float) -> None:
        """Move a manual clock, under a policy that counts seconds."""
        if self.clock_moved + seconds <= MAX_CLOCK_ADVANCE:
            self.fake.advance(seconds)
            self.clock_moved += seconds
            self.steps.add(f"the engine's clock moves {seconds:g} s")

    # -- the steps' bodies ---------------------------------------------------------------------
    def _choose_disks(self, vm: VmModel, which: str) -> list[str]:
        ids = list(vm.disks)
        if not ids or which == "all":
            return ids
        return [ids[0]] if which == "first" else [ids[-1]]

    def _choose_checkpoint(self, vm: VmModel, since: str) -> str | None:
        chain = vm.chain
        if since == "unknown":
            return UNKNOWN_CHECKPOINT
        if since == "removed":
            return vm.removed[-1] if vm.removed else UNKNOWN_CHECKPOINT
        if since == "full" or not chain:
            return None
        if since == "invalid":
            invalid = [c for c in chain if c in vm.invalid]
            return invalid[-1] if invalid else chain[-1]
        return {
            "leaf": chain[-1],
            "parent": chain[-2] if len(chain) > 1 else chain[-1],
            "root": chain[0],
            "middle": chain[len(chain) // 2],
        }[since]

    def _start_backup(
        self,
        vm: VmModel,
        disk_ids: list[str],
        from_checkpoint: str | None,
        use_active: bool,
        require_consistency: bool,
    ) -> BackupModel | None:
        expected = expected_start(vm, disk_ids, from_checkpoint)
        before = {b for b in self._server_backup_ids(vm.id)}
        text = (
            f"start_backup({vm.name}, {self.labels.many(disk_ids)}, from_checkpoint_id="
            f"{self.labels(from_checkpoint)}, use_active={use_active}, "
            f"require_consistency={require_consistency})"
        )
        try:
            info = self._client_call(
                text,
                lambda: self.start_backup(
                    vm.id,
                    disk_ids,
                    from_checkpoint_id=from_checkpoint,
                    use_active=use_active,
                    require_consistency=require_consistency,
                ),
                lambda i: f"{self.labels(i.id, 'backup')} {self._show_backup(i)}",
                faults=True,
            )
        except ApiFault as fault:
            status = fault.status
            self._expect(
                status in expected - {201},
                lambda: (
                    f"{text} answered {status}; the engine answers "
                    + " or ".join(str(s) for s in sorted(expected))
                ),
            )
            self._expect(
                set(self._server_backup_ids(vm.id)) == before,
                f"{text} raised {status}, yet the engine started a backup",
            )
            self._count_refusal(vm, from_checkpoint, status)
            return None
        self._expect(
            201 in expected,
            lambda: (
                f"{text} returned a backup; the engine refuses it with "
                + " or ".join(str(s) for s in sorted(expected))
            ),
        )
        path = self._path_of(vm, use_active)
        self._check_started(vm, info.id, disk_ids, from_checkpoint, path, require_consistency)
        previous = vm.current
        if previous is not None:  # the engine says the last backup had finished
            self._settle_finished(vm, previous, known_finished=True)
            self._expect(
                previous.settled,
                f"{self.labels(previous.id)} may still run beside the new backup of {vm.name}",
            )
        backup = BackupModel(
            id=info.id,
            vm_id=vm.id,
            path=path,
            disks=tuple(disk_ids),
            from_checkpoint=from_checkpoint,
            require_consistency=require_consistency,
            doomed=require_consistency and vm.freeze_fails and vm.status == "up",
            possible={(BackupPhase.INITIALIZING, False)},
            modes=expected_modes(vm, self.disk_models, disk_ids, from_checkpoint),
        )
        vm.current = backup
        self.backup_models[backup.id] = backup
        if from_checkpoint is not None and from_checkpoint != vm.chain[-1]:
            self.example_stats.situations.add("incremental backup from an older checkpoint")
        self._started(backup)
        self._observe_backup(backup, info)
        return backup

    def _count_refusal(self, vm: VmModel, from_checkpoint: str | None, status: int) -> None:
        if status == 400 and from_checkpoint in vm.invalid:
            self.example_stats.situations.add("incremental from an invalid checkpoint refused")
        if status == 409 and vm.is_busy():
            self.example_stats.situations.add("second backup of a busy VM refused")

    def _server_backup_ids(self, vm_id: str) -> list[str]:
        with self.fake.lock:
            return [b.id for b in self.fake.engine.state.vm_backups(vm_id)]

    def _check_started(
        self,
        vm: VmModel,
        backup_id: str,
        disk_ids: list[str],
        from_checkpoint: str | None,
        path: Any,
        require_consistency: bool,
    ) -> None:
        """The backup the engine started is the one the machine asked the client for."""
        server = self._server_backup(backup_id)
        name = self.labels(backup_id, "backup")
        self._expect(
            server is not None and server.vm_id == vm.id,
            lambda: f"start_backup returned {name}, which is no backup of {vm.name}",
        )
        assert server is not None
        self._expect(
            sorted(server.disk_ids) == sorted(disk_ids),
            lambda: (
                f"the client was asked to back up {self.labels.many(disk_ids)}; "
                f"the engine got {self.labels.many(server.disk_ids)}"
            ),
        )
        self._expect(
            server.from_checkpoint_id == from_checkpoint,
            lambda: (
                f"the client was asked for a backup from {self.labels(from_checkpoint)}; "
                f"the engine got from_checkpoint_id={self.labels(server.from_checkpoint_id)}"
            ),
        )
        self._expect(
            server.path is path,
            lambda: (
                f"the client was asked for the {path.value} path (use_active="
                f"{path.value != 'snapshot'}); the engine took the {server.path.value} path"
            ),
        )
        self._expect(
            server.require_consistency == require_consistency,
            lambda: (
                f"the client was asked for require_consistency={require_consistency}; "
                f"the engine got {server.require_consistency}"
            ),
        )

    def _wait_for(self, backup: BackupModel, until: tuple[str, ...]) -> None:
        """Poll until the backup shows one of `until` phases (moving a manual clock when the
        policy counts seconds), at most `WAIT_POLLS` times."""
        timed = self.fake.policy.seconds is not None and self.exact
        for _ in range(WAIT_POLLS):
            if backup.settled:
                return
            if self._read_backup(backup).phase in until:
                return
            if timed and self.clock_moved + 1 <= MAX_CLOCK_ADVANCE:
                self.fake.advance(1.0)
                self.clock_moved += 1

    def _finalize_backup(self, backup: BackupModel) -> None:
        name = self.labels(backup.id, "backup")
        outcomes = {s: finalize_outcome(backup, s) for s in backup.closure()}
        if all(phase in EARLY for phase, _ in backup.possible):
            self.example_stats.situations.add("finalize before ready")
        text = f"finalize_backup({self.labels(backup.vm_id)}, {name})"
        status = self._fault_of(text, lambda: self.finalize_backup(backup.vm_id, backup.id))
        allowed = {s: after for s, (code, after) in outcomes.items() if code == status}
        codes = " or ".join(str(c) for c in sorted({c for c, _ in outcomes.values()}))
        self._expect(
            allowed,
            lambda: (
                f"{text} answered {status}; from {phase_names(outcomes)} the engine answers "
                + codes
            ),
        )
        backup.possible = set().union(*allowed.values())
