"""What has finished leaves as it does in the engine, and what grows is bounded.

Retention times are the engine's (`fakeovirt/core/retention.py` cites each config key and the
cleanup code); the journal and the event log are bounded rings; many backup and transfer
cycles leave nothing behind once their retention has passed.
"""

from __future__ import annotations

from base64 import b64encode
from datetime import UTC, datetime, timedelta
from pathlib import Path

import ovirtsdk4 as sdk
import ovirtsdk4.types as types
import pytest

import fakeovirt.web.journal as journal_module
from fakeovirt import BackupRequest, FakeOvirt, Retention, TransferRequest
from fakeovirt.web.journal import Journal

from .sdkflow import (
    backups_service,
    download_backup_disk,
    finalize_backup,
    start_backup,
)


def disks_of(fake: FakeOvirt, vm: str) -> list[types.Disk]:
    return [types.Disk(id=a.disk_id) for a in fake.vm(vm).attachments]


def backup_cycle(fake: FakeOvirt, connection: sdk.Connection, vm: str) -> types.Backup:
    backup = start_backup(connection, fake.vm(vm).id, disks_of(fake, vm))
    return finalize_backup(connection, backup)


# -- jobs ---------------------------------------------------------------------------------
def test_a_succeeded_backups_job_is_gone_10_minutes_after_it_ended(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """`SucceededJobCleanupTimeInMinutes` = 10 (engine `0000_config.sql:652`)."""
    backup_cycle(fake, connection, "vm-up")
    jobs = connection.system_service().jobs_service()
    fake.advance(10 * 60 - 1)
    kept = [j.status for j in jobs.list()]
    fake.advance(1)
    assert (kept, jobs.list()) == ([types.JobStatus.FINISHED], [])


def test_a_failed_backups_job_stays_60_minutes(fake: FakeOvirt, connection: sdk.Connection) -> None:
    """`FailedJobCleanupTimeInMinutes` = 60 (engine `0000_config.sql:122`); the failed
    backup itself goes after 30 minutes."""
    vm = fake.vm("vm-nofreeze")
    backups_service(connection, vm.id).add(
        types.Backup(disks=disks_of(fake, "vm-nofreeze")), require_consistency=True
    )
    jobs = connection.system_service().jobs_service()
    fake.advance(59 * 60)
    kept = [j.status for j in jobs.list()]
    fake.advance(60)
    assert (kept, jobs.list()) == ([types.JobStatus.FAILED], [])


# -- events ----------------------------------------------------------------------------------
def test_events_leave_at_the_first_daily_cleanup_30_days_after_them(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """`AuditLogAgingThreshold` = 30 days, `AuditLogCleanupTime` = 03:35:35 (engine
    `0000_config.sql:66-67`, `AuditLogCleanupManager.onTimer`): the cleanup deletes events
    older than 30 days before the moment it runs. The clock starts 2026-01-01T00:00Z."""
    backup_cycle(fake, connection, "vm-up")
    events = connection.system_service().events_service()
    logged = len(events.list())
    clock = fake.clock
    fake.advance((datetime(2026, 1, 31, 3, 35, 34, tzinfo=UTC) - clock.now()).total_seconds())
    before = len(events.list())
    fake.advance(1)  # 2026-01-31T03:35:35: the cutoff is 2026-01-01T03:35:35
    assert logged > 0 and before == logged
    assert events.list() == []


def test_a_clock_that_skips_days_ages_events_once_at_the_latest_cleanup(fake: FakeOvirt) -> None:
    cycle_in_process(fake, "vm-up")
    first = len(fake.events())
    fake.advance(45 * 24 * 3600)
    cycle_in_process(fake, "vm-up")
    assert first > 0 and len(fake.events()) == first  # only the new cycle's events remain


def test_the_event_log_keeps_at_most_events_kept_and_indexes_go_on() -> None:
    fake = FakeOvirt(retention=Retention(events_kept=4))
    for _ in range(3):
        cycle_in_process(fake, "vm-up")
    events = fake.events()
    log = fake.engine.state.events
    assert len(events) == 4
    assert [e.index for e in events] == list(range(log.dropped + 1, log.dropped + 5))
    assert log.get(events[0].index) is events[0] and log.get(events[0].index - 1) is None


def test_events_from_an_index_are_the_newer_ones_newest_first(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    backup_cycle(fake, connection, "vm-up")
    newest = fake.events()[-1].index
    listed = connection.system_service().events_service().list(from_=newest - 2)
    assert [e.index for e in listed] == [newest, newest - 1]


def test_retention_refuses_negative_times() -> None:
    with pytest.raises(ValueError, match="negative"):
        Retention(job_failed=timedelta(minutes=-1))
    with pytest.raises(ValueError, match="events_kept"):
        Retention(events_kept=0)


# -- the journal -------------------------------------------------------------------------------
def record(journal: Journal, count: int, *, body: bytes = b"", routed: bool = True) -> None:
    for _ in range(count):
        journal.record(
            method="GET",
            path="/ovirt-engine/api/vms",
            query="",
            status=200 if routed else 404,
            user="admin@internal",
            request_body=b"",
            response_body=body,
            endpoint="vms.collection" if routed else None,
            routed=routed,
        )


def test_the_journal_keeps_the_latest_exchanges_and_counts_the_dropped() -> None:
    journal = Journal(size=10)
    record(journal, 25)
    assert [e.index for e in journal.entries] == list(range(16, 26))
    assert (len(journal), journal.dropped) == (10, 15)
    journal.clear()
    record(journal, 2)
    assert ([e.index for e in journal.entries], journal.dropped) == ([1, 2], 0)


def test_bodies_past_the_budget_leave_oldest_first_and_their_exchanges_stay() -> None:
    journal = Journal(size=100, body_budget=2500)
    record(journal, 5, body=b"x" * 1000)
    kept = [(e.index, len(e.response_body), e.bodies_dropped) for e in journal.entries]
    assert kept == [(1, 0, True), (2, 0, True), (3, 0, True), (4, 1000, False), (5, 1000, False)]
    assert (journal.body_bytes, journal.bodies_dropped) == (2000, 3)


def test_a_kept_body_is_the_answer_itself_and_repeated_strings_are_kept_once() -> None:
    """What an exchange costs the ring: no copy of a body it keeps whole, one string for a
    path the client repeats, and a bounded table of those strings."""
    journal = Journal(size=10)
    body = b"<backup/>" * 10
    for query in ("max=50", "max=50"):
        journal.record(
            method="GET",
            path="".join(["/ovirt-engine/api/vms/", "x" * 30]),  # a new string each time
            query="".join(query),
            status=200,
            user=None,
            request_body=b"",
            response_body=body,
            endpoint=None,
        )
    first, second = journal.entries
    assert first.response_body is body and second.response_body is body
    assert first.path is second.path and first.query is second.query
    record(journal, 1)
    for index in range(3 * journal_module._SHARED):
        journal.record(
            method="GET",
            path=f"/ovirt-engine/api/vms/{index}",
            query="",
            status=200,
            user=None,
            request_body=b"",
            response_body=b"",
            endpoint=None,
        )
        assert len(journal._shared) <= journal_module._SHARED + 3


def test_unrouted_exchanges_outlive_the_ring_for_the_plugins_check() -> None:
    journal = Journal(size=3)
    record(journal, 1, routed=False)
    record(journal, 5)
    assert [e.index for e in journal.unrouted()] == [1]
    assert all(e.routed for e in journal.entries)


def test_a_failed_assertion_says_how_many_exchanges_were_dropped() -> None:
    journal = Journal(size=2)
    record(journal, 5)
    with pytest.raises(AssertionError, match="3 older ones dropped"):
        journal.assert_request_made("DELETE /vms")


def test_a_fakes_journal_is_a_ring_of_journal_size_cleared_by_reset() -> None:
    small = FakeOvirt(journal_size=3)
    client = small.client()
    auth = {"Authorization": "Basic " + b64encode(b"admin@internal:fakeovirt").decode()}
    for _ in range(5):
        assert client.get("/ovirt-engine/api/vms", headers=auth).status_code == 200
    assert (len(small.journal), small.journal.dropped) == (3, 2)
    small.reset()
    assert (len(small.journal), small.journal.dropped) == (0, 0)


PER_TEST_JOURNAL = """
AUTH = {"Authorization": "Basic YWRtaW5AaW50ZXJuYWw6ZmFrZW92aXJ0"}

def send(fakeovirt, count):
    client = fakeovirt.client()
    for _ in range(count):
        assert client.get("/ovirt-engine/api", headers=AUTH).status_code == 200

def test_more_than_the_ring(fakeovirt):
    send(fakeovirt, 5)
    assert (len(fakeovirt.journal), fakeovirt.journal.dropped) == (3, 2)
    assert fakeovirt.journal.entries[0].index == 3

def test_a_test_of_normal_size_sees_all_its_requests(fakeovirt):
    send(fakeovirt, 2)
    assert [e.index for e in fakeovirt.journal.entries] == [1, 2]
    assert fakeovirt.journal.dropped == 0
"""


def test_the_plugins_journal_holds_each_test_whole_up_to_journal_size(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_journal_size=PER_TEST_JOURNAL)
    quiet = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:randomly")
    pytester.runpytest(*quiet, "--fakeovirt-journal-size=3").assert_outcomes(passed=2)
    refused = pytester.runpytest(*quiet, "--fakeovirt-journal-size=0")
    assert refused.ret == pytest.ExitCode.USAGE_ERROR  # before any test runs
    assert "fakeovirt_journal_size must be a positive whole number" in refused.stderr.str()


# -- nothing leaks per backup or transfer --------------------------------------------------------
def cycle_in_process(fake: FakeOvirt, vm: str, *, download: bool = False) -> None:
    """A backup, optionally with a transfer whose ticket is read, finalized; the VM's
    oldest checkpoint deleted as backup tools do, so the chain stays short."""
    engine = fake.engine
    vm_id = fake.vm(vm).id
    disks = tuple(a.disk_id for a in fake.vm(vm).attachments)
    with fake.lock:
        backup = engine.start_backup(vm_id, BackupRequest(disk_ids=disks))
        if download:
            transfer = engine.start_transfer(
                TransferRequest(disks[0], backup_id=backup.id, direction="download")
            )
            ticket = engine.ticket(transfer.ticket)
            assert len(ticket.read(0, 65536)) == 65536
            engine.transfer_action(transfer.id, "finalize")
        engine.finalize_backup(vm_id, backup.id)
        chain = engine.checkpoints(vm_id)
        if len(chain) > 2:
            engine.remove_checkpoint(vm_id, chain[0].id)


def test_many_backup_and_transfer_cycles_leave_nothing_once_retention_has_passed(
    fake: FakeOvirt,
) -> None:
    for _ in range(2):  # the chain the client keeps: two checkpoints
        cycle_in_process(fake, "vm-up", download=True)
    fake.advance(31 * 24 * 3600)  # past every retention, events included
    baseline = fake.engine.state.sizes()
    for _ in range(300):
        cycle_in_process(fake, "vm-up", download=True)
        fake.advance(7)
    grown = fake.engine.state.sizes()
    fake.advance(31 * 24 * 3600)
    assert grown["backups"] > 100 and grown["transfers"] > 100
    assert fake.engine.state.sizes() == baseline


def test_a_client_doing_backups_with_downloads_leaves_nothing_behind(
    fake: FakeOvirt, connection: sdk.Connection, tmp_path: Path
) -> None:
    """The real SDK and imageio client: backups, downloads, finalizes; then retention."""
    baseline = fake.engine.state.sizes()
    vm = fake.vm("vm-down")
    checkpoints = connection.system_service().vms_service().vm_service(vm.id).checkpoints_service()
    for number in range(3):
        backup = start_backup(connection, vm.id, disks_of(fake, "vm-down"))
        for disk in disks_of(fake, "vm-down"):
            target = tmp_path / f"{number}-{disk.id}.qcow2"
            download_backup_disk(connection, backup, disk.id, target, fake.ca_file or "")
        finalize_backup(connection, backup)
    for checkpoint in checkpoints.list():
        checkpoints.checkpoint_service(checkpoint.id).remove()
    during = fake.engine.state.sizes()
    fake.advance(31 * 24 * 3600)
    assert (during["backups"], during["transfers"]) == (3, 3)
    assert fake.engine.state.sizes() == baseline
