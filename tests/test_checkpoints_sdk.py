"""Checkpoints through the real ovirtsdk4: made by ready backups, listed as a chain, removed.

`@both_profiles` tests run under the documented contract and the `engine` profile; with
`PATHS` also on both paths. The engine makes a legacy backup's checkpoint when the backup
starts (StartVmBackupCommand.java:278-290) and removes it if the backup fails (:707-713);
tests/test_profiles.py shows when it appears.
"""

from __future__ import annotations

from collections.abc import Callable

import ovirtsdk4 as sdk
import ovirtsdk4.types as types
import pytest

from fakeovirt import FakeOvirt, TransitionPolicy

from .profiles import both_profiles, path_args

PATHS = pytest.mark.parametrize("legacy", [False, True], ids=["default path", "legacy path"])


def vm_service(connection: sdk.Connection, fake: FakeOvirt, vm: str) -> sdk.services.VmService:
    return connection.system_service().vms_service().vm_service(fake.vm(vm).id)


def checkpoints_service(
    connection: sdk.Connection, fake: FakeOvirt, vm: str = "vm-up"
) -> sdk.services.VmCheckpointsService:
    return vm_service(connection, fake, vm).checkpoints_service()


def backup(
    connection: sdk.Connection,
    fake: FakeOvirt,
    vm: str = "vm-up",
    *,
    description: str | None = None,
    from_checkpoint_id: str | None = None,
    finalize: bool = True,
    legacy: bool = False,
) -> types.Backup:
    """A backup of all the VM's disks, finalized unless told otherwise; returns it as added.
    `legacy`: on the legacy (active-volume) path."""
    service = vm_service(connection, fake, vm).backups_service()
    added = service.add(
        types.Backup(
            disks=[types.Disk(id=a.disk_id) for a in fake.vm(vm).attachments],
            description=description,
            from_checkpoint_id=from_checkpoint_id,
        ),
        **path_args(legacy),
    )
    if finalize:
        service.backup_service(added.id).finalize()
    return added


def chain_of_three(connection: sdk.Connection, fake: FakeOvirt) -> list[str]:
    return [str(backup(connection, fake).to_checkpoint_id) for _ in range(3)]


def fault(call: Callable[[], object]) -> sdk.Error:
    with pytest.raises(sdk.Error) as caught:
        call()
    return caught.value


# -- creation ----------------------------------------------------------------------------------
def test_a_ready_backup_has_a_created_checkpoint(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    added = backup(connection, fake, finalize=False)
    checkpoint = (
        checkpoints_service(connection, fake).checkpoint_service(added.to_checkpoint_id).get()
    )
    assert checkpoint.id == added.to_checkpoint_id
    assert checkpoint.state == types.CheckpointState.CREATED
    assert checkpoint.vm.id == fake.vm("vm-up").id
    assert checkpoint.creation_date is not None


def test_no_checkpoint_exists_before_the_backup_is_ready(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    fake.engine.policy = TransitionPolicy.after_reads(1)
    added = backup(connection, fake, finalize=False)
    service = vm_service(connection, fake, "vm-up").backups_service().backup_service(added.id)
    listed = [checkpoints_service(connection, fake).list()]
    service.get()  # starting
    listed.append(checkpoints_service(connection, fake).list())
    ready = service.get()
    listed.append(checkpoints_service(connection, fake).list())
    assert ready.phase == types.BackupPhase.READY
    assert [[c.id for c in found] for found in listed] == [[], [], [ready.to_checkpoint_id]]


def test_a_checkpoint_carries_the_backups_description(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    added = backup(connection, fake, description="before upgrade")
    (checkpoint,) = checkpoints_service(connection, fake).list()
    assert (checkpoint.id, checkpoint.description) == (added.to_checkpoint_id, "before upgrade")


@both_profiles
@PATHS
def test_a_checkpoint_holds_only_the_backups_qcow2_disks(
    profile: str, legacy: bool, fake: FakeOvirt, connection: sdk.Connection
) -> None:
    added = backup(connection, fake, "vm-mixed", legacy=legacy)
    service = checkpoints_service(connection, fake, "vm-mixed")
    disks = service.checkpoint_service(added.to_checkpoint_id).disks_service().list()
    assert [d.id for d in disks] == [fake.disk("vm-mixed-disk1").id]


def test_the_first_checkpoint_is_a_root(fake: FakeOvirt, connection: sdk.Connection) -> None:
    backup(connection, fake)
    (checkpoint,) = checkpoints_service(connection, fake).list()
    assert checkpoint.parent_id is None


@both_profiles
def test_each_checkpoint_parents_on_the_previous_newest(
    profile: str, fake: FakeOvirt, connection: sdk.Connection
) -> None:
    first, second, third = chain_of_three(connection, fake)
    parents = {c.id: c.parent_id for c in checkpoints_service(connection, fake).list()}
    assert parents == {first: None, second: first, third: second}


def test_an_incremental_from_an_older_checkpoint_still_parents_on_the_newest(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    first = backup(connection, fake).to_checkpoint_id
    second = backup(connection, fake, from_checkpoint_id=first).to_checkpoint_id
    third = backup(connection, fake, from_checkpoint_id=first).to_checkpoint_id
    checkpoint = checkpoints_service(connection, fake).checkpoint_service(third).get()
    assert checkpoint.parent_id == second


def test_checkpoints_are_listed_oldest_first(fake: FakeOvirt, connection: sdk.Connection) -> None:
    ids = chain_of_three(connection, fake)
    assert [c.id for c in checkpoints_service(connection, fake).list()] == ids


def test_checkpoints_belong_to_their_vm(fake: FakeOvirt, connection: sdk.Connection) -> None:
    backup(connection, fake, "vm-up")
    assert checkpoints_service(connection, fake, "vm-down").list() == []


@both_profiles
@PATHS
def test_a_backup_that_fails_keeps_no_checkpoint(
    profile: str, legacy: bool, fake: FakeOvirt, connection: sdk.Connection
) -> None:
    fake.engine.policy = TransitionPolicy.immediate().failing_at("starting")
    failed = backup(connection, fake, finalize=False, legacy=legacy)
    assert failed.phase == types.BackupPhase.FAILED
    assert checkpoints_service(connection, fake).list() == []


@both_profiles
@PATHS
def test_a_failed_backup_leaves_the_earlier_chain_alone(
    profile: str, legacy: bool, fake: FakeOvirt, connection: sdk.Connection
) -> None:
    first = backup(connection, fake).to_checkpoint_id
    fake.engine.policy = TransitionPolicy.immediate().failing_at("finalizing")
    backup(connection, fake, legacy=legacy)
    listed = checkpoints_service(connection, fake).list()
    assert [(c.id, c.parent_id) for c in listed] == [(first, None)]


# -- reading -------------------------------------------------------------------------------------
def test_an_unknown_checkpoint_is_404(fake: FakeOvirt, connection: sdk.Connection) -> None:
    service = checkpoints_service(connection, fake).checkpoint_service("no-such-checkpoint")
    assert fault(service.get).code == 404


def test_a_checkpoint_is_not_found_under_another_vm(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    added = backup(connection, fake, "vm-up")
    service = checkpoints_service(connection, fake, "vm-down")
    assert fault(service.checkpoint_service(added.to_checkpoint_id).get).code == 404


def test_invalidated_checkpoints_show_state_invalid(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    chain_of_three(connection, fake)
    fake.engine.invalidate_checkpoints(fake.vm("vm-up").id)
    states = {c.state for c in checkpoints_service(connection, fake).list()}
    assert states == {types.CheckpointState.INVALID}


# -- removal ---------------------------------------------------------------------------------------
def test_deleting_the_middle_of_three_relinks_the_chain(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    first, second, third = chain_of_three(connection, fake)
    checkpoints_service(connection, fake).checkpoint_service(second).remove()
    listed = checkpoints_service(connection, fake).list()
    assert [(c.id, c.parent_id) for c in listed] == [(first, None), (third, first)]


def test_deleting_the_root_makes_its_child_the_root(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    first, second, third = chain_of_three(connection, fake)
    checkpoints_service(connection, fake).checkpoint_service(first).remove()
    listed = checkpoints_service(connection, fake).list()
    assert [(c.id, c.parent_id) for c in listed] == [(second, None), (third, second)]


def test_deleting_the_leaf_makes_its_parent_the_next_parent(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    first, second, third = chain_of_three(connection, fake)
    checkpoints_service(connection, fake).checkpoint_service(third).remove()
    fourth = backup(connection, fake).to_checkpoint_id
    listed = checkpoints_service(connection, fake).list()
    assert [(c.id, c.parent_id) for c in listed] == [
        (first, None),
        (second, first),
        (fourth, second),
    ]


def test_deleting_an_invalid_checkpoint_is_allowed(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    first, second, third = chain_of_three(connection, fake)
    fake.engine.invalidate_checkpoints(fake.vm("vm-up").id, second)
    checkpoints_service(connection, fake).checkpoint_service(second).remove()
    assert [c.id for c in checkpoints_service(connection, fake).list()] == [first, third]


def test_deleting_a_checkpoint_logs_10797(fake: FakeOvirt, connection: sdk.Connection) -> None:
    checkpoint = backup(connection, fake).to_checkpoint_id
    checkpoints_service(connection, fake).checkpoint_service(checkpoint).remove()
    (event,) = connection.system_service().events_service().list(search=checkpoint)
    assert event.code == 10797
    assert event.description == (
        f"Checkpoint {checkpoint} for VM vm-up deleted (User: {fake.username})."
    )


def test_deleting_during_a_backup_is_409(fake: FakeOvirt, connection: sdk.Connection) -> None:
    checkpoint = backup(connection, fake).to_checkpoint_id
    backup(connection, fake, finalize=False)
    error = fault(checkpoints_service(connection, fake).checkpoint_service(checkpoint).remove)
    assert error.code == 409
    assert error.fault.detail == (
        "[Cannot remove checkpoint. The VM is during a backup operation.]"
    )


def test_a_refused_delete_keeps_the_chain(fake: FakeOvirt, connection: sdk.Connection) -> None:
    ids = chain_of_three(connection, fake)
    backup(connection, fake, finalize=False)
    events = len(fake.engine.state.events)
    fault(checkpoints_service(connection, fake).checkpoint_service(ids[1]).remove)
    listed = checkpoints_service(connection, fake).list()
    assert [c.id for c in listed] == [*ids, listed[-1].id]  # the running backup's is newest
    assert len(fake.engine.state.events) == events


def test_deleting_is_allowed_again_once_the_backup_ended(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    first = backup(connection, fake).to_checkpoint_id
    running = backup(connection, fake, finalize=False)
    service = checkpoints_service(connection, fake).checkpoint_service(first)
    assert fault(service.remove).code == 409
    backups = vm_service(connection, fake, "vm-up").backups_service()
    backups.backup_service(running.id).finalize()
    service.remove()
    listed = checkpoints_service(connection, fake).list()
    assert [(c.id, c.parent_id) for c in listed] == [(running.to_checkpoint_id, None)]


def test_deleting_an_unknown_checkpoint_is_404(fake: FakeOvirt, connection: sdk.Connection) -> None:
    service = checkpoints_service(connection, fake).checkpoint_service("no-such-checkpoint")
    assert fault(service.remove).code == 404
