"""A request costs what it touches, never the history of finished backups and checkpoints.

Structural, not timed: finished backups, checkpoints and transfers are made into spies that
record every attribute read, and each test asserts which of them a request read. Speed is
measured in `bench/bench_history.py`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import ovirtsdk4 as sdk
import ovirtsdk4.types as types
from ovirt_imageio.client import ImageioClient

from fakeovirt import BackupRequest, FakeOvirt, TransferRequest, TransitionPolicy
from fakeovirt.core.clock import EPOCH
from fakeovirt.core.schedule import Schedule
from fakeovirt.core.state import State

from .sdkflow import backups_service, create_transfer, finalize_backup, start_backup

HISTORY = 40


def finished_backups(fake: FakeOvirt, vm: str, count: int) -> list[str]:
    """`count` backups of `vm` that succeeded, each leaving a checkpoint; their ids."""
    engine, vm_id = fake.engine, fake.vm(vm).id
    disks = tuple(a.disk_id for a in fake.vm(vm).attachments)
    made = []
    with fake.lock:
        for _ in range(count):
            backup = engine.start_backup(vm_id, BackupRequest(disk_ids=disks))
            engine.finalize_backup(vm_id, backup.id)
            made.append(backup.id)
    return made


def finished_transfers(fake: FakeOvirt, disk: str, count: int) -> list[str]:
    engine, disk_id = fake.engine, fake.disk(disk).id
    made = []
    with fake.lock:
        for _ in range(count):
            transfer = engine.start_transfer(TransferRequest(disk_id, direction="download"))
            engine.transfer_action(transfer.id, "finalize")
            made.append(transfer.id)
    return made


@contextmanager
def spying(entities: Iterable[Any]) -> Iterator[set[str]]:
    """Yield the ids of the `entities` whose attributes anything read meanwhile."""
    touched: set[str] = set()
    originals = []
    for entity in entities:
        cls = type(entity)

        class Spy(cls):  # type: ignore[valid-type, misc]
            def __getattribute__(self, name: str) -> Any:
                if not name.startswith("__"):
                    touched.add(object.__getattribute__(self, "id"))
                return object.__getattribute__(self, name)

        originals.append((entity, cls))
        entity.__class__ = Spy
    try:
        yield touched
    finally:
        for entity, cls in originals:
            entity.__class__ = cls


def history_of(fake: FakeOvirt) -> list[Any]:
    state = fake.engine.state
    return [*state.backups.values(), *state.checkpoints.values(), *state.transfers.values()]


def test_reading_one_backup_reads_no_other_backup_or_checkpoint(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    made = finished_backups(fake, "vm-up", HISTORY)
    service = backups_service(connection, fake.vm("vm-up").id)
    with spying(history_of(fake)) as touched:
        read = service.backup_service(made[HISTORY // 2]).get()
    assert read.phase == types.BackupPhase.SUCCEEDED
    assert touched == {made[HISTORY // 2]}


def test_a_listing_reads_only_what_max_lets_through(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    made = finished_backups(fake, "vm-up", HISTORY)
    chain = [c.id for c in fake.engine.checkpoints(fake.vm("vm-up").id)]
    service = backups_service(connection, fake.vm("vm-up").id)
    checkpoints = connection.system_service().vms_service().vm_service(fake.vm("vm-up").id)
    with spying(history_of(fake)) as touched_by_backups:
        listed = [b.id for b in service.list(max=5)]
    with spying(history_of(fake)) as touched_by_checkpoints:
        chained = [c.id for c in checkpoints.checkpoints_service().list(max=5)]
    assert listed == made[:5] and touched_by_backups == set(made[:5])
    assert chained == chain[:5] and touched_by_checkpoints == set(chain[:5])


def test_a_listing_observes_only_the_backups_it_shows(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """The engine counts a read of what the client was shown, not of what `max` cut."""
    finished_backups(fake, "vm-up", 2)
    fake.engine.policy = TransitionPolicy.after_reads(1)
    vm_id = fake.vm("vm-up").id
    service = backups_service(connection, vm_id)
    disks = [types.Disk(id=a.disk_id) for a in fake.vm("vm-up").attachments]
    running = service.add(types.Backup(disks=disks))
    for _ in range(3):
        service.list(max=2)  # the running backup is third: not shown, not read
    unseen = fake.engine.state.backups[running.id].phase.rest
    shown = [b.phase for b in service.list()]
    assert (running.phase, unseen) == (types.BackupPhase.INITIALIZING, "initializing")
    assert shown[-1] == types.BackupPhase.STARTING


def test_a_backup_cycle_reads_at_most_the_newest_backup_and_the_leaf(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    made = finished_backups(fake, "vm-up", HISTORY)
    leaf = fake.engine.state.leaf_checkpoint(fake.vm("vm-up").id)
    assert leaf is not None
    disks = [types.Disk(id=a.disk_id) for a in fake.vm("vm-up").attachments]
    with spying(history_of(fake)) as touched:
        backup = start_backup(connection, fake.vm("vm-up").id, disks)
        done = finalize_backup(connection, backup)
    assert done.phase == types.BackupPhase.SUCCEEDED
    assert touched <= {made[-1], leaf.id}


def test_a_ticket_reads_only_its_own_transfer(fake: FakeOvirt, connection: sdk.Connection) -> None:
    finished_transfers(fake, "vm-down-disk1", HISTORY)
    transfer = create_transfer(
        connection, fake.disk("vm-down-disk1").id, types.ImageTransferDirection.DOWNLOAD
    )
    with spying(history_of(fake)) as touched:
        client = ImageioClient(transfer.transfer_url, cafile=fake.ca_file)
        try:
            assert client.size() == fake.disk("vm-down-disk1").provisioned_size
        finally:
            client.close()
    assert touched == {transfer.id}


def test_a_tick_with_nothing_due_runs_nothing(fake: FakeOvirt) -> None:
    made = finished_backups(fake, "vm-up", HISTORY)
    state = fake.engine.state
    with spying(history_of(fake)) as touched:
        ran = fake.engine.tick()
    assert (ran, touched) == (0, set())
    backup = state.backups[made[0]]
    assert state.schedule.when(("backup", backup.id)) == backup.modified + timedelta(minutes=15)


def test_the_schedule_runs_what_is_due_in_time_order_once_per_tick() -> None:
    schedule = Schedule()
    schedule.at(("b", "2"), EPOCH + timedelta(seconds=2))
    schedule.at(("a", "1"), EPOCH + timedelta(seconds=1))
    schedule.at(("c", "3"), EPOCH + timedelta(seconds=9))
    schedule.at(("c", "3"), EPOCH + timedelta(seconds=3))  # moved earlier: the later is stale
    schedule.at(("b", "2"), None)  # cancelled
    ran = []
    for key in schedule.due(EPOCH + timedelta(seconds=5)):
        ran.append(key)
        schedule.at(key, EPOCH)  # due again at once: left for the next tick
    assert ran == [("a", "1"), ("c", "3")]
    assert list(schedule.due(EPOCH + timedelta(seconds=5))) == [("a", "1"), ("c", "3")]
    assert len(schedule) == 0


def test_stale_schedule_entries_stay_a_bounded_few() -> None:
    schedule = Schedule()
    for second in range(10_000):
        schedule.at(("transfer", "t"), EPOCH + timedelta(seconds=second))
    assert len(schedule) == 1
    assert schedule.heap_size <= 2 * len(schedule) + 64


def test_the_chain_relinks_without_a_scan(fake: FakeOvirt) -> None:
    """Removing a checkpoint in the middle relinks its child; the chain is the same as the
    one followed by parent links from the root."""
    finished_backups(fake, "vm-up", 5)
    vm_id = fake.vm("vm-up").id
    state = fake.engine.state
    middle = state.chain(vm_id)[2]
    with fake.lock:
        fake.engine.remove_checkpoint(vm_id, middle.id)
    chain = state.chain(vm_id)
    assert middle.id not in state.checkpoints
    assert [c.parent_id for c in chain] == [None, *[c.id for c in chain[:-1]]]
    assert by_parent_links(state, vm_id) == chain


def by_parent_links(state: State, vm_id: str) -> list[Any]:
    children = {c.parent_id: c for c in state.checkpoints.values() if c.vm_id == vm_id}
    out, node = [], children.get(None)
    while node is not None:
        out.append(node)
        node = children.get(node.id)
    return out


# -- what makes work due sooner puts it on the schedule -----------------------------------------
def start_in_process(fake: FakeOvirt, vm: str) -> str:
    disks = tuple(a.disk_id for a in fake.vm(vm).attachments)
    with fake.lock:
        return fake.engine.start_backup(fake.vm(vm).id, BackupRequest(disk_ids=disks)).id


def test_a_new_engine_policy_moves_running_backups_on_the_clock_unread(fake: FakeOvirt) -> None:
    fake.policy = "reads:1"
    backup_id = start_in_process(fake, "vm-up")
    fake.policy = "seconds:5"
    fake.advance(12)
    assert fake.history(backup_id) == [("initializing", 0.0), ("starting", 5.0), ("ready", 10.0)]


def test_a_phase_released_before_its_time_moves_when_its_time_comes(fake: FakeOvirt) -> None:
    fake.policy = TransitionPolicy.after_seconds(5).holding("starting")
    backup_id = start_in_process(fake, "vm-up")
    fake.advance(6)  # starting since 5 s, held
    fake.release(backup_id)  # its 5 s are not over: it moves at 10 s, unread
    fake.advance(4)
    assert fake.history(backup_id) == [("initializing", 0.0), ("starting", 5.0), ("ready", 10.0)]
