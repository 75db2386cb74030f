"""Backups through the real ovirtsdk4 over HTTPS: both paths, consistency, finalize, time.

Phases move on the engine's policy and manual clock, never on wall time: a per-read policy
shows each phase to one read, a timed policy moves when the test advances the clock.

Tests marked `@both_profiles` run under the documented contract and the `engine` profile
(docs/fidelity.md); where the engine answers otherwise, the expectation is per profile and
the engine's source is cited there (tests/test_profiles.py has one test per divergence).
The active-volume path is asked for with `legacy=true` (`active()`), which both read.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import ovirtsdk4 as sdk
import ovirtsdk4.types as types
import pytest

from fakeovirt import FakeOvirt, TransitionPolicy

from .profiles import active, both_profiles

P = types.BackupPhase
SNAPSHOT_DESCRIPTION = "Auto-generated for Backup VM"
MAX_POLLS = 20


# -- helpers ---------------------------------------------------------------------------------
def vm_service(connection: sdk.Connection, fake: FakeOvirt, vm: str) -> sdk.services.VmService:
    return connection.system_service().vms_service().vm_service(fake.vm(vm).id)


def backups_service(
    connection: sdk.Connection, fake: FakeOvirt, vm: str
) -> sdk.services.VmBackupsService:
    return vm_service(connection, fake, vm).backups_service()


def disk_refs(fake: FakeOvirt, *aliases: str) -> list[types.Disk]:
    return [types.Disk(id=fake.disk(alias).id) for alias in aliases]


def vm_disk_refs(fake: FakeOvirt, vm: str) -> list[types.Disk]:
    return [types.Disk(id=a.disk_id) for a in fake.vm(vm).attachments]


def start(connection: sdk.Connection, fake: FakeOvirt, vm: str, **kwargs: object) -> types.Backup:
    """POST a backup of all the VM's disks; keyword arguments go to `add()`."""
    from_checkpoint_id = kwargs.pop("from_checkpoint_id", None)
    description = kwargs.pop("description", None)
    backup = types.Backup(
        disks=vm_disk_refs(fake, vm),
        from_checkpoint_id=from_checkpoint_id,
        description=description,
    )
    return backups_service(connection, fake, vm).add(backup, **kwargs)


def service_of(
    connection: sdk.Connection, fake: FakeOvirt, vm: str, backup: types.Backup
) -> sdk.services.VmBackupService:
    return backups_service(connection, fake, vm).backup_service(backup.id)


def finished_backup(connection: sdk.Connection, fake: FakeOvirt, vm: str) -> types.Backup:
    """A full backup taken to `succeeded` (the fixture's immediate policy)."""
    backup = start(connection, fake, vm)
    service = service_of(connection, fake, vm, backup)
    service.finalize()
    done = service.get()
    assert done.phase == P.SUCCEEDED
    return done


def disk_status(connection: sdk.Connection, fake: FakeOvirt, alias: str) -> types.DiskStatus:
    disks = connection.system_service().disks_service()
    return disks.disk_service(fake.disk(alias).id).get().status


def snapshots(connection: sdk.Connection, fake: FakeOvirt, vm: str) -> list[types.Snapshot]:
    return vm_service(connection, fake, vm).snapshots_service().list()


def events_of(connection: sdk.Connection, backup_id: str) -> list[types.Event]:
    return connection.system_service().events_service().list(search=backup_id)


def phases_through_finalize(
    backup: types.Backup, service: sdk.services.VmBackupService
) -> list[types.BackupPhase]:
    """Under `after_reads(1)`: the add reply, two reads, finalize, two more reads."""
    seen = [backup.phase, service.get().phase, service.get().phase]
    service.finalize()
    return [*seen, service.get().phase, service.get().phase]


def fault(call: Callable[[], object]) -> sdk.Error:
    with pytest.raises(sdk.Error) as caught:
        call()
    return caught.value


# -- the snapshot path -----------------------------------------------------------------------
@both_profiles
def test_snapshot_path_shows_every_phase_to_one_read_each(
    profile: str, fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """engine: the POST reply already says `starting` (HybridBackupCommand.java:105-134)."""
    fake.engine.policy = TransitionPolicy.after_reads(1)
    backup = start(connection, fake, "vm-up")
    service = service_of(connection, fake, "vm-up", backup)
    seen = phases_through_finalize(backup, service)
    assert (
        seen
        == {
            "documented": [P.INITIALIZING, P.STARTING, P.READY, P.FINALIZING, P.SUCCEEDED],
            "engine": [P.STARTING, P.READY, P.READY, P.FINALIZING, P.SUCCEEDED],
        }[profile]
    )


def test_reading_other_resources_does_not_move_a_per_read_backup(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    fake.engine.policy = TransitionPolicy.after_reads(1)
    backup = start(connection, fake, "vm-up")
    for _ in range(3):
        disk_status(connection, fake, "vm-up-disk1")
        events_of(connection, backup.id)
    assert service_of(connection, fake, "vm-up", backup).get().phase == P.STARTING


@both_profiles
def test_snapshot_path_is_the_default(
    profile: str, fake: FakeOvirt, connection: sdk.Connection
) -> None:
    backup = start(connection, fake, "vm-up")
    assert backup.snapshot is not None
    assert disk_status(connection, fake, "vm-up-disk1") == types.DiskStatus.OK


def test_snapshot_path_lists_its_snapshot_under_the_vm(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    backup = start(connection, fake, "vm-up")
    listed = {s.id: s.description for s in snapshots(connection, fake, "vm-up")}
    assert listed[backup.snapshot.id] == SNAPSHOT_DESCRIPTION


def test_backup_snapshot_is_an_id_of_the_auto_generated_snapshot(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """The engine writes `<snapshot id=".."/>` without href ("restapi: revert snapshot
    link", oVirt/ovirt-engine 27a8d1c3f67): the client looks it up under the VM."""
    backup = start(connection, fake, "vm-up")
    assert backup.snapshot.href is None
    service = vm_service(connection, fake, "vm-up").snapshots_service()
    snapshot = service.snapshot_service(backup.snapshot.id).get()
    assert (snapshot.id, snapshot.description) == (backup.snapshot.id, SNAPSHOT_DESCRIPTION)
    assert snapshot.snapshot_type == types.SnapshotType.REGULAR


def test_snapshot_goes_after_finalize(fake: FakeOvirt, connection: sdk.Connection) -> None:
    done = finished_backup(connection, fake, "vm-up")
    assert done.snapshot is None
    kinds = [s.snapshot_type for s in snapshots(connection, fake, "vm-up")]
    assert kinds == [types.SnapshotType.ACTIVE]


@both_profiles
def test_snapshot_path_works_on_a_down_vm(
    profile: str, fake: FakeOvirt, connection: sdk.Connection
) -> None:
    fake.engine.policy = TransitionPolicy.after_reads(1)
    backup = start(connection, fake, "vm-down")
    service = service_of(connection, fake, "vm-down", backup)
    seen = [backup.phase, service.get().phase, service.get().phase]
    assert (
        seen
        == {
            "documented": [P.INITIALIZING, P.STARTING, P.READY],
            "engine": [P.STARTING, P.READY, P.READY],
        }[profile]
    )
    assert service.get().snapshot.id == backup.snapshot.id


def test_to_checkpoint_id_appears_when_the_backup_is_ready(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    fake.engine.policy = TransitionPolicy.after_reads(1)
    backup = start(connection, fake, "vm-up")
    service = service_of(connection, fake, "vm-up", backup)
    starting = service.get()
    ready = service.get()
    assert (backup.to_checkpoint_id, starting.to_checkpoint_id) == (None, None)
    assert ready.phase == P.READY and ready.to_checkpoint_id is not None


@both_profiles
def test_backup_document_carries_what_clients_read(
    profile: str, fake: FakeOvirt, connection: sdk.Connection
) -> None:
    backup = start(connection, fake, "vm-up", description="nightly")
    vm_id = fake.vm("vm-up").id
    assert backup.vm.id == vm_id
    assert backup.description == "nightly"
    assert backup.creation_date is not None
    assert backup.modification_date is not None
    assert backup.from_checkpoint_id is None
    assert backup.host is None  # the engine's snapshot-based backup has no host


def test_a_snapshot_backup_with_its_links_followed_is_a_valid_document(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """The fixture is strict: a document outside schemas/api.xsd would be a 500."""
    added = start(connection, fake, "vm-up", description="all links")
    backup = service_of(connection, fake, "vm-up", added).get(follow="disks,vm")
    assert backup.snapshot.id == added.snapshot.id
    assert backup.vm.name == "vm-up"
    assert sorted(d.alias for d in backup.disks) == ["vm-up-disk1", "vm-up-disk2"]


@both_profiles
def test_a_live_backup_with_its_host_followed_is_a_valid_document(
    profile: str, fake: FakeOvirt, connection: sdk.Connection
) -> None:
    added = start(connection, fake, "vm-up", **active())
    backup = service_of(connection, fake, "vm-up", added).get(follow="host")
    assert backup.host.name == "host-1"


# -- incremental backups and backup_mode -----------------------------------------------------
def backup_modes(
    connection: sdk.Connection, fake: FakeOvirt, vm: str, backup: types.Backup
) -> dict[str, types.DiskBackupMode]:
    disks = service_of(connection, fake, vm, backup).disks_service().list()
    return {d.alias: d.backup_mode for d in disks}


def test_full_backup_reports_full_for_every_disk(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    backup = start(connection, fake, "vm-mixed")
    assert backup_modes(connection, fake, "vm-mixed", backup) == {
        "vm-mixed-disk1": types.DiskBackupMode.FULL,
        "vm-mixed-raw": types.DiskBackupMode.FULL,
    }


@both_profiles
def test_incremental_backup_is_incremental_for_qcow2_and_full_for_raw(
    profile: str, fake: FakeOvirt, connection: sdk.Connection
) -> None:
    full = finished_backup(connection, fake, "vm-mixed")
    incremental = start(connection, fake, "vm-mixed", from_checkpoint_id=full.to_checkpoint_id)
    assert incremental.from_checkpoint_id == full.to_checkpoint_id
    assert backup_modes(connection, fake, "vm-mixed", incremental) == {
        "vm-mixed-disk1": types.DiskBackupMode.INCREMENTAL,
        "vm-mixed-raw": types.DiskBackupMode.FULL,
    }


@both_profiles
def test_incremental_backup_is_full_for_a_disk_not_in_the_checkpoint(
    profile: str, fake: FakeOvirt, connection: sdk.Connection
) -> None:
    service = backups_service(connection, fake, "vm-up")
    first = service.add(types.Backup(disks=disk_refs(fake, "vm-up-disk1")))
    service.backup_service(first.id).finalize()
    incremental = service.add(
        types.Backup(
            disks=disk_refs(fake, "vm-up-disk1", "vm-up-disk2"),
            from_checkpoint_id=first.to_checkpoint_id,
        )
    )
    assert backup_modes(connection, fake, "vm-up", incremental) == {
        "vm-up-disk1": types.DiskBackupMode.INCREMENTAL,
        "vm-up-disk2": types.DiskBackupMode.FULL,
    }


def test_backup_disks_list_only_the_requested_disks(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    service = backups_service(connection, fake, "vm-up")
    backup = service.add(types.Backup(disks=disk_refs(fake, "vm-up-disk2")))
    disks = service.backup_service(backup.id).disks_service().list()
    assert [d.alias for d in disks] == ["vm-up-disk2"]


# -- the active-volume path ------------------------------------------------------------------
@both_profiles
def test_live_backup_shows_initializing_starting_ready(
    profile: str, fake: FakeOvirt, connection: sdk.Connection
) -> None:
    fake.engine.policy = TransitionPolicy.after_reads(1)
    backup = start(connection, fake, "vm-up", **active())
    service = service_of(connection, fake, "vm-up", backup)
    seen = phases_through_finalize(backup, service)
    assert seen == [P.INITIALIZING, P.STARTING, P.READY, P.FINALIZING, P.SUCCEEDED]


@both_profiles
def test_live_backup_takes_no_snapshot_and_names_its_host(
    profile: str, fake: FakeOvirt, connection: sdk.Connection
) -> None:
    backup = start(connection, fake, "vm-up", **active())
    assert backup.snapshot is None
    assert backup.host is not None and backup.host.id == fake.vm("vm-up").host_id
    assert [s.snapshot_type for s in snapshots(connection, fake, "vm-up")] == [
        types.SnapshotType.ACTIVE
    ]


@both_profiles
def test_live_backup_locks_its_disks_while_it_runs(
    profile: str, fake: FakeOvirt, connection: sdk.Connection
) -> None:
    fake.engine.policy = TransitionPolicy.after_reads(1)
    backup = start(connection, fake, "vm-up", **active())
    service = service_of(connection, fake, "vm-up", backup)
    statuses = [disk_status(connection, fake, "vm-up-disk1")]
    while service.get().phase != P.READY:
        statuses.append(disk_status(connection, fake, "vm-up-disk1"))
    statuses.append(disk_status(connection, fake, "vm-up-disk1"))
    service.finalize()
    statuses.append(disk_status(connection, fake, "vm-up-disk1"))
    assert set(statuses) == {types.DiskStatus.LOCKED}


@both_profiles
def test_live_backup_unlocks_its_disks_when_it_succeeds(
    profile: str, fake: FakeOvirt, connection: sdk.Connection
) -> None:
    finished = start(connection, fake, "vm-up", **active())
    service = service_of(connection, fake, "vm-up", finished)
    service.finalize()
    assert service.get().phase == P.SUCCEEDED
    assert disk_status(connection, fake, "vm-up-disk1") == types.DiskStatus.OK
    assert disk_status(connection, fake, "vm-up-disk2") == types.DiskStatus.OK


@both_profiles
def test_cold_backup_goes_from_initializing_straight_to_ready(
    profile: str, fake: FakeOvirt, connection: sdk.Connection
) -> None:
    fake.engine.policy = TransitionPolicy.after_reads(1)
    backup = start(connection, fake, "vm-down", **active())
    service = service_of(connection, fake, "vm-down", backup)
    seen = [backup.phase, service.get().phase]
    service.finalize()
    seen += [service.get().phase, service.get().phase]
    assert seen == [P.INITIALIZING, P.READY, P.FINALIZING, P.SUCCEEDED]


@both_profiles
def test_cold_backup_locks_its_disk_until_it_ends(
    profile: str, fake: FakeOvirt, connection: sdk.Connection
) -> None:
    backup = start(connection, fake, "vm-down", **active())
    locked = disk_status(connection, fake, "vm-down-disk1")
    service_of(connection, fake, "vm-down", backup).finalize()
    assert (locked, disk_status(connection, fake, "vm-down-disk1")) == (
        types.DiskStatus.LOCKED,
        types.DiskStatus.OK,
    )


@both_profiles
def test_legacy_flag_takes_the_active_path(
    profile: str, fake: FakeOvirt, connection: sdk.Connection
) -> None:
    backup = start(connection, fake, "vm-up", query={"legacy": "true"})
    assert backup.snapshot is None
    assert disk_status(connection, fake, "vm-up-disk1") == types.DiskStatus.LOCKED


# -- require_consistency ---------------------------------------------------------------------
def test_required_consistency_fails_a_backup_whose_guest_cannot_freeze(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    fake.engine.policy = TransitionPolicy.after_reads(1)
    backup = start(connection, fake, "vm-nofreeze", require_consistency=True)
    service = service_of(connection, fake, "vm-nofreeze", backup)
    seen = [backup.phase, service.get().phase]
    assert seen == [P.INITIALIZING, P.FAILED]


def test_a_backup_failed_on_consistency_keeps_no_checkpoint_and_logs_10792(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    backup = start(connection, fake, "vm-nofreeze", require_consistency=True)
    failed = service_of(connection, fake, "vm-nofreeze", backup).get()
    checkpoints = vm_service(connection, fake, "vm-nofreeze").checkpoints_service().list()
    assert (failed.phase, failed.to_checkpoint_id, checkpoints) == (P.FAILED, None, [])
    assert events_of(connection, backup.id)[0].code == 10792


def test_a_backup_failed_on_consistency_adds_nothing_to_the_chain(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    first = finished_backup(connection, fake, "vm-nofreeze")
    failed = start(
        connection,
        fake,
        "vm-nofreeze",
        require_consistency=True,
        from_checkpoint_id=first.to_checkpoint_id,
    )
    checkpoints = vm_service(connection, fake, "vm-nofreeze").checkpoints_service().list()
    assert failed.phase == P.FAILED
    assert [(c.id, c.parent_id) for c in checkpoints] == [(first.to_checkpoint_id, None)]


def test_a_backup_failed_on_consistency_removes_its_snapshot(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    backup = start(connection, fake, "vm-nofreeze", require_consistency=True)
    assert backup.phase == P.FAILED
    kinds = [s.snapshot_type for s in snapshots(connection, fake, "vm-nofreeze")]
    assert kinds == [types.SnapshotType.ACTIVE]


@both_profiles
def test_unrequired_consistency_succeeds_with_the_freeze_warning(
    profile: str, fake: FakeOvirt, connection: sdk.Connection
) -> None:
    finished_backup(connection, fake, "vm-nofreeze")
    # engine: the warning does not name the backup, so search it by its type
    warnings = connection.system_service().events_service().list(search="type=10764")
    assert len(warnings) == 1
    assert warnings[0].severity == types.LogSeverity.WARNING
    assert "vm-nofreeze" in warnings[0].description


def test_a_guest_that_freezes_gives_no_warning(fake: FakeOvirt, connection: sdk.Connection) -> None:
    done = finished_backup(connection, fake, "vm-up")
    assert 10764 not in [e.code for e in events_of(connection, done.id)]


@both_profiles
def test_required_consistency_fails_a_live_backup_out_of_starting(
    profile: str, fake: FakeOvirt, connection: sdk.Connection
) -> None:
    fake.engine.policy = TransitionPolicy.after_reads(1)
    backup = start(connection, fake, "vm-nofreeze", require_consistency=True, **active())
    service = service_of(connection, fake, "vm-nofreeze", backup)
    seen = [backup.phase] + [service.get().phase for _ in range(3)]
    assert seen == [P.INITIALIZING, P.STARTING, P.FINALIZING, P.FAILED]
    assert disk_status(connection, fake, "vm-nofreeze-disk1") == types.DiskStatus.OK


@both_profiles
def test_a_down_vm_needs_no_freeze(
    profile: str, fake: FakeOvirt, connection: sdk.Connection
) -> None:
    fake.engine.set_freeze_fails(fake.vm("vm-down").id, True)
    backup = start(connection, fake, "vm-down", require_consistency=True)
    assert backup.phase == P.READY


# -- one backup at a time, and finalize ------------------------------------------------------
DURING_BACKUP = "[Cannot backup VM. The VM is during a backup operation.]"
DISK_IS_LOCKED = "[Cannot backup VM: Disk is locked. Please try again later.]"


@both_profiles
def test_a_second_backup_while_one_runs_is_409(
    profile: str, fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """engine: the running hybrid backup's disk locks answer first (HybridBackupCommand.java:
    209-218; CommandBase.java:819-825), with their message."""
    start(connection, fake, "vm-up")
    error = fault(lambda: start(connection, fake, "vm-up"))
    assert error.code == 409
    assert error.fault.detail == {"documented": DURING_BACKUP, "engine": DISK_IS_LOCKED}[profile]


@both_profiles
def test_a_second_backup_of_disks_an_active_path_backup_locked_is_409(
    profile: str, fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """documented: the locked-disk row comes before the unfinished-backup row (behaviour.md
    section 3); engine: the running legacy backup's VM lock answers (StartVmBackupCommand.java:
    740-748)."""
    start(connection, fake, "vm-up", **active())
    error = fault(lambda: start(connection, fake, "vm-up", **active()))
    assert error.code == 409
    assert (
        error.fault.detail
        == {
            "documented": "[Cannot backup VM: The following disks are locked: vm-up-disk1, "
            "vm-up-disk2. Please try again in a few minutes.]",
            "engine": DURING_BACKUP,
        }[profile]
    )


@both_profiles
def test_a_backup_of_other_disks_during_an_active_path_backup_is_409(
    profile: str, fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """engine: the new (hybrid) backup would lock every disk of the VM, one of which the
    running legacy backup holds."""
    service = backups_service(connection, fake, "vm-up")
    service.add(types.Backup(disks=disk_refs(fake, "vm-up-disk1")), **active())
    error = fault(lambda: service.add(types.Backup(disks=disk_refs(fake, "vm-up-disk2"))))
    assert error.code == 409
    assert error.fault.detail == {"documented": DURING_BACKUP, "engine": DISK_IS_LOCKED}[profile]


@both_profiles
def test_a_new_backup_may_start_once_the_previous_succeeded(
    profile: str, fake: FakeOvirt, connection: sdk.Connection
) -> None:
    finished_backup(connection, fake, "vm-up")
    assert start(connection, fake, "vm-up").phase == P.READY


@both_profiles
def test_finalize_of_a_finished_backup_is_400(
    profile: str, fake: FakeOvirt, connection: sdk.Connection
) -> None:
    done = finished_backup(connection, fake, "vm-up")
    error = fault(service_of(connection, fake, "vm-up", done).finalize)
    vm_id = fake.vm("vm-up").id
    assert error.code == 400
    assert error.fault.detail == (
        f"[vm '{vm_id}' backup '{done.id}' is already in 'succeeded' phase,"
        " no need to stop the backup again]"
    )


def test_finalize_of_a_finished_backup_leaves_it_unchanged(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    done = finished_backup(connection, fake, "vm-up")
    service = service_of(connection, fake, "vm-up", done)
    count = len(fake.engine.state.events)
    fault(service.finalize)
    after = service.get()
    assert (after.phase, after.modification_date, after.to_checkpoint_id) == (
        done.phase,
        done.modification_date,
        done.to_checkpoint_id,
    )
    assert len(fake.engine.state.events) == count


@both_profiles
def test_finalize_of_a_finalizing_backup_is_400(
    profile: str, fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """engine: the text names the engine's phase, REMOVING_SNAPSHOT, lower-cased by its
    translator (StopVmBackupCommand.java:84-86, ErrorTranslatorImpl.java:147-148)."""
    fake.engine.policy = TransitionPolicy.immediate().holding("finalizing")
    backup = start(connection, fake, "vm-up")
    service = service_of(connection, fake, "vm-up", backup)
    service.finalize()
    error = fault(service.finalize)
    said = {"documented": "finalizing", "engine": "removing snapshot"}[profile]
    assert error.code == 400
    assert error.fault.detail == (
        f"[vm '{fake.vm('vm-up').id}' backup '{backup.id}' is already in '{said}' phase,"
        " no need to stop the backup again]"
    )
    assert service.get().phase == P.FINALIZING


def test_finalize_of_an_unknown_backup_is_404(fake: FakeOvirt, connection: sdk.Connection) -> None:
    service = backups_service(connection, fake, "vm-up").backup_service("no-such-backup")
    assert fault(service.finalize).code == 404


@both_profiles
def test_finalize_while_a_download_of_the_backup_runs_is_409(
    profile: str, fake: FakeOvirt, connection: sdk.Connection
) -> None:
    backup = start(connection, fake, "vm-up")
    connection.system_service().image_transfers_service().add(
        types.ImageTransfer(
            disk=types.Disk(id=fake.disk("vm-up-disk1").id),
            backup=types.Backup(id=backup.id),
            direction=types.ImageTransferDirection.DOWNLOAD,
            format=types.DiskFormat.RAW,
        )
    )
    service = service_of(connection, fake, "vm-up", backup)
    error = fault(service.finalize)
    assert error.code == 409
    assert error.fault.detail == (
        "[Cannot stop VM backup. There is an active image transfer for VM backup]"
    )
    assert service.get().phase == P.READY


@both_profiles
def test_premature_finalize_on_the_snapshot_path_finalizes_once_ready(
    profile: str, fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """Both: 200 and the engine's is_stopped (StopVmBackupCommand.java:95-97,
    HybridBackupCommand.java:166-171); the engine's backup is already `starting`."""
    fake.engine.policy = TransitionPolicy.after_reads(1)
    backup = start(connection, fake, "vm-up")
    service = service_of(connection, fake, "vm-up", backup)
    service.finalize()
    seen = [service.get().phase for _ in range(3)]
    assert (
        seen
        == {
            "documented": [P.STARTING, P.FINALIZING, P.SUCCEEDED],
            "engine": [P.FINALIZING, P.SUCCEEDED, P.SUCCEEDED],
        }[profile]
    )
    assert service.get().to_checkpoint_id is not None


@both_profiles
def test_a_second_premature_finalize_on_the_snapshot_path_is_400(
    profile: str, fake: FakeOvirt, connection: sdk.Connection
) -> None:
    fake.engine.policy = TransitionPolicy.after_reads(1)
    backup = start(connection, fake, "vm-up")
    service = service_of(connection, fake, "vm-up", backup)
    service.finalize()
    error = fault(service.finalize)
    vm_id = fake.vm("vm-up").id
    assert error.code == 400
    assert error.fault.detail == (
        f"[vm '{vm_id}' backup '{backup.id}' is already stopped, no need to stop the backup again]"
    )


def test_premature_finalize_on_the_active_path_fails_the_backup_via_finalizing(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """The documented contract answers 200; the engine's 400 is in tests/test_profiles.py."""
    fake.engine.policy = TransitionPolicy.after_reads(1)
    backup = start(connection, fake, "vm-up", **active())
    service = service_of(connection, fake, "vm-up", backup)
    service.finalize()
    seen = [service.get().phase, service.get().phase]
    assert seen == [P.FINALIZING, P.FAILED]
    assert disk_status(connection, fake, "vm-up-disk1") == types.DiskStatus.OK


@both_profiles
def test_finalize_logs_stopped_then_succeeded_on_the_snapshot_path(
    profile: str, fake: FakeOvirt, connection: sdk.Connection
) -> None:
    done = finished_backup(connection, fake, "vm-up")
    codes = [e.code for e in events_of(connection, done.id)]
    assert codes[:2] == [10793, 10796]


@both_profiles
def test_finalize_logs_finalized_then_succeeded_on_the_active_path(
    profile: str, fake: FakeOvirt, connection: sdk.Connection
) -> None:
    backup = start(connection, fake, "vm-up", **active())
    service_of(connection, fake, "vm-up", backup).finalize()
    codes = [e.code for e in events_of(connection, backup.id)]
    assert codes == [10793, 10794, 10790]


# -- the backups list ------------------------------------------------------------------------
def three_finished_backups(connection: sdk.Connection, fake: FakeOvirt) -> list[str]:
    return [finished_backup(connection, fake, "vm-up").id for _ in range(3)]


def test_backups_list_holds_finished_backups_oldest_first(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    ids = three_finished_backups(connection, fake)
    listed = backups_service(connection, fake, "vm-up").list()
    assert [b.id for b in listed] == ids


def test_max_caps_the_backups_list(fake: FakeOvirt, connection: sdk.Connection) -> None:
    ids = three_finished_backups(connection, fake)
    listed = backups_service(connection, fake, "vm-up").list(max=2)
    assert [b.id for b in listed] == ids[:2]


def test_max_minus_one_on_the_backups_list_means_no_limit(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """`BackendResource.getBackendCollection`: -1 is `NO_LIMIT` on a plain list."""
    start(connection, fake, "vm-up")
    assert len(backups_service(connection, fake, "vm-up").list(max=-1)) == 1


def test_another_negative_max_on_the_backups_list_fails_as_the_engines_sublist(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """`results.subList(0, -2)` throws; the engine answers 500 with the exception's text."""
    error = fault(lambda: backups_service(connection, fake, "vm-up").list(max=-2))
    assert error.code == 500
    assert error.fault.detail == "fromIndex(0) > toIndex(-2)"


def test_follow_disks_inlines_the_backup_disks(fake: FakeOvirt, connection: sdk.Connection) -> None:
    start(connection, fake, "vm-mixed")
    (backup,) = backups_service(connection, fake, "vm-mixed").list(follow="disks")
    modes = {d.alias: d.backup_mode for d in backup.disks}
    assert modes == {
        "vm-mixed-disk1": types.DiskBackupMode.FULL,
        "vm-mixed-raw": types.DiskBackupMode.FULL,
    }


def test_backups_of_another_vm_are_not_listed(fake: FakeOvirt, connection: sdk.Connection) -> None:
    start(connection, fake, "vm-up")
    assert backups_service(connection, fake, "vm-down").list() == []


def test_a_backup_is_not_found_under_another_vm(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    backup = start(connection, fake, "vm-up")
    service = backups_service(connection, fake, "vm-down").backup_service(backup.id)
    assert fault(service.get).code == 404


# -- events ----------------------------------------------------------------------------------
def test_events_searched_by_backup_id_are_its_events_newest_first(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    done = finished_backup(connection, fake, "vm-up")
    finished_backup(connection, fake, "vm-up")  # another backup's events must not match
    events = events_of(connection, done.id)
    assert [e.code for e in events] == [10793, 10796, 68, 10790, 45]
    assert [e.index for e in events] == sorted((e.index for e in events), reverse=True)


def test_backup_events_name_the_logged_in_user(fake: FakeOvirt, connection: sdk.Connection) -> None:
    backup = start(connection, fake, "vm-up")
    started = next(e for e in events_of(connection, backup.id) if e.code == 10790)
    assert started.description == (
        f"Backup {backup.id} for VM vm-up started (User: {fake.username})."
    )


# -- the SDK example flow (examples/backup_vm.py, without sleeps) -----------------------------
@dataclass
class ExampleRun:
    phases: list[types.BackupPhase] = field(default_factory=list)
    backup_disks: list[str] = field(default_factory=list)
    to_checkpoint_id: str | None = None


def run_backup_example(
    connection: sdk.Connection, vm_id: str, between_polls: Callable[[], None]
) -> ExampleRun:
    """start_backup / download_backup's disk list / stop_backup, as backup_vm.py does them."""
    run = ExampleRun()
    system = connection.system_service()
    vm = system.vms_service().vm_service(vm_id)
    attachments = vm.disk_attachments_service().list()
    disks = [system.disks_service().disk_service(a.disk.id).get() for a in attachments]
    backups = vm.backups_service()
    backup = backups.add(types.Backup(disks=disks))
    backup_service = backups.backup_service(backup.id)
    run.phases.append(backup.phase)
    for _ in range(MAX_POLLS):
        if backup.phase == P.READY:
            break
        between_polls()
        backup = backup_service.get()
        assert backup.phase != P.FAILED
        run.phases.append(backup.phase)
    run.to_checkpoint_id = backup.to_checkpoint_id
    run.backup_disks = sorted(d.id for d in backup_service.disks_service().list())
    backup_service.finalize()
    backup = backup_service.get()
    run.phases.append(backup.phase)
    for _ in range(MAX_POLLS):
        if backup.phase == P.SUCCEEDED:
            break
        between_polls()
        backup = backup_service.get()
        assert backup.phase != P.FAILED
        run.phases.append(backup.phase)
    return run


EXAMPLE_PHASES = {  # engine: the POST reply already says starting (HybridBackupCommand.java:130)
    "documented": [P.INITIALIZING, P.STARTING, P.READY, P.FINALIZING, P.SUCCEEDED],
    "engine": [P.STARTING, P.READY, P.FINALIZING, P.SUCCEEDED],
}


@both_profiles
def test_sdk_example_flow_under_a_per_read_policy(
    profile: str, fake: FakeOvirt, connection: sdk.Connection
) -> None:
    fake.engine.policy = TransitionPolicy.after_reads(1)
    run = run_backup_example(connection, fake.vm("vm-up").id, lambda: None)
    assert run.phases == EXAMPLE_PHASES[profile]
    assert run.backup_disks == sorted(d.id for d in vm_disk_refs(fake, "vm-up"))
    assert run.to_checkpoint_id is not None


@both_profiles
def test_sdk_example_flow_on_a_timed_policy(
    profile: str, fake: FakeOvirt, connection: sdk.Connection
) -> None:
    fake.engine.policy = TransitionPolicy.after_seconds(1)
    run = run_backup_example(connection, fake.vm("vm-up").id, lambda: fake.advance(1))
    assert run.phases == EXAMPLE_PHASES[profile]
    assert run.backup_disks == sorted(d.id for d in vm_disk_refs(fake, "vm-up"))


def test_a_timed_backup_does_not_move_without_engine_time(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    fake.engine.policy = TransitionPolicy.after_seconds(1)
    backup = start(connection, fake, "vm-up")
    service = service_of(connection, fake, "vm-up", backup)
    assert [service.get().phase for _ in range(3)] == [P.INITIALIZING] * 3


# -- time: cleanup, holds and injected failures ----------------------------------------------
def test_a_succeeded_backup_is_kept_for_15_minutes(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    done = finished_backup(connection, fake, "vm-up")
    fake.advance(15 * 60 - 1)
    assert service_of(connection, fake, "vm-up", done).get().phase == P.SUCCEEDED


def test_a_succeeded_backup_is_gone_after_15_minutes(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    done = finished_backup(connection, fake, "vm-up")
    fake.advance(15 * 60)
    assert fault(service_of(connection, fake, "vm-up", done).get).code == 404
    assert backups_service(connection, fake, "vm-up").list() == []


def test_a_failed_backup_is_kept_for_30_minutes(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    backup = start(connection, fake, "vm-nofreeze", require_consistency=True)
    fake.advance(30 * 60 - 1)
    assert service_of(connection, fake, "vm-nofreeze", backup).get().phase == P.FAILED


def test_a_failed_backup_is_gone_after_30_minutes(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    backup = start(connection, fake, "vm-nofreeze", require_consistency=True)
    fake.advance(30 * 60)
    assert fault(service_of(connection, fake, "vm-nofreeze", backup).get).code == 404


def test_an_unfinished_backup_is_never_cleaned_up(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    backup = start(connection, fake, "vm-up")
    fake.advance(24 * 3600)
    assert service_of(connection, fake, "vm-up", backup).get().phase == P.READY


def test_a_held_phase_waits_for_release(fake: FakeOvirt, connection: sdk.Connection) -> None:
    fake.engine.policy = TransitionPolicy.after_reads(1).holding("starting")
    backup = start(connection, fake, "vm-up")
    service = service_of(connection, fake, "vm-up", backup)
    held = [service.get().phase for _ in range(4)]
    fake.engine.release(backup.id)
    assert held == [P.STARTING] * 4
    assert service.get().phase == P.READY


def test_failing_at_finalizing_ends_the_backup_failed(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    fake.engine.policy = TransitionPolicy.after_reads(1).failing_at("finalizing")
    backup = start(connection, fake, "vm-up")
    service = service_of(connection, fake, "vm-up", backup)
    seen = phases_through_finalize(backup, service)
    assert seen == [P.INITIALIZING, P.STARTING, P.READY, P.FINALIZING, P.FAILED]


def test_failing_at_finalizing_drops_the_checkpoint_made_at_ready(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    fake.engine.policy = TransitionPolicy.immediate().failing_at("finalizing")
    backup = start(connection, fake, "vm-up")
    service = service_of(connection, fake, "vm-up", backup)
    service.finalize()
    failed = service.get()
    checkpoints = vm_service(connection, fake, "vm-up").checkpoints_service().list()
    assert backup.to_checkpoint_id is not None
    assert (failed.phase, failed.to_checkpoint_id, checkpoints) == (P.FAILED, None, [])


# -- the documentation's example ---------------------------------------------------------------
def test_the_example_in_docs_backups_md_runs(fake: FakeOvirt, connection: sdk.Connection) -> None:
    page = (Path(__file__).resolve().parent.parent / "docs" / "backups.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", page, flags=re.DOTALL)
    assert len(blocks) == 1
    exec(compile(blocks[0], "docs/backups.md", "exec"), {"fake": fake, "connection": connection})


def test_premature_finalize_on_the_active_path_logs_failed_to_finalize(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    fake.engine.policy = TransitionPolicy.after_reads(1)
    backup = start(connection, fake, "vm-up", **active())
    service = service_of(connection, fake, "vm-up", backup)
    service.finalize()
    service.get()
    service.get()
    codes = [e.code for e in events_of(connection, backup.id)]
    assert codes == [10792, 10795, 10790]


def test_the_disk_itself_reports_the_backup_mode_of_its_backup(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """As the engine stores it: `GET /disks/{id}` shows the mode while the backup runs."""
    full = finished_backup(connection, fake, "vm-mixed")
    start(connection, fake, "vm-mixed", from_checkpoint_id=full.to_checkpoint_id)
    disks = connection.system_service().disks_service()
    modes = {
        alias: disks.disk_service(fake.disk(alias).id).get().backup_mode
        for alias in ("vm-mixed-disk1", "vm-mixed-raw")
    }
    assert modes == {
        "vm-mixed-disk1": types.DiskBackupMode.INCREMENTAL,
        "vm-mixed-raw": types.DiskBackupMode.FULL,
    }
