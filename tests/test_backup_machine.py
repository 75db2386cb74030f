"""Random sequences of backup work on the core engine, with the invariants checked after each step.

The machine starts backups (random flags, disk subsets, checkpoints, ids, descriptions),
reads, finalizes, releases, deletes and invalidates checkpoints, toggles freeze failures and
moves a manual clock, on the demo's VMs (up, down, mixed, no-freeze, paused). A refused
request must leave the engine exactly as it was.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from itertools import pairwise
from typing import Any, TypeVar

from hypothesis import event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from fakeovirt.core.backups import BackupRequest
from fakeovirt.core.clock import ManualClock
from fakeovirt.core.engine import Engine
from fakeovirt.core.errors import EngineError
from fakeovirt.core.messages import SNAPSHOT_FOR_BACKUP
from fakeovirt.core.phases import BACKUP_TRANSITIONS, BackupPath, BackupPhase
from fakeovirt.core.policy import TransitionPolicy
from fakeovirt.core.scenario import DEMO
from tests.hypothesis_profiles import examples

# The demo's VMs with tiny, empty disks: content plays no part in phases.
LIGHT = replace(
    DEMO,
    vms=tuple(
        replace(vm, disks=tuple(replace(d, size=1 << 20, seeded_blocks=0) for d in vm.disks))
        for vm in DEMO.vms
    ),
)
VMS = [vm.name for vm in LIGHT.vms]
HOLDABLE = ["initializing", "starting", "finalizing"]

policies = st.builds(
    lambda base, hold, fail_at: base.holding(*hold).failing_at(fail_at),
    st.one_of(
        st.just(TransitionPolicy.immediate()),
        st.integers(0, 2).map(TransitionPolicy.after_reads),
        st.sampled_from([0.5, 1, 3]).map(TransitionPolicy.after_seconds),
    ),
    st.lists(st.sampled_from(HOLDABLE), max_size=2),
    st.one_of(st.none(), st.sampled_from(HOLDABLE)),
)
# Mostly plain policies: injected holds and failures are the seasoning, not the meal.
engine_policies = st.one_of(
    st.just(TransitionPolicy.immediate()),
    st.just(TransitionPolicy.after_reads(1)),
    st.just(TransitionPolicy.after_seconds(1)),
    policies,
)
MISTAKES = [
    "no disks",
    "unknown disk",
    "foreign disk",
    "unknown checkpoint",
    "long description",
    "taken id",
    "bad flag",
]
T = TypeVar("T")

# Every strategy a rule draws from is built once, here or in `_INDEX`: hypothesis validates
# each new strategy object, and building them per draw cost more than the draws themselves.
MISTAKE_OR_NONE = st.one_of(st.none(), st.none(), st.none(), st.sampled_from(MISTAKES))
POLICY_OR_NONE = st.one_of(st.none(), st.none(), policies)
MOSTLY_FIRST = st.integers(0, 2)  # `a | a | b`: two chances in three for `a`
_INDEX: dict[int, st.SearchStrategy[int]] = {}
_INDICES: dict[int, st.SearchStrategy[list[int]]] = {}


def pick(data: st.DataObject, items: Sequence[T]) -> T:
    """`data.draw(st.sampled_from(items))`, from a strategy built once per length."""
    if len(items) not in _INDEX:
        _INDEX[len(items)] = st.integers(0, len(items) - 1)
    return items[data.draw(_INDEX[len(items)])]


def pick_some(data: st.DataObject, items: Sequence[T]) -> list[T]:
    """`st.lists(st.sampled_from(items), min_size=1, max_size=len(items) + 1)`, built once."""
    n = len(items)
    if n not in _INDICES:
        _INDICES[n] = st.lists(st.integers(0, n - 1), min_size=1, max_size=n + 1)
    return [items[i] for i in data.draw(_INDICES[n])]


def pick_mostly(data: st.DataObject, usual: Sequence[T], rare: Sequence[T]) -> T:
    """`sampled_from(usual) | sampled_from(usual) | sampled_from(rare)`; `rare` if no `usual`."""
    if usual and data.draw(MOSTLY_FIRST) < 2:
        return pick(data, usual)
    return pick(data, rare)


CHAIN = {
    path: {(before, after) for (p, before, _), after in BACKUP_TRANSITIONS.items() if p is path}
    for path in BackupPath
}


def fingerprint(engine: Engine) -> dict[str, Any]:
    """All the state a request could change."""
    state = engine.state
    return {
        "backups": {
            b.id: (b.phase, b.modified, b.to_checkpoint_id, b.snapshot_id, b.stop_requested)
            for b in state.backups.values()
        },
        "progress": {b.id: (b.progress.since, b.progress.reads) for b in state.backups.values()},
        "checkpoints": {
            c.id: (c.parent_id, c.state, tuple(c.disk_ids)) for c in state.checkpoints.values()
        },
        "events": len(state.events),
        "disks": {d.id: d.status for d in state.disks.values()},
        "snapshots": {s.id: s.status for s in state.snapshots.values()},
        "jobs": {j.id: j.status for j in state.jobs.values()},
    }


class BackupMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.clock = ManualClock()
        self.engine = Engine(LIGHT, clock=self.clock)
        self.parent_at_start: dict[str, str | None] = {}  # backup id -> VM's newest then
        self.made: dict[str, str] = {}  # backup id -> the checkpoint it made
        self.started = 0

    @initialize(policy=engine_policies)
    def choose_policy(self, policy: TransitionPolicy) -> None:
        self.engine.policy = policy

    # -- helpers ---------------------------------------------------------------------------------
    def vm_id(self, name: str) -> str:
        return self.engine.vm_by_name(name).id

    def attempt(self, name: str, action: Any) -> Any:
        """Run `action`; when the engine refuses it, nothing may have changed."""
        self.engine.tick()  # settle what is due, so that only the action itself acts
        self.audit_checkpoints()
        before = fingerprint(self.engine)
        try:
            result = action()
        except EngineError as error:
            event(f"{name}: refused {error.status}")
            assert fingerprint(self.engine) == before
            return None
        event(f"{name}: accepted")
        return result

    # -- rules -----------------------------------------------------------------------------------
    @rule(vm=st.sampled_from(VMS), data=st.data())
    def start_backup(self, vm: str, data: st.DataObject) -> None:
        """Mostly a valid request; now and then one with a single mistake in it."""
        engine = self.engine
        vm_id = self.vm_id(vm)
        own = [a.disk_id for a in engine.vm_by_name(vm).attachments]
        mistake = data.draw(MISTAKE_OR_NONE)
        disk_ids = pick_some(data, own)
        if mistake == "unknown disk":
            disk_ids.append("no-such-disk")
        elif mistake == "foreign disk":
            disk_ids.append(next(d for d in engine.state.disks if d not in own))
        chain = [c.id for c in engine.checkpoints(vm_id)]
        request = BackupRequest(
            disk_ids=None if mistake == "no disks" else tuple(disk_ids),
            backup_id=(
                next(iter(engine.state.backups), "first")
                if mistake == "taken id"
                else pick(data, [None, f"client-{self.started}"])
            ),
            from_checkpoint_id=(
                "no-such-checkpoint"
                if mistake == "unknown checkpoint"
                else pick(data, [None, *chain])
            ),
            description="x" * 1025 if mistake == "long description" else "nightly",
            require_consistency=data.draw(st.booleans()),
            use_active=data.draw(st.booleans()),
            bad_flag=("legacy", "maybe") if mistake == "bad flag" else None,
            policy=data.draw(POLICY_OR_NONE),
        )
        leaf = engine.state.leaf_checkpoint(vm_id)
        backup = self.attempt("start", lambda: engine.start_backup(vm_id, request))
        if backup is not None:
            self.started += 1
            self.parent_at_start[backup.id] = leaf.id if leaf else None

    @rule(vm=st.sampled_from(VMS))
    def list_backups(self, vm: str) -> None:
        self.engine.backups(self.vm_id(vm), observe=True)

    @precondition(lambda self: bool(self.engine.state.backups))
    @rule(data=st.data())
    def read_backup(self, data: st.DataObject) -> None:
        backup = pick(data, list(self.engine.state.backups.values()))
        self.engine.backup(backup.vm_id, backup.id, observe=True)

    @rule(vm=st.sampled_from(["vm-up", "vm-down", "vm-mixed", "vm-nofreeze"]), data=st.data())
    def back_up_start_to_end(self, vm: str, data: st.DataObject) -> None:
        """A client's whole round: start, poll until ready, finalize, poll until finished."""
        engine = self.engine
        vm_id = self.vm_id(vm)
        chain = [c.id for c in engine.checkpoints(vm_id)]
        request = BackupRequest(
            disk_ids=tuple(a.disk_id for a in engine.vm_by_name(vm).attachments),
            from_checkpoint_id=pick(data, [None, *chain[-1:]]),
            use_active=data.draw(st.booleans()),
        )
        leaf = engine.state.leaf_checkpoint(vm_id)
        backup = self.attempt("round: start", lambda: engine.start_backup(vm_id, request))
        if backup is None:
            return
        self.started += 1
        self.parent_at_start[backup.id] = leaf.id if leaf else None
        for _ in range(4):
            if backup.phase is BackupPhase.READY:
                break
            self.clock.advance(1)
            engine.tick()
            engine.backup(vm_id, backup.id, observe=True)
        self.attempt("round: finalize", lambda: engine.finalize_backup(vm_id, backup.id))
        for _ in range(4):
            if backup.phase.finished:
                break
            self.clock.advance(1)
            engine.tick()
            engine.backup(vm_id, backup.id, observe=True)
        event(f"round: ended {backup.phase.value}")

    @rule(data=st.data())
    def finalize(self, data: st.DataObject) -> None:
        """Mostly a running backup; sometimes a finished or an unknown one."""
        backups = self.engine.state.backups.values()
        running = [(b.vm_id, b.id) for b in backups if not b.phase.finished]
        others = [(b.vm_id, b.id) for b in backups if b.phase.finished]
        others.append((self.vm_id("vm-up"), "no-such-backup"))
        vm_id, backup_id = pick_mostly(data, running, others)
        self.attempt("finalize", lambda: self.engine.finalize_backup(vm_id, backup_id))

    @precondition(lambda self: bool(self.engine.state.backups))
    @rule(data=st.data())
    def release(self, data: st.DataObject) -> None:
        self.engine.release(pick(data, list(self.engine.state.backups)))

    @precondition(lambda self: bool(self.engine.state.checkpoints))
    @rule(data=st.data())
    def delete_checkpoint(self, data: st.DataObject) -> None:
        """Mostly a checkpoint of the chain (root, middle or leaf); sometimes an unknown id."""
        checkpoints = list(self.engine.state.checkpoints.values())
        targets = [(c.vm_id, c.id) for c in checkpoints]
        unknown = [(self.vm_id("vm-up"), "no-such-checkpoint")]
        vm_id, target = pick_mostly(data, targets, unknown)
        self.attempt("delete checkpoint", lambda: self.engine.remove_checkpoint(vm_id, target))

    @rule(vm=st.sampled_from(VMS))
    def invalidate_checkpoints(self, vm: str) -> None:
        self.engine.invalidate_checkpoints(self.vm_id(vm))

    @rule(vm=st.sampled_from(VMS))
    def toggle_freeze_failure(self, vm: str) -> None:
        guest = self.engine.vm_by_name(vm).guest
        self.engine.set_freeze_fails(self.vm_id(vm), not guest.freeze_fails)

    @rule(seconds=st.sampled_from([0.5, 1, 1, 2, 60]) | st.sampled_from([15 * 60, 30 * 60]))
    def advance_clock(self, seconds: float) -> None:
        self.clock.advance(seconds)
        self.engine.tick()

    # -- invariants ------------------------------------------------------------------------------
    @invariant()
    def at_most_one_unfinished_backup_per_vm(self) -> None:
        unfinished = Counter(
            b.vm_id for b in self.engine.state.backups.values() if not b.phase.finished
        )
        assert all(count <= 1 for count in unfinished.values()), unfinished

    @invariant()
    def phases_move_only_along_the_table(self) -> None:
        for backup in self.engine.state.backups.values():
            phases = [phase for phase, _ in backup.history]
            whens = [when for _, when in backup.history]
            assert phases[0] is BackupPhase.INITIALIZING
            assert phases[-1] is backup.phase
            assert whens == sorted(whens)
            for pair in pairwise(phases):
                assert pair in CHAIN[backup.path], (backup.path, pair)

    @invariant()
    def audit_checkpoints(self) -> None:
        """A backup's checkpoint parents on the VM's newest at its start; a failure keeps none."""
        state = self.engine.state
        for backup in state.backups.values():
            made = backup.to_checkpoint_id
            if made is not None and backup.id not in self.made:
                checkpoint = state.checkpoints[made]
                assert checkpoint.parent_id == self.parent_at_start[backup.id]
                assert checkpoint.disk_ids == [d for d in backup.disk_ids if state.disks[d].qcow2]
                self.made[backup.id] = made
            if backup.phase is BackupPhase.SUCCEEDED:
                assert made is not None and self.made[backup.id] == made
            if backup.phase is BackupPhase.FAILED:
                assert made is None
                assert self.made.get(backup.id) not in state.checkpoints

    @invariant()
    def the_chain_is_linear_with_no_dangling_parent(self) -> None:
        state = self.engine.state
        for vm in state.vms.values():
            mine = [c for c in state.checkpoints.values() if c.vm_id == vm.id]
            ids = {c.id for c in mine}
            parents = [c.parent_id for c in mine]
            assert all(p is None or p in ids for p in parents)
            assert parents.count(None) == (1 if mine else 0)
            assert len(set(parents)) == len(parents)  # nobody has two children
            assert len(state.chain(vm.id)) == len(mine)

    @invariant()
    def disks_are_locked_exactly_while_an_active_path_backup_runs(self) -> None:
        state = self.engine.state
        held = {
            d
            for b in state.backups.values()
            if not b.phase.finished and b.path is not BackupPath.SNAPSHOT
            for d in b.disk_ids
        }
        locked = {d.id for d in state.disks.values() if d.status == "locked"}
        assert locked == held

    @invariant()
    def a_snapshot_lives_exactly_as_long_as_its_backup(self) -> None:
        state = self.engine.state
        running = {
            b.snapshot_id
            for b in state.backups.values()
            if not b.phase.finished and b.path is BackupPath.SNAPSHOT
        }
        auto = {s.id for s in state.snapshots.values() if s.description == SNAPSHOT_FOR_BACKUP}
        assert None not in running and auto == running
        assert all(b.snapshot_id is None for b in state.backups.values() if b.phase.finished)

    def teardown(self) -> None:
        for phase in sorted({b.phase for b in self.engine.state.backups.values()}):
            event(f"ended with a {phase.value} backup")
        longest = max(len(self.engine.checkpoints(vm)) for vm in self.engine.state.vms)
        event(f"longest chain: {min(longest, 3)}{'+' if longest >= 3 else ''}")

    @invariant()
    def every_accepted_start_logged_one_started_event(self) -> None:
        codes = Counter(e.code for e in self.engine.state.events.newest_first())
        assert codes[10790] == self.started


BackupMachine.TestCase.settings = settings(
    max_examples=examples(200), stateful_step_count=40, deadline=None
)
TestBackupMachine = BackupMachine.TestCase
