"""A snapshot-based backup as the Bareos plugin makes it, and a disk's snapshots as volumes."""

import ssl
import urllib.request
from typing import Any

import ovirtsdk4 as sdk
import ovirtsdk4.types as types
import pytest

from fakeovirt import DiskSpec, Scenario, VmSpec

MIB = 1024 * 1024
GUEST = Scenario(name="guest", vms=(VmSpec("guest", "up", disks=(DiskSpec("guest-os", 8 * MIB),)),))


def get_image(fakeovirt: Any, url: str) -> bytes:
    """A plain GET of the whole image, no Range header, as the Bareos plugin reads it."""
    context = ssl.create_default_context(cafile=fakeovirt.ca_file)
    with urllib.request.urlopen(url, context=context) as answer:
        assert answer.status == 200
        return answer.read()


@pytest.mark.fakeovirt(scenario=GUEST, policy="seconds:2")  # statuses move on the clock
def test_a_snapshot_backup_reads_the_disk_as_it_was(fakeovirt: Any, fakeovirt_connection: Any):
    system = fakeovirt_connection.system_service()
    vm = system.vms_service().list(search="name=guest", all_content=True)[0]
    ovf = vm.initialization.configuration.data  # kept for the restore
    system.events_service().add(
        types.Event(
            custom_id=1,
            description="Backup of virtual machine 'guest' is starting.",
            origin="my-backup-tool",
            severity=types.LogSeverity.NORMAL,
            vm=types.Vm(id=vm.id),
        )
    )
    fakeovirt.guest_write("guest-os", 0, b"before")

    snapshots = system.vms_service().vm_service(vm.id).snapshots_service()
    snapshot = snapshots.add(types.Snapshot(description="nightly", persist_memorystate=False))
    assert snapshot.snapshot_status == types.SnapshotStatus.LOCKED
    fakeovirt.advance(2)  # the engine's clock: the snapshot is made
    snapshot_service = snapshots.snapshot_service(snapshot.id)
    assert snapshot_service.get().snapshot_status == types.SnapshotStatus.OK
    fakeovirt.guest_write("guest-os", 0, b"after!")  # goes to the new active volume

    (disk,) = snapshot_service.disks_service().list()
    domain = system.storage_domains_service().storage_domain_service(disk.storage_domains[0].id)
    (volume,) = [s for s in domain.disk_snapshots_service().list() if s.disk.id == disk.id]
    assert volume.id == disk.image_id  # the snapshot's volume of that disk

    transfers = system.image_transfers_service()
    transfer = transfers.add(
        types.ImageTransfer(
            snapshot=types.DiskSnapshot(id=volume.id),
            direction=types.ImageTransferDirection.DOWNLOAD,
            format=types.DiskFormat.RAW,  # guest data; without it: the volume's qcow2 file
        )
    )
    transfer_service = transfers.image_transfer_service(transfer.id)
    while transfer.phase != types.ImageTransferPhase.TRANSFERRING:
        fakeovirt.advance(2)
        transfer = transfer_service.get()
    image = get_image(fakeovirt, transfer.transfer_url)
    assert len(image) == 8 * MIB and image[:6] == b"before"
    transfer_service.finalize()
    while transfer.phase != types.ImageTransferPhase.FINISHED_SUCCESS:
        fakeovirt.advance(2)
        transfer = transfer_service.get()

    snapshot_service.remove()  # locked while the volumes merge, then gone
    assert snapshot_service.get().snapshot_status == types.SnapshotStatus.LOCKED
    fakeovirt.advance(2)
    assert [s.description for s in snapshots.list()] == ["Active VM"]
    assert fakeovirt.disk("guest-os").content.read(0, 6) == b"after!"  # the guest lost nothing
    assert len(fakeovirt.volumes("guest-os")) == 1
    codes = [e.code for e in fakeovirt.events() if snapshot.id in e.subjects]
    assert codes == [45, 68, 342, 356]
    assert ovf.startswith("<?xml")


@pytest.mark.fakeovirt(scenario=GUEST)
def test_a_disks_snapshots_are_its_volumes(fakeovirt: Any, fakeovirt_connection: Any):
    fakeovirt.guest_write("guest-os", 0, b"monday")
    monday = fakeovirt.snapshot("guest", "monday")  # the facade: the same rules, no HTTP
    fakeovirt.guest_write("guest-os", 0, b"friday")

    base, active = fakeovirt.volumes("guest-os")
    assert base.guest.read(0, 6) == b"monday" and active.guest.read(0, 6) == b"friday"
    disk = fakeovirt.disk("guest-os")
    assert monday.images[disk.id] == base.image_id and disk.image_id == active.image_id

    service = fakeovirt_connection.system_service().disks_service().disk_service(disk.id)
    listed = service.disk_snapshots_service().list()  # snapshot volumes only
    assert [s.id for s in listed] == [base.image_id]
    chain = service.disk_snapshots_service().list(include_active=True)
    assert [(s.id, s.parent.id if s.parent else None) for s in chain] == [
        (base.image_id, None),
        (active.image_id, base.image_id),
    ]


def test_the_active_vm_snapshot_cannot_be_removed(fakeovirt: Any, fakeovirt_connection: Any):
    vm = fakeovirt.vm("vm-up")
    (active,) = fakeovirt.snapshots("vm-up")
    snapshots = fakeovirt_connection.system_service().vms_service().vm_service(vm.id)
    with pytest.raises(sdk.Error) as refused:
        snapshots.snapshots_service().snapshot_service(active.id).remove()
    assert refused.value.code == 409
    assert refused.value.fault.detail == (
        "[Cannot remove Snapshot. The operation is only allowed for regular snapshots.]"
    )
