"""A restore as a backup tool makes it: new disks, uploads, a VM from the saved OVF."""

import ssl
import urllib.request
from typing import Any

import ovirtsdk4 as sdk
import ovirtsdk4.types as types
import pytest

from fakeovirt import DiskSpec, Scenario, VmSpec

MIB = 1024 * 1024
OS_DISK = DiskSpec("web-os", 8 * MIB, bootable=True)
WEB = Scenario(name="web", vms=(VmSpec("web", "down", disks=(OS_DISK,), nics=("nic1",)),))


def put_image(fakeovirt: Any, url: str, data: bytes) -> None:
    """One PUT of the whole image, as the Bareos plugin restores a disk."""
    context = ssl.create_default_context(cafile=fakeovirt.ca_file)
    request = urllib.request.Request(url, data=data, method="PUT")
    with urllib.request.urlopen(request, context=context) as answer:
        assert answer.status == 200


@pytest.mark.fakeovirt(scenario=WEB, policy="seconds:2")  # statuses move on the clock
def test_disaster_recovery_brings_back_the_vm_and_its_disk(
    fakeovirt: Any, fakeovirt_connection: Any
):
    system = fakeovirt_connection.system_service()
    vms, disks = system.vms_service(), system.disks_service()
    # what a backup kept: the OVF, the disk's guest bytes, its id, size and domain
    fakeovirt.guest_write("web-os", 0, b"boot sector")
    vm = vms.list(search="name=web", all_content=True)[0]
    ovf = vm.initialization.configuration.data
    old = disks.disk_service(fakeovirt.disk("web-os").id).get()
    saved = fakeovirt.disk("web-os").content.read(0, old.provisioned_size)
    mac = vms.vm_service(vm.id).nics_service().list()[0].mac.address

    vms.vm_service(vm.id).remove()  # the disaster: the VM and its disks are gone
    fakeovirt.advance(2)
    assert disks.list(search="name=web-os") == []

    disk = disks.add(  # the same id, so that the OVF's import finds it
        types.Disk(
            id=old.id,
            name=old.alias,
            format=types.DiskFormat.COW,
            sparse=True,
            backup=types.DiskBackup.INCREMENTAL,
            provisioned_size=old.provisioned_size,
            storage_domains=[types.StorageDomain(id=old.storage_domains[0].id)],
        )
    )
    assert disk.status == types.DiskStatus.LOCKED
    fakeovirt.advance(2)
    assert disks.disk_service(disk.id).get().status == types.DiskStatus.OK

    transfers = system.image_transfers_service()
    transfer = transfers.add(
        types.ImageTransfer(
            disk=types.Disk(id=disk.id),
            direction=types.ImageTransferDirection.UPLOAD,
            format=types.DiskFormat.RAW,  # guest bytes; without it a cow disk takes a qcow2 file
        )
    )
    transfer_service = transfers.image_transfer_service(transfer.id)
    while transfer.phase != types.ImageTransferPhase.TRANSFERRING:
        fakeovirt.advance(2)
        transfer = transfer_service.get()
    put_image(fakeovirt, transfer.transfer_url, saved)
    transfer_service.finalize()
    while transfer.phase != types.ImageTransferPhase.FINISHED_SUCCESS:
        fakeovirt.advance(2)
        transfer = transfer_service.get()
    assert fakeovirt.disk(disk.id).content.read(0, len(saved)) == saved

    restored = vms.add(
        types.Vm(
            cluster=types.Cluster(name="Default"),
            initialization=types.Initialization(
                configuration=types.Configuration(type=types.ConfigurationType.OVF, data=ovf)
            ),
        )
    )
    assert (restored.id, restored.name, restored.status) == (vm.id, "web", types.VmStatus.DOWN)
    (attachment,) = vms.vm_service(restored.id).disk_attachments_service().list()
    assert (attachment.id, attachment.bootable, attachment.active) == (disk.id, True, True)
    assert vms.vm_service(restored.id).nics_service().list()[0].mac.address == mac
    assert fakeovirt.events()[-1].code == 174  # imported, every disk attached

    service = vms.vm_service(restored.id)
    service.start()
    seen = [service.get().status]
    while seen[-1] != types.VmStatus.UP:
        fakeovirt.advance(2)
        seen.append(service.get().status)
    assert seen == [types.VmStatus.WAIT_FOR_LAUNCH, types.VmStatus.POWERING_UP, types.VmStatus.UP]


def test_a_refused_disk_gets_the_engines_text_and_changes_nothing(fakeovirt_connection: Any):
    disks = fakeovirt_connection.system_service().disks_service()
    before = len(disks.list())
    with pytest.raises(sdk.Error) as refused:
        disks.add(
            types.Disk(
                name="thick",
                format=types.DiskFormat.COW,
                sparse=False,  # qcow2, preallocated, without incremental backup
                provisioned_size=MIB,
                storage_domains=[types.StorageDomain(name="data")],
            )
        )
    assert refused.value.code == 409
    assert refused.value.fault.detail == (
        "[Cannot add Virtual Disk. Disk configuration (COW Preallocated backup-None) is "
        "incompatible with the storage domain type.]"
    )
    assert len(disks.list()) == before
