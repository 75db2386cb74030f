"""Cloning a VM from a snapshot through the real SDK: `POST /vms` with `<snapshots>`.

Sources: REST `BackendVmsResource.add:181-271, 329-360, 443-479` (the snapshot's id is
required, the cluster looked up, then the snapshot's configuration: none → 404);
`BaseBackendResource.handleError:234-246`; BLL `AddVmFromSnapshotCommand.java:171-254`,
`AddVmAndCloneImageCommand.java:92-119, 179-213, 385-439`, `AddVmCommand.java:568-849,
1026-1045, 1503-1515`; `ImagesHandler.cloneDiskImage:904-950`; AuditLogMessages.properties:14-16;
ExecutionMessages.properties:5.
"""

from __future__ import annotations

from pathlib import Path

import ovirtsdk4 as sdk
import ovirtsdk4.types as types
import pytest
from ovirt_imageio import client

from fakeovirt import DiskSpec, FakeOvirt, Scenario, TransitionPolicy, VmSpec
from tests import rawhttp, sdkflow
from tests.restoretools import refused, unchanged

MIB = 1 << 20
GUEST = Scenario(
    name="clone",
    vms=(
        VmSpec(
            "guest",
            "up",
            disks=(
                DiskSpec("guest-os", 8 * MIB, bootable=True),
                DiskSpec("guest-raw", 4 * MIB, format="raw", backup="none"),
            ),
        ),
    ),
)
TIMED = pytest.mark.fakeovirt(scenario=GUEST, policy="seconds:2")


def vms(connection: sdk.Connection) -> sdk.services.VmsService:
    return connection.system_service().vms_service()


def clone_body(snapshot_id: str | None, name: str = "cloned", cluster: str = "Default") -> types.Vm:
    """What `clone_vm_from_snapshot.py` sends."""
    return types.Vm(
        name=name,
        snapshots=[types.Snapshot(id=snapshot_id)],
        cluster=types.Cluster(name=cluster),
    )


def snapshot_at_monday(fake: FakeOvirt) -> str:
    """A snapshot holding "monday" in both disks; the guest writes "friday" afterwards."""
    fake.guest_write("guest-os", 0, b"monday")
    fake.guest_write("guest-raw", MIB, b"monday")
    snapshot = fake.snapshot("guest", "weekly")
    fake.advance(2)
    fake.guest_write("guest-os", 0, b"friday")
    fake.guest_write("guest-raw", MIB, b"friday")
    return snapshot.id


@TIMED
def test_the_clone_is_image_locked_until_its_disks_are_copied(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    snapshot_id = snapshot_at_monday(fake)
    vm = vms(connection).add(clone_body(snapshot_id))
    assert vm.status == types.VmStatus.IMAGE_LOCKED
    assert fake.journal.requests("POST /vms")[-1].status == 202
    service = vms(connection).vm_service(vm.id)
    disks = [connection.follow_link(a.disk) for a in service.disk_attachments_service().list()]
    assert sorted(d.alias for d in disks) == ["guest-os_cloned", "guest-raw_cloned"]
    assert {d.status for d in disks} == {types.DiskStatus.LOCKED}
    originals = {fake.disk("guest-os").id, fake.disk("guest-raw").id}
    assert not originals & {d.id for d in disks}  # new disks, new volumes
    source = vms(connection).vm_service(fake.vm("guest").id).snapshots_service()
    assert source.snapshot_service(snapshot_id).get().snapshot_status == types.SnapshotStatus.LOCKED

    fake.advance(2)  # the copies end on the engine's clock
    assert service.get().status == types.VmStatus.DOWN
    disks = [connection.follow_link(a.disk) for a in service.disk_attachments_service().list()]
    assert {d.status for d in disks} == {types.DiskStatus.OK}
    assert source.snapshot_service(snapshot_id).get().snapshot_status == types.SnapshotStatus.OK
    codes = [(e.code, e.description) for e in fake.events()][-2:]
    assert codes == [
        (37, "VM cloned creation was initiated by admin@internal."),
        (53, "VM cloned creation has been completed."),
    ]
    (job,) = [
        j for j in connection.system_service().jobs_service().list() if "cloned" in j.description
    ]
    assert job.description == "Creating VM cloned from Snapshot weekly in Cluster Default"
    assert job.status == types.JobStatus.FINISHED


@TIMED
def test_a_cloned_disk_holds_the_disk_as_it_was_at_the_snapshot(
    fake: FakeOvirt, connection: sdk.Connection, tmp_path: Path
) -> None:
    snapshot_id = snapshot_at_monday(fake)
    vm = vms(connection).add(clone_body(snapshot_id))
    fake.advance(2)
    source = fake.disk("guest-os")
    expected = tmp_path / "expected.raw"
    sdkflow.write_raw(
        source.volumes.volume(fake.snapshots("guest")[1].images[source.id]).guest, expected
    )
    (attachment,) = [
        a for a in vms(connection).vm_service(vm.id).disk_attachments_service().list() if a.bootable
    ]
    fake.policy = TransitionPolicy.immediate()  # the transfer's phases need no clock
    transfer = sdkflow.create_transfer(
        connection, attachment.disk.id, types.ImageTransferDirection.DOWNLOAD
    )
    downloaded = tmp_path / "clone.raw"
    try:
        client.download(transfer.transfer_url, str(downloaded), fake.ca_file, fmt="raw")
    finally:
        sdkflow.finalize_transfer(connection, transfer)
    data = downloaded.read_bytes()
    assert data[:6] == b"monday"  # not the guest's later write
    assert data == expected.read_bytes()
    assert fake.disk("guest-os").content.read(0, 6) == b"friday"  # the source keeps its own


@TIMED
def test_the_copies_take_the_base_volumes_format_and_allocation(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """The snapshot froze a cow layer over the raw disk; the copy is raw, as its ancestor."""
    snapshot_at_monday(fake)
    second = fake.snapshot("guest", "second")  # its volumes are cow layers
    fake.advance(2)
    vm = vms(connection).add(clone_body(second.id))
    fake.advance(2)
    attachments = vms(connection).vm_service(vm.id).disk_attachments_service().list()
    disks = {d.alias: d for d in (connection.follow_link(a.disk) for a in attachments)}
    raw = disks["guest-raw_cloned"]
    assert (raw.format, raw.sparse) == (types.DiskFormat.RAW, fake.disk("guest-raw").sparse)
    assert disks["guest-os_cloned"].format == types.DiskFormat.COW
    assert len(fake.volumes("guest-raw_cloned")) == 1  # collapsed
    assert fake.disk("guest-raw_cloned").content.read(MIB, 6) == b"friday"
    bootable = {a.disk.id: a.bootable for a in attachments}
    assert bootable[disks["guest-os_cloned"].id] is True


@TIMED
def test_a_snapshot_without_disks_gives_a_down_vm_at_once(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    service = vms(connection).vm_service(fake.vm("guest").id).snapshots_service()
    snapshot = service.add(
        types.Snapshot(description="config", disk_attachments=[types.DiskAttachment()])
    )
    fake.advance(2)
    vm = vms(connection).add(clone_body(snapshot.id))
    assert vm.status == types.VmStatus.DOWN
    assert fake.journal.requests("POST /vms")[-1].status == 201
    assert vms(connection).vm_service(vm.id).disk_attachments_service().list() == []
    assert fake.events()[-1].code == 34


@TIMED
@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        (clone_body("0b0b0b0b-0000-0000-0000-000000000000"), 404, "Entity not found: "),
        (clone_body(None), 400, "Snapshot [id] required for validateSnapshotExistence"),
        (
            clone_body("active"),
            409,
            "Cannot add VM. The operation is only allowed for regular snapshots.",
        ),
        (
            clone_body("weekly", name="guest"),
            409,
            "Cannot add VM. The VM name is already in use, please choose a unique name and try "
            "again.",
        ),
        (
            clone_body("weekly", name="bad name!"),
            400,
            "Can not add VM. The given name contains special characters. Only lower-case and "
            "upper-case letters, numbers, '_', '-', '.' are allowed.",
        ),
        (clone_body("weekly", cluster="nope"), 404, "Entity not found: Cluster: name=nope"),
    ],
)
def test_refusals_change_nothing(
    fake: FakeOvirt, connection: sdk.Connection, body: types.Vm, status: int, detail: str
) -> None:
    snapshot_id = snapshot_at_monday(fake)
    active = fake.snapshots("guest")[0].id
    wanted = {"weekly": snapshot_id, "active": active}
    if body.snapshots[0].id in wanted:
        body.snapshots[0].id = wanted[body.snapshots[0].id]
    with unchanged(fake):
        refusal = refused(lambda: vms(connection).add(body))
    assert (refusal.status, refusal.detail) == (status, detail)


@TIMED
def test_a_second_clone_waits_for_the_snapshot_the_first_one_copies(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    snapshot_id = snapshot_at_monday(fake)
    vms(connection).add(clone_body(snapshot_id))
    with unchanged(fake):
        refusal = refused(lambda: vms(connection).add(clone_body(snapshot_id, name="again")))
    assert (refusal.status, refusal.detail) == (
        409,
        "Cannot add VM. The VM is performing an operation on a Snapshot. "
        "Please wait for the operation to finish, and try again.",
    )
    fake.advance(2)
    assert vms(connection).add(clone_body(snapshot_id, name="again")).name == "again"


@TIMED
def test_no_clone_while_a_snapshot_of_the_vm_is_being_taken(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    snapshot_id = snapshot_at_monday(fake)
    fake.snapshot("guest", "in progress")  # locked for 2 s: it holds the VM's lock
    with unchanged(fake):
        refusal = refused(lambda: vms(connection).add(clone_body(snapshot_id)))
    assert (refusal.status, refusal.detail) == (
        409,
        "Cannot add VM. Snapshot is currently being created for VM guest.",
    )


@TIMED
def test_no_clone_during_a_backup_that_holds_the_vm(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    snapshot_id = snapshot_at_monday(fake)
    backups = sdkflow.backups_service(connection, fake.vm("guest").id)
    disks = [types.Disk(id=fake.disk("guest-os").id)]
    backups.add(types.Backup(disks=disks), query={"legacy": "true"})  # the active volume's
    with unchanged(fake):
        refusal = refused(lambda: vms(connection).add(clone_body(snapshot_id)))
    assert (refusal.status, refusal.detail) == (
        409,
        "Cannot add VM. The VM is during a backup operation.",
    )


@TIMED
def test_expect_201_created_waits_for_the_copies(fake: FakeOvirt) -> None:
    """`Expect: 201-created` blocks until the command's tasks end (`performCreate`)."""
    snapshot_id = snapshot_at_monday(fake)
    body = (
        f"<vm><name>waited</name><cluster><name>Default</name></cluster>"
        f'<snapshots><snapshot id="{snapshot_id}"/></snapshots></vm>'
    )
    headers = {**rawhttp.XML, "Expect": "201-created"}
    reply = rawhttp.call(fake, "POST", "/vms", body, headers)
    assert reply.status == 201, reply.body
    assert reply.xml().findtext("status") == "down"
    assert fake.disk("guest-os_waited").status == "ok"


@TIMED
def test_no_clone_without_room_for_the_copies(fake: FakeOvirt, connection: sdk.Connection) -> None:
    snapshot_id = snapshot_at_monday(fake)
    with fake.lock:
        domain = fake.engine.state.storage_domains[fake.disk("guest-os").storage_domain_id]
        domain.available = 4 << 30  # under the domain's 5 GiB critical threshold
    with unchanged(fake):
        refusal = refused(lambda: vms(connection).add(clone_body(snapshot_id)))
    assert (refusal.status, refusal.detail) == (
        409,
        f"Cannot add VM. Low disk space on Storage Domain {domain.name}.",
    )


@TIMED
def test_no_clone_while_a_disk_snapshot_of_the_vm_is_downloaded(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """A transfer by `<snapshot id>` holds its VM shared; the clone wants it exclusively."""
    snapshot_id = snapshot_at_monday(fake)
    image = fake.snapshots("guest")[1].images[fake.disk("guest-os").id]
    connection.system_service().image_transfers_service().add(
        types.ImageTransfer(
            snapshot=types.DiskSnapshot(id=image), direction=types.ImageTransferDirection.DOWNLOAD
        )
    )
    with unchanged(fake):
        refusal = refused(lambda: vms(connection).add(clone_body(snapshot_id)))
    assert (refusal.status, refusal.detail) == (
        409,
        "Cannot add VM. Disk guest-os is being transferred.",
    )


@TIMED
def test_removing_a_clone_by_force_unlocks_its_snapshot(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """RemoveVm with `force` over an `image_locked` clone; the clone's failure end unlocks
    the source snapshot (`AddVmFromSnapshotCommand.endWithFailure` → `unlockEntities`)."""
    snapshot_id = snapshot_at_monday(fake)
    vm = vms(connection).add(clone_body(snapshot_id))
    refusal = refused(lambda: vms(connection).vm_service(vm.id).remove())
    assert (refusal.status, refusal.detail) == (
        409,
        "Cannot remove VM: The following disks are locked: guest-os_cloned, guest-raw_cloned. "
        "Please try again in a few minutes.",
    )
    vms(connection).vm_service(vm.id).remove(force=True)
    source = vms(connection).vm_service(fake.vm("guest").id).snapshots_service()
    assert source.snapshot_service(snapshot_id).get().snapshot_status == types.SnapshotStatus.OK
    fake.advance(2)
    assert [v.name for v in vms(connection).list()] == ["guest"]
