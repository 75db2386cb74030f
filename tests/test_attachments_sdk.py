"""A VM's disk attachments through the real SDK: attach, add a new disk, plug and unplug,
extend, detach and remove, with the engine's rules.

Sources: REST `BackendDiskAttachmentsResource.java:53-153`, `BackendDiskAttachmentResource.
java:58-128`; BLL `storage/disk/AttachDiskToVmCommand.java:100-216`, `DetachDiskFromVmCommand.
java:61-146`, `HotPlugDiskToVmCommand.java:76-223`, `UpdateDiskCommand.java:237-476`,
`AddDiskCommand.java:561-563, 837-856` (plugging a new disk); `vm_checkpoints_sp.sql`
(`DeleteAllCheckpointsByDiskId`).
"""

from __future__ import annotations

import ovirtsdk4 as sdk
import ovirtsdk4.types as types
import pytest

from fakeovirt import FakeOvirt, TransitionPolicy
from fakeovirt.core.content import BLOCK_SIZE
from tests import sdkflow
from tests.restoretools import refused, unchanged

GiB = 1 << 30


def attachments(connection: sdk.Connection, vm_id: str) -> sdk.services.DiskAttachmentsService:
    vms = connection.system_service().vms_service()
    return vms.vm_service(vm_id).disk_attachments_service()


def floating(connection: sdk.Connection, name: str = "spare") -> types.Disk:
    disks = connection.system_service().disks_service()
    return disks.add(
        types.Disk(
            name=name,
            format=types.DiskFormat.COW,
            provisioned_size=GiB,
            storage_domains=[types.StorageDomain(name="data")],
        )
    )


def new_attachment(**members: object) -> types.DiskAttachment:
    values: dict[str, object] = {
        "disk": types.Disk(
            name="mydisk",
            format=types.DiskFormat.COW,
            provisioned_size=10 * GiB,
            storage_domains=[types.StorageDomain(name="data")],
        ),
        "interface": types.DiskInterface.VIRTIO,
        "bootable": False,
        "active": True,
    }
    values.update(members)
    return types.DiskAttachment(**values)  # type: ignore[arg-type]


def test_attach_a_floating_disk(fake: FakeOvirt, connection: sdk.Connection) -> None:
    disk = floating(connection)
    vm = fake.vm("vm-down")
    attachment = attachments(connection, vm.id).add(
        types.DiskAttachment(
            disk=types.Disk(id=disk.id), interface=types.DiskInterface.VIRTIO_SCSI, active=True
        )
    )
    assert attachment.id == disk.id and attachment.active is True
    assert attachment.interface == types.DiskInterface.VIRTIO_SCSI
    assert fake.journal.requests("POST /vms/*/diskattachments")[-1].status == 201
    assert fake.events()[-1].description == (
        "Disk spare was successfully attached to VM vm-down by admin@internal."
    )


def test_attach_without_active_leaves_the_disk_unplugged(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """`isDiskActive = false` unless `<active>` is set (REST line 98-102)."""
    disk = floating(connection)
    attachment = attachments(connection, fake.vm("vm-up").id).add(
        types.DiskAttachment(disk=types.Disk(id=disk.id), interface=types.DiskInterface.VIRTIO)
    )
    assert attachment.active is False


@pytest.mark.parametrize(
    ("case", "status", "detail"),
    [
        ("unknown", 400, "Cannot attach Virtual Disk. The specified disk does not exist."),
        ("attached", 409, "Cannot attach Virtual Disk. The disk is already attached to VM."),
        (
            "elsewhere",
            409,
            "Cannot attach Virtual Disk. The disk is not shareable and is already attached to "
            "a VM.",
        ),
        (
            "boot",
            409,
            "Cannot attach Virtual Disk. Disk vm-up-disk1 in VM vm-up is already marked as boot.",
        ),
        (
            "ide",
            400,
            "Cannot attach spare to vm-up. Hot plugging a disk to an IDE interface is not "
            "supported.",
        ),
    ],
)
def test_attach_refusals(
    fake: FakeOvirt, connection: sdk.Connection, case: str, status: int, detail: str
) -> None:
    spare = floating(connection)
    vm = fake.vm("vm-up")
    disk_id = {
        "unknown": "00000000-1111-4222-8333-444444444444",
        "attached": fake.disk("vm-up-disk1").id,
        "elsewhere": fake.disk("vm-down-disk1").id,
    }.get(case, spare.id)
    interface = types.DiskInterface.IDE if case == "ide" else types.DiskInterface.VIRTIO
    wanted = types.DiskAttachment(
        disk=types.Disk(id=disk_id), interface=interface, bootable=case == "boot", active=True
    )
    with unchanged(fake):
        refusal = refused(lambda: attachments(connection, vm.id).add(wanted))
    assert (refusal.status, refusal.detail) == (status, detail)


@pytest.mark.fakeovirt(policy="reads:1")
def test_a_new_disk_of_a_running_vm_is_plugged_once_created(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """add_vm_disk.py: on an Up VM the device is created unplugged and hot plugged when the
    disk is ready (`shouldDiskBePlugged`, `plugDiskToVmIfNeeded`); 202 meanwhile."""
    vm = fake.vm("vm-up")
    attachment = attachments(connection, vm.id).add(new_attachment())
    assert attachment.active is False
    assert fake.journal.requests("POST /vms/*/diskattachments")[-1].status == 202
    disk_service = connection.system_service().disks_service().disk_service(attachment.disk.id)
    assert disk_service.get().status == types.DiskStatus.OK
    got = attachments(connection, vm.id).attachment_service(attachment.id).get()
    assert got.active is True
    codes = [e.code for e in fake.events()][-2:]
    assert codes == [78, 97]


def test_a_new_disk_of_a_down_vm_is_plugged_at_once(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    attachment = attachments(connection, fake.vm("vm-down").id).add(new_attachment())
    assert attachment.active is True


def test_a_floating_disk_cannot_be_created_active(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """A new disk of an unknown VM is refused before anything else: VM_NOT_FOUND."""
    with unchanged(fake):
        refusal = refused(lambda: attachments(connection, "no-such-vm").add(new_attachment()))
    assert (refusal.status, refusal.detail) == (400, "Cannot add Virtual Disk. VM is not found.")


def test_a_new_disk_needs_its_size_and_format(fake: FakeOvirt, connection: sdk.Connection) -> None:
    """`validateParameters(disk, 4, "provisionedSize|size", "format")`; the method named is
    the reflective caller of `add` (derived: `invoke`)."""
    wanted = new_attachment(
        disk=types.Disk(name="x", storage_domains=[types.StorageDomain(name="data")])
    )
    with unchanged(fake):
        refusal = refused(lambda: attachments(connection, fake.vm("vm-up").id).add(wanted))
    assert (refusal.status, refusal.reason) == (400, "Incomplete parameters")
    assert refusal.detail == "Disk [provisionedSize|size, format] required for invoke"


def test_deactivate_then_activate(fake: FakeOvirt, connection: sdk.Connection) -> None:
    """deactivate_disk_attachment.py: HotUnPlug (event 2002), then UpdateDisk (event 88)."""
    vm = fake.vm("vm-up")
    disk = fake.disk("vm-up-disk2")
    service = attachments(connection, vm.id).attachment_service(disk.id)
    assert service.update(types.DiskAttachment(active=False)).active is False
    assert [e.code for e in fake.events()][-2:] == [2002, 88]
    assert fake.events()[-2].description == (
        "VM vm-up disk vm-up-disk2 was unplugged by admin@internal."
    )
    service.update(types.DiskAttachment(active=True))
    assert service.get().active is True
    assert [e.code for e in fake.events()][-2:] == [2000, 88]


def test_an_ide_disk_of_a_running_vm_cannot_be_unplugged(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    vm = fake.vm("vm-down")
    attachment = attachments(connection, vm.id).add(
        new_attachment(interface=types.DiskInterface.IDE)
    )
    fake.engine.set_vm_status(vm.id, "up")
    service = attachments(connection, vm.id).attachment_service(attachment.id)
    with unchanged(fake):
        refusal = refused(lambda: service.update(types.DiskAttachment(active=False)))
    assert refusal.status == 400
    assert refusal.detail == (
        "Cannot hot unplug mydisk to vm-down. Hot plugging a disk to an IDE interface is not "
        "supported."
    )


@pytest.mark.fakeovirt(policy="reads:1")
def test_extend_grows_the_disk_once_the_update_ends(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """extend_disk.py: UpdateDisk locks the image, ExtendImageSize grows it (event 371)."""
    vm = fake.vm("vm-up")
    disk = fake.disk("vm-up-disk1")
    old = disk.provisioned_size
    fake.guest_write(disk.id, old - 4, b"tail")
    service = attachments(connection, vm.id).attachment_service(disk.id)
    service.update(types.DiskAttachment(disk=types.Disk(provisioned_size=old + GiB)))
    disk_service = connection.system_service().disks_service().disk_service(disk.id)
    assert disk_service.get().status == types.DiskStatus.LOCKED  # shown to one read
    got = disk_service.get()
    assert (got.status, got.provisioned_size) == (types.DiskStatus.OK, old + GiB)
    assert disk.content.read(old - 4, 4) == b"tail"
    assert disk.content.read(old, BLOCK_SIZE) == bytes(BLOCK_SIZE)
    assert fake.events()[-1].description == (
        f"Size of the disk 'vm-up-disk1' was successfully updated to {(old + GiB) // GiB} GB "
        "by admin@internal."
    )


def test_a_smaller_size_is_refused(fake: FakeOvirt, connection: sdk.Connection) -> None:
    disk = fake.disk("vm-up-disk1")
    service = attachments(connection, fake.vm("vm-up").id).attachment_service(disk.id)
    smaller = types.DiskAttachment(disk=types.Disk(provisioned_size=disk.provisioned_size // 2))
    with unchanged(fake):
        refusal = refused(lambda: service.update(smaller))
    assert (refusal.status, refusal.detail) == (
        400,
        "Cannot edit Virtual Disk. New disk size must be larger than the current disk size.",
    )


def test_a_disk_being_updated_is_locked(fake: FakeOvirt, connection: sdk.Connection) -> None:
    """UpdateDisk holds its DISK lock for the whole command (Scope.Command)."""
    fake.policy = TransitionPolicy.after_seconds(30)
    disk = fake.disk("vm-up-disk1")
    service = attachments(connection, fake.vm("vm-up").id).attachment_service(disk.id)
    service.update(
        types.DiskAttachment(disk=types.Disk(provisioned_size=disk.provisioned_size + GiB))
    )
    with unchanged(fake):
        refusal = refused(lambda: service.update(types.DiskAttachment(bootable=False)))
    assert refusal.status == 409
    assert refusal.detail == (
        "Cannot edit Virtual Disk: The following disks are locked: ${diskAliases}. "
        "Please try again in a few minutes."
    )
    fake.advance(30)
    assert fake.disk("vm-up-disk1").status == "ok"


def test_bootable_cannot_change_while_the_vm_runs(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    disk = fake.disk("vm-up-disk2")
    service = attachments(connection, fake.vm("vm-up").id).attachment_service(disk.id)
    with unchanged(fake):
        refusal = refused(lambda: service.update(types.DiskAttachment(bootable=True)))
    assert (refusal.status, refusal.detail) == (
        409,
        "Cannot edit Virtual Disk. At least one of the VMs is not down.",
    )


def test_detach_keeps_the_disk_and_drops_it_from_checkpoints(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """DetachDiskFromVm: `removeAllCheckpointsByDiskId` and the checkpoints left without
    disks go (`DeleteAllCheckpointsByDiskId`); the disk stays, floating."""
    vm = fake.vm("vm-down")
    disk = fake.disk("vm-down-disk1")
    backup = sdkflow.start_backup(connection, vm.id, [types.Disk(id=disk.id)], use_active=True)
    sdkflow.finalize_backup(connection, backup)
    assert fake.engine.checkpoints(vm.id)
    attachments(connection, vm.id).attachment_service(disk.id).remove()
    assert fake.vm("vm-down").attachments == []
    assert disk.id in fake.engine.state.disks
    assert fake.engine.checkpoints(vm.id) == []
    assert fake.events()[-1].code == 2018


def test_detach_only_false_removes_the_disk(fake: FakeOvirt, connection: sdk.Connection) -> None:
    vm = fake.vm("vm-down")
    disk = fake.disk("vm-down-disk1")
    attachments(connection, vm.id).attachment_service(disk.id).remove(
        query={"detach_only": "false"}
    )
    assert disk.id not in fake.engine.state.disks


def test_detaching_an_unknown_disk_names_the_vm_as_the_engine_does(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """`failValidation(..., getVmName())`: the VM's name is a second, untranslated message,
    and `${VmName}` stays unset."""
    vm = fake.vm("vm-up")
    with unchanged(fake):
        refusal = refused(
            lambda: attachments(connection, vm.id).attachment_service("nope").remove()
        )
    assert refusal.status == 400
    assert refusal.detail == (
        "Cannot detach Virtual Disk. The specified disk is not attached to the VM ${VmName}., vm-up"
    )


def test_a_disk_with_a_snapshot_cannot_be_detached(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    vm = fake.vm("vm-down")
    disk = fake.disk("vm-down-disk1")
    with fake.lock:
        disk.volumes.create_snapshot("77777777-7777-4777-8777-777777777777")
    with unchanged(fake):
        refusal = refused(
            lambda: attachments(connection, vm.id).attachment_service(disk.id).remove()
        )
    assert (refusal.status, refusal.detail) == (
        409,
        "Cannot detach Virtual Disk. The disk is already configured in a snapshot. In order to "
        "detach it, remove the disk's snapshots.",
    )


def test_unplug_during_a_legacy_backup_meets_its_vm_lock(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """A `use_active` backup holds the VM exclusively (VM_IS_DURING_BACKUP); HotUnPlug asks
    for a shared VM lock: the holder's message with the requester's words."""
    vm = fake.vm("vm-up")
    disk = fake.disk("vm-up-disk2")
    sdkflow.start_backup(connection, vm.id, [types.Disk(id=disk.id)], use_active=True)
    service = attachments(connection, vm.id).attachment_service(fake.disk("vm-up-disk1").id)
    with unchanged(fake):
        refusal = refused(lambda: service.update(types.DiskAttachment(active=False)))
    assert (refusal.status, refusal.detail) == (
        409,
        "Cannot hot unplug Virtual Disk. The VM is during a backup operation.",
    )


def test_unplug_during_a_hybrid_backup_meets_its_disk_lock(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """A snapshot-path backup locks every image disk of the VM (DISK_IS_LOCKED), no VM lock."""
    vm = fake.vm("vm-up")
    sdkflow.start_backup(connection, vm.id, [types.Disk(id=fake.disk("vm-up-disk1").id)])
    service = attachments(connection, vm.id).attachment_service(fake.disk("vm-up-disk2").id)
    with unchanged(fake):
        refusal = refused(lambda: service.update(types.DiskAttachment(active=False)))
    assert (refusal.status, refusal.detail) == (
        409,
        "Cannot hot unplug Virtual Disk: Disk is locked. Please try again later.",
    )
