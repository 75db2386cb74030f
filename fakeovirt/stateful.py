"""A model-based contract of the VM backup API, as a hypothesis `RuleBasedStateMachine`.

The machine holds a small model of what the engine must do (phases, the one-backup-per-VM
rule, the checkpoint chain, validation) and checks every answer your client code gets.
You give it the wire: subclass `BackupApiMachine` and implement five methods with your own
client, or use `SdkBackupMachine`, which drives the real `ovirtsdk4`.

    def test_my_client_keeps_the_backup_contract(fakeovirt):
        MyMachine.run(fakeovirt, settings=settings(max_examples=100, deadline=None))

Rules of the model:
- a backup's phase is known as a set of possibilities, because the engine may move it
  between two calls (a read, a clock tick); each answer narrows the set, and an answer
  outside it is a contract violation;
- a request is checked against the engine's validation order (behaviour spec section 3);
- the checkpoint chain is the list of checkpoints of backups seen succeeding, in order, each
  the parent of the next. Policies that fail at a named phase are outside the model.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hypothesis import settings as Settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)

from .core.clock import ManualClock
from .core.phases import BACKUP_TRANSITIONS, BackupPath, BackupPhase, Step

if TYPE_CHECKING:
    from .fake import FakeOvirt

__all__ = [
    "ApiFault",
    "BackupApiMachine",
    "BackupInfo",
    "CheckpointInfo",
]

WAIT_POLLS = 5
MAX_CLOCK_ADVANCE = 600.0  # finished backups are cleaned up after 15 minutes of engine time


class ApiFault(Exception):
    """What a client method raises when the API answers with a fault."""

    def __init__(self, status: int, detail: str = "") -> None:
        super().__init__(f"{status}: {detail}")
        self.status = status
        self.detail = detail


@dataclass(frozen=True)
class BackupInfo:
    """What the machine needs from a backup your client read."""

    id: str
    phase: str
    from_checkpoint_id: str | None = None
    to_checkpoint_id: str | None = None


@dataclass(frozen=True)
class CheckpointInfo:
    """One checkpoint of a VM, as listed by your client."""

    id: str
    parent_id: str | None = None


# -- the model -----------------------------------------------------------------------------
State = tuple[BackupPhase, bool]  # (phase, finalize accepted before ready)
WITH_CHECKPOINT = {BackupPhase.READY, BackupPhase.FINALIZING, BackupPhase.SUCCEEDED}


@dataclass
class BackupModel:
    id: str
    vm_id: str
    path: BackupPath
    disks: tuple[str, ...]
    doomed: bool  # the freeze fails and consistency is required
    possible: set[State]
    to_checkpoint: str | None = None
    settled: bool = False

    def closure(self) -> set[State]:
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


@dataclass
class VmModel:
    id: str
    name: str
    status: str
    freeze_fails: bool
    disks: dict[str, bool]  # disk id -> active on the VM
    chain: list[str] = field(default_factory=list)
    invalid: set[str] = field(default_factory=set)
    current: BackupModel | None = None


def _finalize_outcome(model: BackupModel, state: State) -> tuple[int, set[State]]:
    """The status finalize answers in `state`, and the states it may leave."""
    phase, stopping = state
    done = phase in (BackupPhase.FINALIZING, BackupPhase.FINALIZING_FAILURE) or phase.finished
    if done or stopping:
        return 400, {state}
    if phase is not BackupPhase.READY and model.path is BackupPath.SNAPSHOT:
        return 200, {(phase, True)}
    return 200, {(BACKUP_TRANSITIONS[model.path, phase, Step.FINALIZE], False)}


class BackupApiMachine(RuleBasedStateMachine):
    """The contract; implement the five client methods below with your own client.

    Each method raises `ApiFault(status, detail)` when the API answers a fault. `connect`
    and `disconnect` run around each example. The machine resets `fake` before each example
    and may inject faults through it (invalid checkpoints, clock moves).
    """

    vms = Bundle("vms")
    backups = Bundle("backups")

    def __init__(self, fake: FakeOvirt) -> None:
        super().__init__()
        self.fake = fake
        self.model: dict[str, VmModel] = {}
        self.backup_models: dict[str, BackupModel] = {}
        self.clock_moved = 0.0
        fake.reset()
        self.connect()

    @classmethod
    def run(cls, fake: FakeOvirt, *, settings: Settings | None = None) -> None:
        """Run the machine as a test against `fake` (from inside a test function)."""
        # hypothesis types the factory as `type[RuleBasedStateMachine]` in newer releases and
        # leaves it untyped in older ones; any callable returning a machine works in both.
        factory: Any = lambda: cls(fake)  # noqa: E731
        run_state_machine_as_test(factory, settings=settings)  # type: ignore[no-untyped-call,unused-ignore]

    # -- extension points ------------------------------------------------------------------
    def connect(self) -> None:
        """Open your client (called once per example, after the reset)."""

    def disconnect(self) -> None:
        """Close your client (called once per example)."""

    def start_backup(
        self,
        vm_id: str,
        disk_ids: Sequence[str],
        *,
        from_checkpoint_id: str | None,
        use_active: bool,
        require_consistency: bool,
    ) -> BackupInfo:
        """`POST /vms/{vm_id}/backups`; return the backup the add answered."""
        raise NotImplementedError

    def get_backup(self, vm_id: str, backup_id: str) -> BackupInfo:
        """`GET /vms/{vm_id}/backups/{backup_id}`."""
        raise NotImplementedError

    def finalize_backup(self, vm_id: str, backup_id: str) -> None:
        """`POST /vms/{vm_id}/backups/{backup_id}/finalize`."""
        raise NotImplementedError

    def list_checkpoints(self, vm_id: str) -> list[CheckpointInfo]:
        """`GET /vms/{vm_id}/checkpoints`, oldest first."""
        raise NotImplementedError

    def remove_checkpoint(self, vm_id: str, checkpoint_id: str) -> None:
        """`DELETE /vms/{vm_id}/checkpoints/{checkpoint_id}`."""
        raise NotImplementedError

    # -- setup and teardown ------------------------------------------------------------------
    @initialize(target=vms)
    def inventory(self) -> Any:
        with self.fake.lock:
            for vm in self.fake.engine:
                self.model[vm.id] = VmModel(
                    id=vm.id,
                    name=vm.name,
                    status=vm.status.value,
                    freeze_fails=vm.guest.freeze_fails,
                    disks={a.disk_id: a.active for a in vm.attachments},
                )
        return multiple(*sorted(self.model))

    def teardown(self) -> None:
        self.disconnect()

    # -- rules ---------------------------------------------------------------------------------
    @rule(
        target=backups,
        vm=vms,
        picks=st.lists(st.integers(0, 3), min_size=1, max_size=3, unique=True),
        incremental=st.sampled_from(["no", "chain", "chain", "unknown"]),
        use_active=st.booleans(),
        require_consistency=st.booleans(),
    )
    def start(
        self,
        vm: str,
        picks: list[int],
        incremental: str,
        use_active: bool,
        require_consistency: bool,
    ) -> Any:
        model = self.model[vm]
        self._settle(model)
        disk_ids = sorted(model.disks)
        chosen = [disk_ids[i % len(disk_ids)] for i in picks] if disk_ids else []
        chosen = list(dict.fromkeys(chosen))
        from_checkpoint = None
        if incremental == "chain" and model.chain:
            from_checkpoint = model.chain[picks[0] % len(model.chain) if picks else -1]
        elif incremental == "unknown":
            from_checkpoint = "00000000-0000-0000-0000-000000000000"
        expected = self._expected_start(model, chosen, from_checkpoint)
        try:
            info = self.start_backup(
                vm,
                chosen,
                from_checkpoint_id=from_checkpoint,
                use_active=use_active,
                require_consistency=require_consistency,
            )
        except ApiFault as fault:
            assert fault.status in expected - {201}, (
                f"start on {model.name} answered {fault.status} ({fault.detail}); "
                f"expected one of {sorted(expected)}"
            )
            return multiple()
        assert 201 in expected, f"start on {model.name} succeeded; expected {sorted(expected)}"
        if model.current is not None:  # the engine says the last backup had finished
            self._settle_finished(model, model.current, known_finished=True)
        path = BackupPath.SNAPSHOT
        if use_active:
            path = BackupPath.LIVE if model.status == "up" else BackupPath.COLD
        backup = BackupModel(
            id=info.id,
            vm_id=vm,
            path=path,
            disks=tuple(chosen),
            doomed=require_consistency and model.freeze_fails and model.status == "up",
            possible={(BackupPhase.INITIALIZING, False)},
        )
        model.current = backup
        self.backup_models[backup.id] = backup
        assert info.from_checkpoint_id == from_checkpoint
        self._observe(backup, info)
        return backup.id

    @rule(backup=backups)
    def poll(self, backup: str) -> None:
        model = self.backup_models[backup]
        self._observe(model, self.get_backup(model.vm_id, backup))

    @rule(backup=backups)
    def wait(self, backup: str) -> None:
        """Poll as a client waiting for a backup to be ready (or to end) does."""
        model = self.backup_models[backup]
        for _ in range(WAIT_POLLS):
            info = self.get_backup(model.vm_id, backup)
            self._observe(model, info)
            if info.phase not in ("initializing", "starting", "finalizing"):
                return

    @rule(backup=backups)
    def finalize(self, backup: str) -> None:
        model = self.backup_models[backup]
        outcomes = {s: _finalize_outcome(model, s) for s in model.closure()}
        try:
            self.finalize_backup(model.vm_id, backup)
            status = 200
        except ApiFault as fault:
            status = fault.status
        allowed = {s: after for s, (code, after) in outcomes.items() if code == status}
        assert allowed, (
            f"finalize of {backup} answered {status}; from states "
            f"{_names(outcomes)} it must answer one of "
            f"{sorted({code for code, _ in outcomes.values()})}"
        )
        model.possible = set().union(*allowed.values())

    @precondition(lambda self: any(vm.chain or vm.current for vm in self.model.values()))
    @rule(pick=st.integers(0, 99))
    def checkpoints(self, pick: int) -> None:
        busy = [vm for vm in self.model.values() if vm.chain or vm.current]
        model = busy[pick % len(busy)]
        vm = model.id
        self._settle(model)
        listed = self.list_checkpoints(vm)
        ids = [c.id for c in listed]
        pending = model.current
        extra = ids[len(model.chain) :]
        assert ids[: len(model.chain)] == model.chain, f"chain {ids}, expected {model.chain}"
        may_add = pending is not None and not pending.settled and pending.may_have_checkpoint()
        assert len(extra) <= int(may_add), f"unexpected checkpoints {extra} on {model.name}"
        if extra and pending is not None:
            assert pending.to_checkpoint in (None, extra[0])
            pending.to_checkpoint = extra[0]
        parents = [c.parent_id for c in listed]
        assert parents == [None, *ids][: len(ids)], f"parents {parents} do not chain {ids}"

    @precondition(lambda self: any(vm.chain for vm in self.model.values()))
    @rule(pick=st.integers(0, 99), unknown=st.sampled_from([False, False, False, True]))
    def remove(self, pick: int, unknown: bool) -> None:
        with_chain = [vm for vm in self.model.values() if vm.chain]
        model = with_chain[pick % len(with_chain)]
        vm = model.id
        self._settle(model)
        if unknown or not model.chain:
            target, expected = "00000000-0000-0000-0000-00000000dead", {404}
        else:
            target = model.chain[pick % len(model.chain)]
            busy = model.current is not None and model.current.may_be_unfinished()
            idle = model.current is None or model.current.may_be_finished()
            expected = ({409} if busy else set()) | ({200} if idle else set())
        try:
            self.remove_checkpoint(vm, target)
            status = 200
        except ApiFault as fault:
            status = fault.status
        assert status in expected, f"removing {target} answered {status}, expected {expected}"
        if status == 200 and target in model.chain:
            if model.current is not None and not model.current.settled:
                self._settle_finished(model, model.current, known_finished=True)
            model.chain.remove(target)
            model.invalid.discard(target)

    @precondition(lambda self: any(vm.chain for vm in self.model.values()))
    @rule(pick=st.integers(0, 99))
    def invalidate(self, pick: int) -> None:
        """Fault injection: a checkpoint becomes invalid (as after a snapshot restore)."""
        with_chain = [vm for vm in self.model.values() if vm.chain]
        model = with_chain[pick % len(with_chain)]
        target = model.chain[pick % len(model.chain)]
        with self.fake.lock:
            self.fake.engine.invalidate_checkpoints(model.id, target)
        model.invalid.add(target)

    @precondition(lambda self: isinstance(self.fake.clock, ManualClock))
    @rule(seconds=st.sampled_from([1.0, 5.0, 30.0]))
    def advance_clock(self, seconds: float) -> None:
        if self.clock_moved + seconds <= MAX_CLOCK_ADVANCE:
            self.fake.advance(seconds)
            self.clock_moved += seconds

    @invariant()
    def only_the_last_backup_of_a_vm_may_run(self) -> None:
        for backup in self.backup_models.values():
            if backup is not self.model[backup.vm_id].current:
                assert backup.settled, f"backup {backup.id} may still run beside a newer one"

    # -- the model's bookkeeping ---------------------------------------------------------------
    def _observe(self, model: BackupModel, info: BackupInfo) -> None:
        reachable = model.closure()
        matching = {s for s in reachable if s[0].rest == info.phase}
        assert matching, (
            f"backup {model.id} ({model.path.value}) shows phase {info.phase!r}; "
            f"from {_names(model.possible)} it may only show {_names(reachable, rest=True)}"
        )
        has_checkpoint = bool(info.to_checkpoint_id)
        narrowed = {s for s in matching if (s[0] in WITH_CHECKPOINT) == has_checkpoint}
        assert narrowed, (
            f"backup {model.id} is {info.phase} "
            + ("with" if has_checkpoint else "without")
            + f" a to_checkpoint_id; as one of {_names(matching)} it must not be"
        )
        model.possible = narrowed
        if info.to_checkpoint_id:
            assert model.to_checkpoint in (None, info.to_checkpoint_id)
            model.to_checkpoint = info.to_checkpoint_id
        vm = self.model[model.vm_id]
        if model is vm.current:
            self._settle_finished(vm, model)

    def _settle(self, vm: VmModel) -> None:
        """Look at the VM's last backup if we cannot tell whether it has finished."""
        current = vm.current
        if current is None or current.settled:
            return
        if current.may_be_finished() and current.may_be_unfinished():
            self._observe(current, self.get_backup(vm.id, current.id))
        self._settle_finished(vm, current)

    def _settle_finished(
        self, vm: VmModel, backup: BackupModel, *, known_finished: bool = False
    ) -> None:
        """Once a backup has finished, a success adds its checkpoint to the chain."""
        if backup.settled:
            return
        if known_finished:
            backup.possible = {s for s in backup.closure() if s[0].finished}
            assert backup.possible, f"backup {backup.id} cannot have finished yet"
        phases = {phase for phase, _ in backup.possible}
        if not all(p.finished for p in phases):
            return
        if len(phases) > 1:  # succeeded or failed: ask
            self._observe(backup, self.get_backup(vm.id, backup.id))
            return
        backup.settled = True
        if phases == {BackupPhase.SUCCEEDED}:
            if backup.to_checkpoint is None:
                backup.to_checkpoint = self.get_backup(vm.id, backup.id).to_checkpoint_id
            assert backup.to_checkpoint, f"backup {backup.id} succeeded without a checkpoint"
            vm.chain.append(backup.to_checkpoint)

    def _expected_start(
        self, vm: VmModel, disk_ids: list[str], from_checkpoint: str | None
    ) -> set[int]:
        """The statuses the engine may answer, in its validation order, for each world
        (the VM's last backup finished or not)."""
        current = vm.current
        worlds = set()
        if current is None or current.may_be_finished():
            worlds.add(False)
        if current is not None and current.may_be_unfinished():
            worlds.add(True)
        return {self._first_failure(vm, disk_ids, from_checkpoint, busy) for busy in worlds}

    def _first_failure(
        self, vm: VmModel, disk_ids: list[str], from_checkpoint: str | None, busy: bool
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


def _names(states: Iterable[State], *, rest: bool = False) -> list[str]:
    out = {
        (p.rest if rest else p.value) + ("" if rest or not stop else "+stop") for p, stop in states
    }
    return sorted(out)
