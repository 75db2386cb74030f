"""Transition policies on the core engine (no HTTP): reads, seconds, holds, injected failures."""

from __future__ import annotations

import base64
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from fakeovirt.core.backups import BackupRequest
from fakeovirt.core.clock import ManualClock
from fakeovirt.core.engine import Engine
from fakeovirt.core.errors import NotFound
from fakeovirt.core.model import Backup
from fakeovirt.core.phases import BACKUP_TRANSITIONS, BackupPath, BackupPhase, Step
from fakeovirt.core.policy import TransitionPolicy
from fakeovirt.core.scenario import DEMO

Ph = BackupPhase
# The demo's VMs with tiny, empty disks: content plays no part in phases.
LIGHT = replace(
    DEMO,
    vms=tuple(
        replace(vm, disks=tuple(replace(d, size=1 << 20, seeded_blocks=0) for d in vm.disks))
        for vm in DEMO.vms
    ),
)


def engine_with(policy: TransitionPolicy) -> tuple[Engine, ManualClock]:
    clock = ManualClock()
    return Engine(LIGHT, clock=clock, policy=policy), clock


def start(
    engine: Engine,
    vm: str = "vm-up",
    *,
    use_active: bool = False,
    policy: TransitionPolicy | None = None,
) -> Backup:
    target = engine.vm_by_name(vm)
    disk_ids = tuple(a.disk_id for a in target.attachments)
    request = BackupRequest(disk_ids=disk_ids, use_active=use_active, policy=policy)
    return engine.start_backup(target.id, request)


def read(engine: Engine, backup: Backup) -> Ph:
    return engine.backup(backup.vm_id, backup.id, observe=True).phase


def times(backup: Backup, since: datetime) -> list[tuple[Ph, float]]:
    return [(phase, (when - since).total_seconds()) for phase, when in backup.history]


# -- the policy value ------------------------------------------------------------------------
def test_a_policy_counts_reads_or_seconds_not_both() -> None:
    with pytest.raises(ValueError, match="reads or seconds"):
        TransitionPolicy(reads=1, seconds=1)


@pytest.mark.parametrize("kwargs", [{"reads": -1}, {"seconds": -0.5}])
def test_negative_counts_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        TransitionPolicy(**kwargs)  # type: ignore[arg-type]


def test_holding_an_unknown_phase_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown phase start"):
        TransitionPolicy.after_reads(1).holding("start")


def test_failing_at_an_unknown_phase_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown phase finalising"):
        TransitionPolicy.immediate().failing_at("finalising")


def test_backup_and_transfer_phase_names_are_known() -> None:
    policy = TransitionPolicy.immediate().holding("starting", "transferring", "finalizing_success")
    assert policy.hold == {"starting", "transferring", "finalizing_success"}


def test_holding_adds_to_the_held_phases() -> None:
    policy = TransitionPolicy.after_reads(2).holding("starting").holding("finalizing")
    assert (policy.reads, policy.hold) == (2, frozenset({"starting", "finalizing"}))


@pytest.mark.parametrize(
    "policy",
    [
        TransitionPolicy.immediate(),
        TransitionPolicy.after_reads(3).holding("starting"),
        TransitionPolicy.after_seconds(2.5).failing_at("finalizing"),
    ],
)
def test_a_policy_survives_a_round_trip_through_a_mapping(policy: TransitionPolicy) -> None:
    assert TransitionPolicy.from_dict(policy.to_dict()) == policy


@pytest.mark.parametrize(
    "data",
    [{"mode": "later"}, {"mode": "reads", "speed": 1}, {"hold": "starting"}, {"fail_at": 3}],
)
def test_a_malformed_mapping_is_refused(data: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        TransitionPolicy.from_dict(data)


# -- immediate and per-read ------------------------------------------------------------------
def test_an_immediate_backup_is_ready_in_the_add_reply() -> None:
    engine, _ = engine_with(TransitionPolicy.immediate())
    assert start(engine).phase is Ph.READY


def test_after_zero_reads_behaves_as_immediate() -> None:
    engine, _ = engine_with(TransitionPolicy.after_reads(0))
    assert start(engine).phase is Ph.READY


def test_after_two_reads_each_phase_is_shown_twice() -> None:
    engine, _ = engine_with(TransitionPolicy.after_reads(2))
    backup = start(engine)
    seen = [backup.phase] + [read(engine, backup) for _ in range(4)]
    assert seen == [Ph.INITIALIZING, Ph.INITIALIZING, Ph.STARTING, Ph.STARTING, Ph.READY]


def test_a_clock_tick_never_moves_a_per_read_backup() -> None:
    engine, clock = engine_with(TransitionPolicy.after_reads(1))
    backup = start(engine)
    for _ in range(3):
        clock.advance(3600)
        engine.tick()
    assert backup.phase is Ph.INITIALIZING


def test_finalize_is_not_a_read() -> None:
    """A live backup read once in `starting` is finalized there, not in an unseen `ready`."""
    engine, _ = engine_with(TransitionPolicy.after_reads(1))
    backup = start(engine, use_active=True)
    assert read(engine, backup) is Ph.STARTING
    engine.finalize_backup(backup.vm_id, backup.id)
    assert backup.phase is Ph.FINALIZING_FAILURE
    assert Ph.READY not in [phase for phase, _ in backup.history]


def test_a_per_backup_policy_overrides_the_engines() -> None:
    engine, _ = engine_with(TransitionPolicy.immediate())
    backup = start(engine, policy=TransitionPolicy.after_reads(1))
    assert [backup.phase, read(engine, backup)] == [Ph.INITIALIZING, Ph.STARTING]


# -- timed ---------------------------------------------------------------------------------------
def test_timed_phases_last_their_seconds() -> None:
    engine, clock = engine_with(TransitionPolicy.after_seconds(2))
    backup = start(engine)
    seen = [backup.phase]
    for _ in range(2):
        clock.advance(1)
        engine.tick()
        seen.append(backup.phase)
    clock.advance(1)
    engine.tick()
    seen.append(backup.phase)
    assert seen == [Ph.INITIALIZING, Ph.INITIALIZING, Ph.STARTING, Ph.STARTING]


def test_timed_phases_keep_exact_times_when_the_clock_is_read_late() -> None:
    engine, clock = engine_with(TransitionPolicy.after_seconds(1))
    t0 = clock.now()
    backup = start(engine)
    clock.advance(60)
    engine.tick()
    assert times(backup, t0) == [(Ph.INITIALIZING, 0), (Ph.STARTING, 1), (Ph.READY, 2)]


def test_the_checkpoint_is_dated_when_the_backup_became_ready() -> None:
    engine, clock = engine_with(TransitionPolicy.after_seconds(1))
    t0 = clock.now()
    backup = start(engine)
    clock.advance(60)
    engine.tick()
    checkpoint = engine.checkpoint(backup.vm_id, backup.to_checkpoint_id or "")
    assert checkpoint.created == t0 + timedelta(seconds=2) == backup.modified


def test_a_hold_on_one_phase_does_not_delay_the_others() -> None:
    engine, clock = engine_with(TransitionPolicy.after_seconds(1).holding("finalizing"))
    t0 = clock.now()
    backup = start(engine)
    clock.advance(3)
    engine.tick()
    assert times(backup, t0) == [(Ph.INITIALIZING, 0), (Ph.STARTING, 1), (Ph.READY, 2)]


def test_cleanup_counts_from_when_the_backup_finished() -> None:
    engine, clock = engine_with(TransitionPolicy.after_seconds(1))
    backup = start(engine)
    clock.advance(2)
    engine.finalize_backup(backup.vm_id, backup.id)  # finalizing at t0+2, succeeded at t0+3
    clock.advance(15 * 60)
    engine.tick()
    assert backup.id in engine.state.backups
    clock.advance(1)
    engine.tick()
    assert backup.id not in engine.state.backups


# -- holds -----------------------------------------------------------------------------------------
def test_a_held_timed_phase_stays_however_long_the_clock_runs() -> None:
    engine, clock = engine_with(TransitionPolicy.after_seconds(1).holding("starting"))
    backup = start(engine)
    clock.advance(24 * 3600)
    engine.tick()
    assert backup.phase is Ph.STARTING


def test_a_released_timed_phase_ends_at_the_release() -> None:
    engine, clock = engine_with(TransitionPolicy.after_seconds(1).holding("starting"))
    t0 = clock.now()
    backup = start(engine)
    clock.advance(10)
    engine.tick()
    engine.release(backup.id)
    assert times(backup, t0) == [(Ph.INITIALIZING, 0), (Ph.STARTING, 1), (Ph.READY, 10)]


def test_a_released_per_read_phase_moves_on_the_next_read() -> None:
    engine, _ = engine_with(TransitionPolicy.after_reads(1).holding("starting"))
    backup = start(engine)
    held = [read(engine, backup) for _ in range(3)]
    engine.release(backup.id)
    released = backup.phase
    assert held == [Ph.STARTING] * 3
    assert [released, read(engine, backup)] == [Ph.STARTING, Ph.READY]


def test_a_release_lets_only_the_phase_it_was_held_in_go() -> None:
    engine, _ = engine_with(TransitionPolicy.immediate().holding("starting", "finalizing"))
    backup = start(engine)
    engine.release(backup.id)
    engine.finalize_backup(backup.vm_id, backup.id)
    assert backup.phase is Ph.FINALIZING


def test_releasing_an_unknown_id_is_not_found() -> None:
    engine, _ = engine_with(TransitionPolicy.immediate())
    with pytest.raises(NotFound):
        engine.release("no-such-backup")


# -- injected failures ---------------------------------------------------------------------------
FAILABLE = sorted(
    {(path, phase) for path, phase, step in BACKUP_TRANSITIONS if step is Step.FAIL},
    key=lambda pair: (pair[0].value, list(Ph).index(pair[1])),
)


def run_failing_at(path: BackupPath, phase: Ph) -> tuple[Engine, Backup]:
    """A backup on `path` whose automatic step out of `phase` fails; finalized once ready."""
    engine, _ = engine_with(TransitionPolicy.immediate().failing_at(phase.rest))
    vm = "vm-down" if path is BackupPath.COLD else "vm-up"
    backup = start(engine, vm, use_active=path is not BackupPath.SNAPSHOT)
    assert backup.path is path
    if backup.phase is Ph.READY:
        engine.finalize_backup(backup.vm_id, backup.id)
    return engine, backup


@pytest.mark.parametrize(("path", "phase"), FAILABLE, ids=lambda v: str(v))
def test_failing_at_a_phase_ends_the_backup_failed(path: BackupPath, phase: Ph) -> None:
    _, backup = run_failing_at(path, phase)
    visited = [p for p, _ in backup.history]
    assert backup.phase is Ph.FAILED
    assert visited[visited.index(phase) + 1] in (Ph.FAILED, Ph.FINALIZING_FAILURE)


@pytest.mark.parametrize(("path", "phase"), FAILABLE, ids=lambda v: str(v))
def test_a_failed_backup_releases_everything(path: BackupPath, phase: Ph) -> None:
    engine, backup = run_failing_at(path, phase)
    state = engine.state
    assert backup.to_checkpoint_id is None and state.checkpoints == {}
    assert all(state.disks[d].status == "ok" for d in backup.disk_ids)
    assert [s.type for s in state.vm_snapshots(backup.vm_id)] == ["active"]
    assert state.jobs[backup.job_id or ""].status == "failed"
    assert state.events.newest_first()[0].code == 10792


def test_switching_scenarios_back_reuses_the_seeded_content() -> None:
    from fakeovirt.core.scenario import EMPTY

    engine = Engine(DEMO)
    first = engine.disk_by_alias("vm-up-disk1").content.read(0, 1 << 20)
    cached = len(engine._templates)
    engine.reset(EMPTY)
    engine.reset(DEMO)
    assert len(engine._templates) == cached
    assert engine.disk_by_alias("vm-up-disk1").content.read(0, 1 << 20) == first


@pytest.mark.parametrize("text", ["immediate", "reads:2", "seconds:1.5"])
def test_policy_strings_parse(text: str) -> None:
    policy = TransitionPolicy.parse(text)
    assert policy.to_dict()["mode"] == text.split(":")[0]


@pytest.mark.parametrize("text", ["sometimes", "reads:x", "immediate:3"])
def test_bad_policy_strings_say_what_is_allowed(text: str) -> None:
    with pytest.raises(ValueError, match="immediate, reads:N or seconds:T"):
        TransitionPolicy.parse(text)


def test_the_constructor_takes_a_policy_and_a_clock_as_reset_does() -> None:
    """`FakeOvirt(policy="reads:1")` once stored the string, and the first snapshot or
    backup answered a 500 (the engine read `.reads` of a str)."""
    from fakeovirt import FakeOvirt, SystemClock

    fake = FakeOvirt(policy="reads:1", clock="manual")
    assert fake.policy == TransitionPolicy.after_reads(1)
    assert isinstance(fake.clock, ManualClock)
    vm = fake.vm("vm-up")
    auth = "Basic " + base64.b64encode(b"admin@internal:fakeovirt").decode()
    answer = fake.client().post(
        f"/ovirt-engine/api/vms/{vm.id}/snapshots",
        data=b"<snapshot><description>s</description></snapshot>",
        headers={"Content-Type": "application/xml", "Authorization": auth},
    )
    assert answer.status_code == 202, answer.data
    assert b"<snapshot_status>locked</snapshot_status>" in answer.data
    assert FakeOvirt(policy={"mode": "seconds", "seconds": 2}).policy.seconds == 2
    assert isinstance(FakeOvirt(clock="system").clock, SystemClock)


@pytest.mark.parametrize(
    "arguments, words",
    [({"policy": "sometimes"}, "immediate, reads:N or seconds:T"), ({"clock": "sundial"}, "clock")],
)
def test_the_constructor_refuses_a_malformed_policy_or_clock(
    arguments: dict[str, str], words: str
) -> None:
    from fakeovirt import FakeOvirt

    with pytest.raises(ValueError, match=words):
        FakeOvirt(**arguments)  # type: ignore[arg-type]
