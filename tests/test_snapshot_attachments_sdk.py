"""The backup-appliance flow through the real SDK: a VM's disks attached, as one of its
snapshots holds them, to another ("agent") VM, read back, detached, the snapshot removed.

Sources (oVirt/ovirt-engine 4.5.7): REST `BackendDiskAttachmentsResource.java:87-114` (the
`disk.snapshot.id` of the body), `DiskAttachmentMapper.java:44-66` (what is read back: the
disk's id, no snapshot); BLL `AttachDiskToVmCommand.java:89-119, 166-172, 250-264`,
`DiskHandler.loadDiskFromSnapshot:43-46`, `DetachDiskFromVmCommand.java:61-146`,
`RemoveSnapshotCommand.java:380-404`, `RemoveVmCommand.java:313`,
`VmValidator.vmNotHavingDeviceSnapshotsAttachedToOtherVms:158-168`,
`DiskImagesValidator.diskImagesSnapshotsNotAttachedToOtherVms:136-159`,
`SnapshotsValidator.java:115-162`; texts from `AppErrors.properties` (120, 159, 624, 693,
694), statuses from `EngineMessage.java`.
"""

from __future__ import annotations

import ovirtsdk4 as sdk
import ovirtsdk4.types as types

from fakeovirt import FakeOvirt, TransferRequest, TransitionPolicy
from tests import sdkflow
from tests.restoretools import Refusal, refused, unchanged

DISK_NOT_EXIST = "Cannot attach Virtual Disk. The specified disk does not exist."
ALREADY_ATTACHED = "Cannot attach Virtual Disk. The disk is already attached to VM."


def vm_service(connection: sdk.Connection, vm_id: str) -> sdk.services.VmService:
    return connection.system_service().vms_service().vm_service(vm_id)


def snapshot_attachment(disk_id: str, snapshot_id: str) -> types.DiskAttachment:
    """The body `vm_backup.py` sends (its lines 182-194)."""
    return types.DiskAttachment(
        disk=types.Disk(id=disk_id, snapshot=types.Snapshot(id=snapshot_id)),
        active=True,
        bootable=False,
        interface=types.DiskInterface.VIRTIO,
    )


def refused_attaching(
    fake: FakeOvirt, connection: sdk.Connection, agent: str, disk_id: str, snapshot_id: str
) -> Refusal:
    """The refusal of attaching `disk_id` as `snapshot_id` holds it to the VM `agent`, which
    must change nothing."""
    service = vm_service(connection, fake.vm(agent).id).disk_attachments_service()
    with unchanged(fake):
        return refused(lambda: service.add(snapshot_attachment(disk_id, snapshot_id)))


def attached_elsewhere(what: str, *lines: str) -> str:
    """ACTION_TYPE_FAILED_VM_DISK_SNAPSHOT_IS_ATTACHED_TO_ANOTHER_VM, with `$disksInfo`."""
    return (
        f"Cannot {what}. The following VM's disks snapshots are attached to other VMs "
        "(Disk Alias/Snapshot Description/VM attached to):\n\n "
        + "\n".join(lines)
        + " \n\nPlease detach them from those VMs and try again."
    )


def test_the_appliance_flow_attaches_each_snapshot_disk_then_detaches_and_removes(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    data, agent = fake.vm("vm-up"), fake.vm("vm-down")
    generation = agent.generation
    snaps = vm_service(connection, data.id).snapshots_service()
    snap = snaps.add(types.Snapshot(description="nightly", persist_memorystate=False))
    snap_service = snaps.snapshot_service(snap.id)
    assert snap_service.get().snapshot_status == types.SnapshotStatus.OK
    snap_disks = snap_service.disks_service().list()
    assert sorted(d.alias for d in snap_disks) == ["vm-up-disk1", "vm-up-disk2"]

    agent_attachments = vm_service(connection, agent.id).disk_attachments_service()
    made = [agent_attachments.add(snapshot_attachment(d.id, snap.id)) for d in snap_disks]
    for attachment, disk in zip(made, snap_disks, strict=True):
        # DiskAttachmentMapper: the id and the disk are the disk's own; no snapshot link
        assert (attachment.id, attachment.disk.id) == (disk.id, disk.id)
        assert attachment.disk.snapshot is None
        assert attachment.active and not attachment.bootable
        assert attachment.interface == types.DiskInterface.VIRTIO
        assert attachment.vm.id == agent.id
    listed = agent_attachments.list()
    assert [a.id for a in listed] == [fake.disk("vm-down-disk1").id] + [d.id for d in snap_disks]
    got = agent_attachments.attachment_service(snap_disks[0].id).get()
    assert got.disk.id == snap_disks[0].id
    # the data VM keeps its disks; the agent's generation is not bumped (lines 262-264)
    assert [a.disk_id for a in fake.vm("vm-up").attachments] == [d.id for d in snap_disks]
    assert fake.vm("vm-down").generation == generation
    assert [e.code for e in fake.events()[-2:]] == [2016, 2016]

    removal = refused(snap_service.remove)  # RemoveSnapshotCommand.java:403
    assert removal.status == 409
    assert removal.detail == attached_elsewhere(
        "remove Snapshot", "vm-up-disk1 ,nightly, vm-down", "vm-up-disk2 ,nightly, vm-down"
    )

    for attachment in made:
        agent_attachments.attachment_service(attachment.id).remove()
    assert [a.id for a in agent_attachments.list()] == [fake.disk("vm-down-disk1").id]
    assert fake.vm("vm-down").generation == generation + 2  # detach bumps it (line 138)
    snap_service.remove()
    assert [s.type for s in fake.snapshots("vm-up")] == ["active"]


def test_a_snapshot_disk_attached_to_a_running_agent_is_plugged(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    fake.snapshot("vm-down", "cold")
    snapshot = fake.snapshots("vm-down")[1]
    disk = fake.disk("vm-down-disk1")
    agent = fake.vm("vm-up")
    service = vm_service(connection, agent.id).disk_attachments_service()
    attachment = service.add(snapshot_attachment(disk.id, snapshot.id))
    assert attachment.active
    (found,) = fake.vm("vm-up").snapshot_attachments
    assert (found.disk_id, found.snapshot_id, found.active) == (disk.id, snapshot.id, True)


def test_an_unknown_snapshot_leaves_no_disk(fake: FakeOvirt, connection: sdk.Connection) -> None:
    """`loadDiskFromSnapshot` finds no volume, so `isDiskExists` fails first (lines 101-104)."""
    disk = fake.disk("vm-up-disk1")
    unknown = "11111111-2222-3333-4444-555555555555"
    refusal = refused_attaching(fake, connection, "vm-down", disk.id, unknown)
    assert (refusal.status, refusal.detail) == (400, DISK_NOT_EXIST)


def test_a_disk_the_snapshot_does_not_hold_does_not_exist(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    first, second = fake.disk("vm-up-disk1"), fake.disk("vm-up-disk2")
    snapshot = fake.snapshot("vm-up", "only the first", disks=[first.id])
    refusal = refused_attaching(fake, connection, "vm-down", second.id, snapshot.id)
    assert (refusal.status, refusal.detail) == (400, DISK_NOT_EXIST)


def test_the_active_vm_snapshot_is_not_a_regular_snapshot(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """The "Active VM" snapshot finds the active volume, then `isRegularSnapshot` refuses."""
    (active,) = fake.snapshots("vm-up")
    disk = fake.disk("vm-up-disk1")
    refusal = refused_attaching(fake, connection, "vm-down", disk.id, active.id)
    assert (refusal.status, refusal.detail) == (
        409,
        "Cannot attach Virtual Disk. The operation is only allowed for regular snapshots.",
    )


def test_a_snapshot_still_being_taken_is_refused_with_its_status(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """`isSnapshotStatusOK`: `$SnapshotStatus` is the engine's enum name (lines 156-162)."""
    fake.engine.policy = TransitionPolicy.after_seconds(10)
    snapshot = fake.snapshot("vm-up", "slow")
    assert snapshot.status == "locked"
    disk = fake.disk("vm-up-disk1")
    refusal = refused_attaching(fake, connection, "vm-down", disk.id, snapshot.id)
    assert (refusal.status, refusal.detail) == (
        409,
        "Cannot attach Virtual Disk. The snapshot is in LOCKED status.",
    )


def test_the_same_disk_cannot_be_attached_twice_to_one_vm(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """The device id is the disk's id (`vmDeviceDao.exists`, line 166), whatever snapshot."""
    disk = fake.disk("vm-up-disk1")
    first = fake.snapshot("vm-up", "first")
    second = fake.snapshot("vm-up", "second")
    service = vm_service(connection, fake.vm("vm-down").id).disk_attachments_service()
    service.add(snapshot_attachment(disk.id, first.id))
    with unchanged(fake):
        refusal = refused(lambda: service.add(snapshot_attachment(disk.id, second.id)))
    assert (refusal.status, refusal.detail) == (409, ALREADY_ATTACHED)


def test_a_vm_cannot_take_a_snapshot_of_its_own_disk(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    disk = fake.disk("vm-up-disk1")
    snapshot = fake.snapshot("vm-up", "mine")
    refusal = refused_attaching(fake, connection, "vm-up", disk.id, snapshot.id)
    assert (refusal.status, refusal.detail) == (409, ALREADY_ATTACHED)


def test_two_agents_may_attach_the_same_disk_snapshot(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """The "not shareable and attached" check is skipped for a disk snapshot (line 170)."""
    disk = fake.disk("vm-up-disk1")
    snapshot = fake.snapshot("vm-up", "shared")
    for agent in ("vm-down", "vm-mixed"):
        service = vm_service(connection, fake.vm(agent).id).disk_attachments_service()
        service.add(snapshot_attachment(disk.id, snapshot.id))
    assert [a.snapshot_id for a in fake.vm("vm-mixed").snapshot_attachments] == [snapshot.id]


def test_no_snapshot_of_the_vm_can_be_removed_while_one_is_attached(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """The check covers every snapshot of every disk of the data VM, not the one removed."""
    disk = fake.disk("vm-up-disk1")
    older = fake.snapshot("vm-up", "older")
    attached = fake.snapshot("vm-up", "attached")
    agent = fake.vm("vm-down")
    service = vm_service(connection, agent.id).disk_attachments_service()
    service.add(snapshot_attachment(disk.id, attached.id))
    snaps = vm_service(connection, fake.vm("vm-up").id).snapshots_service()
    with unchanged(fake):
        refusal = refused(snaps.snapshot_service(older.id).remove)
    assert refusal.status == 409
    assert refusal.detail == attached_elsewhere("remove Snapshot", "vm-up-disk1 ,attached, vm-down")


def test_the_vm_cannot_be_removed_with_its_disks_while_a_snapshot_is_attached(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """RemoveVmCommand.java:313: only when its disks go too."""
    disk = fake.disk("vm-down-disk1")
    snapshot = fake.snapshot("vm-down", "cold")
    service = vm_service(connection, fake.vm("vm-up").id).disk_attachments_service()
    service.add(snapshot_attachment(disk.id, snapshot.id))
    data = vm_service(connection, fake.vm("vm-down").id)
    with unchanged(fake):
        refusal = refused(data.remove)
    assert refusal.status == 409
    assert refusal.detail == attached_elsewhere("remove VM", "vm-down-disk1 ,cold, vm-up")


def test_detaching_a_disk_snapshot_drops_the_disk_from_its_vms_checkpoints(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """DetachDiskFromVmCommand.java:136-137 runs for a disk snapshot too:
    `removeAllCheckpointsByDiskId(disk id)` ends the disk's chain on the data VM."""
    data = fake.vm("vm-down")
    disk = fake.disk("vm-down-disk1")
    backup = sdkflow.start_backup(connection, data.id, [types.Disk(id=disk.id)], use_active=True)
    sdkflow.finalize_backup(connection, backup)
    assert fake.engine.checkpoints(data.id)
    snapshot = fake.snapshot("vm-down", "cold")
    service = vm_service(connection, fake.vm("vm-up").id).disk_attachments_service()
    service.add(snapshot_attachment(disk.id, snapshot.id))
    assert fake.engine.checkpoints(data.id)  # attaching keeps them
    service.attachment_service(disk.id).remove()
    assert fake.engine.checkpoints(data.id) == []
    assert [a.disk_id for a in fake.vm("vm-down").attachments] == [disk.id]


def test_changing_an_attached_disk_snapshot_is_not_modelled(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    disk = fake.disk("vm-up-disk1")
    snapshot = fake.snapshot("vm-up", "nightly")
    service = vm_service(connection, fake.vm("vm-down").id).disk_attachments_service()
    service.add(snapshot_attachment(disk.id, snapshot.id))
    with unchanged(fake):
        refusal = refused(
            lambda: service.attachment_service(disk.id).update(types.DiskAttachment(active=False))
        )
    assert refusal.status == 400 and refusal.reason == "Not modelled"


def test_a_disk_whose_snapshot_is_being_transferred_is_held_by_the_transfer(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """AttachDiskToVm takes the disk's exclusive lock (lines 319-329) before `validate()`:
    the transfer of the snapshot's volume holds it, so its message comes first."""
    disk = fake.disk("vm-down-disk1")
    snapshot = fake.snapshot("vm-down", "cold")
    image_id = snapshot.images[disk.id]
    fake.start_transfer(TransferRequest(None, direction="download", image_id=image_id))
    refusal = refused_attaching(fake, connection, "vm-up", disk.id, snapshot.id)
    assert (refusal.status, refusal.detail) == (
        409,
        "Cannot attach Virtual Disk. Disk vm-down-disk1 is being transferred.",
    )


def test_removing_the_data_disk_takes_its_snapshot_off_the_agent(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """RemoveDisk is not traced for this case (docs/fidelity.md F42); fakeovirt removes the
    disk's every device, so no attachment is left naming a disk that is gone."""
    disk = fake.disk("vm-down-disk1")
    snapshot = fake.snapshot("vm-down", "cold")
    agent = fake.vm("vm-up")
    service = vm_service(connection, agent.id).disk_attachments_service()
    service.add(snapshot_attachment(disk.id, snapshot.id))
    connection.system_service().disks_service().disk_service(disk.id).remove()
    assert disk.id not in fake.engine.state.disks
    assert fake.vm("vm-up").snapshot_attachments == []
    assert disk.id not in [a.id for a in service.list()]
