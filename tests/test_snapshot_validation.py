"""Every refusal of snapshot create and remove: the engine's text and status, and nothing
changed (no snapshot, volume, status, event or job).

Create: the REST layer (BackendSnapshotsResource.java:65-66), the parameters' checks
(CreateSnapshotForVmParameters.java:25-31), the VM lock (CreateSnapshotForVmCommand.java:
803-819), then `validate()` (lines 250-326). Remove: the REST `get()` (BackendSnapshotResource.
java:141-145), the VM lock (RemoveSnapshotCommand.java:584-590), then `validate()` (lines
381-424, 502-544). Texts: AppErrors.properties; statuses: the keys' ErrorType in
EngineMessage.java (snapshots-disks-vms.md §2.2, §2.4).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ovirtsdk4 as sdk
import ovirtsdk4.types as types
import pytest

from fakeovirt import FakeOvirt, TransitionPolicy
from fakeovirt.core.transfers import TransferRequest
from tests import sdkflow

OPERATION_FAILED = "Operation Failed"


def snapshots_service(connection: sdk.Connection, fake: FakeOvirt, vm: str) -> Any:
    vms = connection.system_service().vms_service()
    return vms.vm_service(fake.vm(vm).id).snapshots_service()


def fingerprint(fake: FakeOvirt) -> tuple[object, ...]:
    """What a refused request must leave as it was."""
    with fake.lock:
        state = fake.engine.state
        return (
            sorted((s.id, s.vm_id, s.status, s.removing) for s in state.snapshots.values()),
            sorted((d.id, d.status, d.volumes.image_ids) for d in state.disks.values()),
            len(state.events),
            sorted(state.jobs),
        )


def refused(fake: FakeOvirt, call: Callable[[], object]) -> tuple[int, str, str]:
    """(status, reason, detail) of a refused call, which changed nothing."""
    before = fingerprint(fake)
    with pytest.raises(sdk.Error) as caught:
        call()
    assert fingerprint(fake) == before
    error = caught.value
    assert error.code is not None and error.fault is not None
    return error.code, error.fault.reason, error.fault.detail


def create(
    connection: sdk.Connection, fake: FakeOvirt, vm: str = "vm-up", **kwargs: Any
) -> Callable[[], object]:
    kwargs.setdefault("description", "mine")
    return lambda: snapshots_service(connection, fake, vm).add(types.Snapshot(**kwargs))


def remove(
    connection: sdk.Connection, fake: FakeOvirt, vm: str, snapshot_id: str
) -> Callable[[], object]:
    return lambda: snapshots_service(connection, fake, vm).snapshot_service(snapshot_id).remove()


def failed(status: int, text: str) -> tuple[int, str, str]:
    return status, OPERATION_FAILED, f"[{text}]"


def disk_ref(fake: FakeOvirt, alias: str) -> types.DiskAttachment:
    return types.DiskAttachment(disk=types.Disk(id=fake.disk(alias).id))


# -- create: before the engine's command ------------------------------------------------------
def test_a_snapshot_without_description_is_incomplete_parameters(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """CompletenessAssertor via `validateParameters(snapshot, "description")`."""
    assert refused(fake, create(connection, fake, description=None)) == (
        400,
        "Incomplete parameters",
        "Snapshot [description] required for doAdd",
    )


def test_an_empty_description_is_refused_before_the_command_runs(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """@NotEmpty VALIDATION_DISK_IMAGE_DESCRIPTION_NOT_EMPTY (AppErrors:1140)."""
    assert refused(fake, create(connection, fake, description="")) == failed(
        400, "Snapshot description cannot be empty"
    )


def test_a_description_of_more_than_4000_characters_is_refused(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    assert refused(fake, create(connection, fake, description="x" * 4001)) == failed(
        400, "Snapshot description must not exceed 4000 characters"
    )


# -- create: the engine's locks ----------------------------------------------------------------
def test_a_snapshot_being_created_holds_the_vm(fake: FakeOvirt, connection: sdk.Connection) -> None:
    fake.engine.policy = TransitionPolicy.after_seconds(10)
    create(connection, fake)()
    assert refused(fake, create(connection, fake)) == failed(
        409, "Cannot create Snapshot. Snapshot is currently being created for VM vm-up."
    )


def test_an_active_volume_backup_holds_the_vm(fake: FakeOvirt, connection: sdk.Connection) -> None:
    """StartVmBackupCommand.getExclusiveLocks: VM_IS_DURING_BACKUP."""
    disks = [types.Disk(id=d.id) for d in sdkflow.vm_disks(connection, fake.vm("vm-up").id)]
    sdkflow.backups_service(connection, fake.vm("vm-up").id).add(
        types.Backup(disks=disks), use_active=True
    )
    assert refused(fake, create(connection, fake)) == failed(
        409, "Cannot create Snapshot. The VM is during a backup operation."
    )


def test_a_snapshot_path_backup_holds_the_vm_only_while_its_snapshot_is_created(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """HybridBackup's CreateSnapshotForVm takes the VM lock (needsLocking) until its snapshot
    is done; afterwards a snapshot can be taken during the backup."""
    fake.engine.policy = TransitionPolicy.after_reads(1)
    vm_id = fake.vm("vm-up").id
    disks = [types.Disk(id=d.id) for d in sdkflow.vm_disks(connection, vm_id)]
    backups = sdkflow.backups_service(connection, vm_id)
    backup = backups.add(types.Backup(disks=disks))
    assert refused(fake, create(connection, fake)) == failed(
        409, "Cannot create Snapshot. Snapshot is currently being created for VM vm-up."
    )
    while backup.phase != types.BackupPhase.READY:
        backup = backups.backup_service(backup.id).get()
    assert create(connection, fake)().snapshot_status == types.SnapshotStatus.LOCKED


def test_a_disk_snapshot_download_holds_the_vm_shared(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """TransferDiskImageCommand.getSharedLocks: DISK_IS_BEING_TRANSFERRED on the VM."""
    snapshot = fake.snapshot("vm-up", disks=["vm-up-disk1"])
    image = next(iter(snapshot.images.values()))
    fake.engine.start_transfer(TransferRequest(None, image_id=image, direction="download"))
    assert refused(fake, create(connection, fake)) == failed(
        409, "Cannot create Snapshot. Disk vm-up-disk1 is being transferred."
    )


# -- create: validate(), in the engine's order -----------------------------------------------
def test_an_unknown_vm_is_400_from_the_command(fake: FakeOvirt, connection: sdk.Connection) -> None:
    vms = connection.system_service().vms_service()
    service = vms.vm_service("no-such-vm").snapshots_service()

    def call() -> object:
        return service.add(types.Snapshot(description="x"))

    assert refused(fake, call) == failed(400, "Cannot create Snapshot. VM is not found.")


def test_a_disk_that_does_not_exist_is_400(fake: FakeOvirt, connection: sdk.Connection) -> None:
    missing = "00000000-0000-4000-8000-00000000dead"
    attachments = [types.DiskAttachment(disk=types.Disk(id=missing))]
    assert refused(fake, create(connection, fake, disk_attachments=attachments)) == failed(
        400, f"Cannot create Snapshot. The following disk(s) ID(s) does not exist: {missing}."
    )


def test_a_shareable_disk_cannot_be_in_a_snapshot(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    with fake.lock:
        fake.disk("vm-up-disk2").shareable = True
    attachments = [disk_ref(fake, "vm-up-disk1"), disk_ref(fake, "vm-up-disk2")]
    assert refused(fake, create(connection, fake, disk_attachments=attachments)) == failed(
        400,
        "Cannot create Snapshot. Snapshot is not allowed for the following disk(s): vm-up-disk2.",
    )


def test_a_disk_of_another_vm_is_400(fake: FakeOvirt, connection: sdk.Connection) -> None:
    attachments = [disk_ref(fake, "vm-down-disk1")]
    assert refused(fake, create(connection, fake, disk_attachments=attachments)) == failed(
        400,
        "Cannot create Snapshot. The following disk(s) are not attached to the VM vm-up: "
        "vm-down-disk1.",
    )


def test_a_vm_saving_its_state_is_409(fake: FakeOvirt, connection: sdk.Connection) -> None:
    fake.engine.set_vm_status(fake.vm("vm-up").id, "saving_state")
    assert refused(fake, create(connection, fake)) == failed(
        409,
        "Cannot create Snapshot. VM is in saving/restoring state.\n"
        "-Please try again when the VM is either up or down.",
    )


@pytest.mark.parametrize(
    ("status", "shown"),
    [
        ("suspended", "Suspended"),
        ("migrating", "Migrating"),
        ("image_locked", "Image Locked"),
        ("not_responding", "Not Responding"),
        ("unknown", "Unknown"),
    ],
)
def test_a_vm_in_a_status_the_matrix_forbids_is_409(
    fake: FakeOvirt, connection: sdk.Connection, status: str, shown: str
) -> None:
    """ActionUtils.java matrix for CreateSnapshotForVm; VAR__VM_STATUS__* texts."""
    fake.engine.set_vm_status(fake.vm("vm-up").id, status)
    assert refused(fake, create(connection, fake)) == failed(
        409, f"Cannot create Snapshot because the VM is in {shown} status."
    )


def test_a_snapshot_being_removed_is_an_operation_on_a_snapshot(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """The merge holds no lock (RemoveSnapshotCommand frees it): `vmNotDuringSnapshot`."""
    snapshot = fake.snapshot("vm-up")
    fake.engine.policy = TransitionPolicy.after_seconds(10)
    fake.remove_snapshot("vm-up", snapshot.id)
    assert refused(fake, create(connection, fake)) == failed(
        409,
        "Cannot create Snapshot. The VM is performing an operation on a Snapshot. "
        "Please wait for the operation to finish, and try again.",
    )


def test_a_locked_disk_is_409(fake: FakeOvirt, connection: sdk.Connection) -> None:
    disk = fake.disk("vm-down-disk1")
    fake.engine.start_transfer(TransferRequest(disk.id, direction="download", format="raw"))
    assert refused(fake, create(connection, fake, "vm-down")) == failed(
        409,
        "Cannot create Snapshot: The following disks are locked: vm-down-disk1. "
        "Please try again in a few minutes.",
    )


def test_an_illegal_disk_is_500(fake: FakeOvirt, connection: sdk.Connection) -> None:
    """ACTION_TYPE_FAILED_DISKS_ILLEGAL has ErrorType INTERNAL_ERROR."""
    with fake.lock:
        fake.disk("vm-up-disk2").status = "illegal"
    assert refused(fake, create(connection, fake)) == failed(
        500,
        "Cannot create Snapshot. The following attached disks are in ILLEGAL status: "
        "vm-up-disk2 - please remove them and try again.",
    )


def test_an_image_id_already_in_the_disks_chain_is_409(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    disk = fake.disk("vm-up-disk1")
    attachment = types.DiskAttachment(disk=types.Disk(id=disk.id, image_id=disk.image_id))
    assert refused(fake, create(connection, fake, disk_attachments=[attachment])) == failed(
        409, f"Cannot create Snapshot. Image IDs {disk.image_id} are already used by a snapshot."
    )


# -- remove -----------------------------------------------------------------------------------
def test_removing_an_unknown_snapshot_is_404(fake: FakeOvirt, connection: sdk.Connection) -> None:
    with pytest.raises(sdk.NotFoundError):
        remove(connection, fake, "vm-up", "no-such-snapshot")()


def test_removing_under_an_unknown_vm_is_400(fake: FakeOvirt, connection: sdk.Connection) -> None:
    snapshot = fake.snapshot("vm-up")
    vms = connection.system_service().vms_service()
    call = vms.vm_service("no-such-vm").snapshots_service().snapshot_service(snapshot.id).remove
    assert refused(fake, call) == failed(400, "Cannot remove Snapshot. VM is not found.")


def test_removing_another_vms_snapshot_is_400(fake: FakeOvirt, connection: sdk.Connection) -> None:
    snapshot = fake.snapshot("vm-up")
    assert refused(fake, remove(connection, fake, "vm-down", snapshot.id)) == failed(
        400, "Cannot remove Snapshot. VM's Snapshot does not exist."
    )


def test_the_active_vm_snapshot_cannot_be_removed(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    (active,) = fake.snapshots("vm-up")
    assert refused(fake, remove(connection, fake, "vm-up", active.id)) == failed(
        409, "Cannot remove Snapshot. The operation is only allowed for regular snapshots."
    )


def test_no_snapshot_is_removed_during_any_backup(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """`isVmDuringBackup` (RemoveSnapshotCommand.java:392): hybrid backups included."""
    snapshot = fake.snapshot("vm-up")
    vm_id = fake.vm("vm-up").id
    disks = [types.Disk(id=d.id) for d in sdkflow.vm_disks(connection, vm_id)]
    sdkflow.start_backup(connection, vm_id, disks)
    assert refused(fake, remove(connection, fake, "vm-up", snapshot.id)) == failed(
        409, "Cannot remove Snapshot. The VM is during a backup operation."
    )


def test_a_snapshot_still_being_created_cannot_be_removed(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    fake.engine.policy = TransitionPolicy.after_seconds(10)
    snapshot = fake.snapshot("vm-up")
    assert refused(fake, remove(connection, fake, "vm-up", snapshot.id)) == failed(
        409, "Cannot remove Snapshot. Snapshot is currently being created for VM vm-up."
    )


def test_a_second_remove_while_merging_is_409_which_bareos_retries(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """`vmSnapshotDisksNotDuringMerge`: the snapshot's own disks are locked by its merge."""
    snapshot = fake.snapshot("vm-up")
    fake.engine.policy = TransitionPolicy.after_seconds(10)
    remove(connection, fake, "vm-up", snapshot.id)()
    assert refused(fake, remove(connection, fake, "vm-up", snapshot.id)) == failed(
        409,
        "Cannot remove Snapshot. The VM is performing an operation on a Snapshot. "
        "Please wait for the operation to finish, and try again.",
    )


def test_a_vm_neither_down_up_nor_paused_cannot_merge(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    snapshot = fake.snapshot("vm-up")
    fake.engine.set_vm_status(fake.vm("vm-up").id, "suspended")
    assert refused(fake, remove(connection, fake, "vm-up", snapshot.id)) == failed(
        409, "Cannot remove Snapshot. VM vm-up must be in status Down, Up or Paused."
    )


def test_a_locked_image_of_the_chain_is_409(fake: FakeOvirt, connection: sdk.Connection) -> None:
    """The snapshot's volume and its child (here the active one, locked by a download)."""
    snapshot = fake.snapshot("vm-down")
    disk = fake.disk("vm-down-disk1")
    fake.engine.start_transfer(TransferRequest(disk.id, direction="download", format="raw"))
    assert refused(fake, remove(connection, fake, "vm-down", snapshot.id)) == failed(
        409,
        "Cannot remove Snapshot: The following disks are locked: vm-down-disk1. "
        "Please try again in a few minutes.",
    )


def test_an_illegal_image_of_a_down_vm_is_500(fake: FakeOvirt, connection: sdk.Connection) -> None:
    snapshot = fake.snapshot("vm-down")
    with fake.lock:
        fake.disk("vm-down-disk1").status = "illegal"
    assert refused(fake, remove(connection, fake, "vm-down", snapshot.id)) == failed(
        500,
        "Cannot remove Snapshot. The following attached disks are in ILLEGAL status: "
        "vm-down-disk1 - please remove them and try again.",
    )


def test_a_running_vm_needs_the_snapshots_disks_plugged(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    snapshot = fake.snapshot("vm-up")
    with fake.lock:
        attachment = fake.vm("vm-up").attachment(fake.disk("vm-up-disk2").id)
        assert attachment is not None
        attachment.active = False
    assert refused(fake, remove(connection, fake, "vm-up", snapshot.id)) == failed(
        409,
        "Cannot remove Snapshot. The following disks are either unplugged or unattached: "
        "\n vm-up-disk2",
    )


def test_a_disk_snapshot_download_blocks_the_removal(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """The download's shared VM lock against RemoveSnapshot's exclusive one; Bareos retries
    its DELETE on 409 (BAREOS:1206-1235)."""
    snapshot = fake.snapshot("vm-up", disks=["vm-up-disk1"])
    image = next(iter(snapshot.images.values()))
    fake.engine.start_transfer(TransferRequest(None, image_id=image, direction="download"))
    assert refused(fake, remove(connection, fake, "vm-up", snapshot.id)) == failed(
        409, "Cannot remove Snapshot. Disk vm-up-disk1 is being transferred."
    )
