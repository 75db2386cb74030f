"""The seconds-policy trap: a backup polled while a manual clock stands still warns, once."""

from __future__ import annotations

import warnings

import pytest

from fakeovirt import BackupRequest, FakeOvirt, StalledClockWarning, TransitionPolicy

THRESHOLD = 10


def polled(fake: FakeOvirt, times: int, *, advance: float = 0.0) -> list[warnings.WarningMessage]:
    """Start a backup of vm-up and read it `times` times; the warnings that came."""
    vm = fake.vm("vm-up")
    backup = fake.start_backup("vm-up", BackupRequest(disk_ids=(vm.attachments[0].disk_id,)))
    client = fake.client()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(times):
            if advance:
                fake.advance(advance)
            answer = client.get(
                f"/ovirt-engine/api/vms/{vm.id}/backups/{backup.id}",
                headers={"Authorization": "Basic YWRtaW5AaW50ZXJuYWw6ZmFrZW92aXJ0"},
            )
            assert answer.status_code == 200
    return [w for w in caught if issubclass(w.category, StalledClockWarning)]


def test_ten_reads_at_one_engine_time_warn_once() -> None:
    fake = FakeOvirt(policy=TransitionPolicy.after_seconds(5))
    assert polled(fake, THRESHOLD - 1) == []
    fake.reset(policy="seconds:5")
    (warning,) = polled(fake, 3 * THRESHOLD)
    assert "was read 10 times in phase initializing while the manual clock stood still" in str(
        warning.message
    )


def test_a_reset_arms_the_warning_again() -> None:
    fake = FakeOvirt(policy=TransitionPolicy.after_seconds(5))
    assert len(polled(fake, THRESHOLD)) == 1
    fake.reset(policy="seconds:5")
    assert len(polled(fake, THRESHOLD)) == 1


@pytest.mark.parametrize(
    "policy",
    [
        TransitionPolicy.after_reads(100),  # moves on reads: polling is how it moves
        TransitionPolicy.after_seconds(5).holding("initializing"),  # waits for release()
        TransitionPolicy.immediate(),  # ready at once: waiting for the client's finalize
    ],
    ids=["reads", "held", "immediate"],
)
def test_no_warning_when_the_clock_is_not_what_the_backup_waits_for(
    policy: TransitionPolicy,
) -> None:
    assert polled(FakeOvirt(policy=policy), 2 * THRESHOLD) == []


def test_no_warning_when_the_test_moves_the_clock() -> None:
    fake = FakeOvirt(policy=TransitionPolicy.after_seconds(50))
    assert polled(fake, 2 * THRESHOLD, advance=1) == []


def test_no_warning_on_the_system_clock() -> None:
    fake = FakeOvirt(policy=TransitionPolicy.after_seconds(50))
    fake.reset(clock="system")
    assert polled(fake, 2 * THRESHOLD) == []
