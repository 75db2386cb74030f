"""The restore round trip a backup tool makes, with the real SDK and imageio client.

Backup (as Bareos' plugin does it, `BareosFdPluginOvirt.py`): read the VM's configuration
(`all_content=true`), a full backup of every disk, guest writes, an incremental backup
downloaded onto the full one. Restore: new disks of the original size and format, the
restored images uploaded into them, a VM created from the saved OVF, the disks attached.
The restored disks hold exactly the guest bytes of the incremental backup's time (the guest
keeps writing afterwards), and the new VM's configuration is the saved one.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import replace
from pathlib import Path

import ovirtsdk4 as sdk
import ovirtsdk4.types as types
import pytest
from ovirt_imageio import client

from fakeovirt import FakeOvirt
from fakeovirt.core.ovf import OvfVm, read_vm
from tests import sdkflow
from tests.qemutools import require_qemu

MiB = 1 << 20
WRITES = [(0, b"new boot sector"), (3 * MiB + 5, b"\x5a" * 200_000), (900 * MiB, b"tail")]
LATER = [(0, b"after the backup"), (10 * MiB, b"also after")]


class Backup:
    """What a backup tool keeps: the OVF and, per disk, the downloaded chain's top."""

    def __init__(self, ovf: str, images: dict[str, Path], expected: dict[str, Path]) -> None:
        self.ovf = ovf
        self.images = images  # disk id -> the incremental image (backed by the full one)
        self.expected = expected  # disk id -> raw guest bytes at the incremental backup


def take_backup(
    fake: FakeOvirt, connection: sdk.Connection, tmp_path: Path, vm_name: str
) -> Backup:
    vms = connection.system_service().vms_service()
    vm = vms.list(search=f"name={vm_name}", all_content=True)[0]
    ovf: str = vm.initialization.configuration.data
    disks = [types.Disk(id=d.id) for d in sdkflow.vm_disks(connection, vm.id)]
    full = sdkflow.start_backup(connection, vm.id, disks)
    for disk in disks:
        path = tmp_path / f"{disk.id}.full.qcow2"
        sdkflow.download_backup_disk(connection, full, disk.id, path, fake.ca_file or "")
    sdkflow.finalize_backup(connection, full)
    for disk in disks:
        for offset, data in WRITES:
            fake.guest_write(disk.id, offset, data)
    expected = {}
    for disk in disks:
        expected[disk.id] = tmp_path / f"{disk.id}.expected.raw"
        sdkflow.write_raw(fake.engine.state.disks[disk.id].content, expected[disk.id])
    incremental = sdkflow.start_backup(
        connection, vm.id, disks, from_checkpoint_id=full.to_checkpoint_id
    )
    images = {}
    for disk in disks:
        images[disk.id] = tmp_path / f"{disk.id}.incremental.qcow2"
        sdkflow.download_backup_disk(
            connection,
            incremental,
            disk.id,
            images[disk.id],
            fake.ca_file or "",
            incremental=True,
            backing_file=Path(f"{disk.id}.full.qcow2"),
        )
    sdkflow.finalize_backup(connection, incremental)
    for disk in disks:  # the guest goes on: the restore must not see these
        for offset, data in LATER:
            fake.guest_write(disk.id, offset, data)
    return Backup(ovf, images, expected)


def upload(fake: FakeOvirt, connection: sdk.Connection, disk_id: str, image: Path) -> None:
    transfer = sdkflow.create_transfer(connection, disk_id, types.ImageTransferDirection.UPLOAD)
    client.upload(str(image), transfer.transfer_url, fake.ca_file or "")
    sdkflow.finalize_transfer(connection, transfer)


def wait_ok(connection: sdk.Connection, disk_id: str) -> None:
    service = connection.system_service().disks_service().disk_service(disk_id)
    for _ in range(sdkflow.MAX_POLLS):
        if service.get().status == types.DiskStatus.OK:
            return
    raise AssertionError(f"disk {disk_id} never became ok")


def same_bytes(fake: FakeOvirt, disk_id: str, expected: Path, tmp_path: Path) -> bool:
    restored = tmp_path / f"{disk_id}.restored.raw"
    sdkflow.write_raw(fake.engine.state.disks[disk_id].content, restored)
    compared = subprocess.run(
        ["qemu-img", "compare", "-f", "raw", "-F", "raw", str(restored), str(expected)],
        capture_output=True,
        text=True,
        check=False,
    )
    return compared.returncode == 0


def configuration(connection: sdk.Connection, vm_id: str) -> OvfVm:
    vm = connection.system_service().vms_service().vm_service(vm_id).get(all_content=True)
    return read_vm(vm.initialization.configuration.data)


def import_vm(connection: sdk.Connection, ovf: str, **extra: object) -> types.Vm:
    return (
        connection.system_service()
        .vms_service()
        .add(
            types.Vm(
                cluster=types.Cluster(name="Default"),
                initialization=types.Initialization(
                    configuration=types.Configuration(type=types.ConfigurationType.OVF, data=ovf),
                    **extra,  # type: ignore[arg-type]
                ),
            )
        )
    )


@pytest.fixture
def backed_up(fake: FakeOvirt, connection: sdk.Connection, tmp_path: Path) -> Backup:
    """vm-up with a NIC, backed up full + incremental."""
    require_qemu()
    vms = connection.system_service().vms_service()
    profile = connection.system_service().vnic_profiles_service().list()[0]
    vm_id = fake.vm("vm-up").id
    vms.vm_service(vm_id).nics_service().add(
        types.Nic(name="nic1", vnic_profile=types.VnicProfile(id=profile.id))
    )
    return take_backup(fake, connection, tmp_path, "vm-up")


def test_disaster_recovery_restores_the_same_vm_and_disks(
    fake: FakeOvirt, connection: sdk.Connection, backed_up: Backup, tmp_path: Path
) -> None:
    """The VM and its disks are gone; disks are recreated with their ids (`<disk id>` as
    upload_disk.py --disk-id sends), uploaded, and the OVF import attaches them by id."""
    saved = read_vm(backed_up.ovf)
    domains = {d: fake.engine.state.disks[d].storage_domain_id for d in backed_up.images}
    vms = connection.system_service().vms_service()
    vm_service = vms.vm_service(saved.vm_id)
    vm_service.stop()
    vm_service.remove(detach_only=False)
    assert saved.vm_id not in fake.engine.state.vms
    assert not set(backed_up.images) & set(fake.engine.state.disks)

    disks = connection.system_service().disks_service()
    for ovf_disk in saved.disks:
        image = backed_up.images[ovf_disk.disk_id]
        info = subprocess.run(
            ["qemu-img", "info", "--output", "json", str(image)],
            capture_output=True,
            text=True,
            check=True,
        )
        size = json.loads(info.stdout)["virtual-size"]
        disks.add(
            types.Disk(
                id=ovf_disk.disk_id,
                name=ovf_disk.alias,
                format=types.DiskFormat.COW,
                sparse=True,
                backup=types.DiskBackup.INCREMENTAL,
                provisioned_size=size,
                storage_domains=[types.StorageDomain(id=domains[ovf_disk.disk_id])],
            )
        )
        wait_ok(connection, ovf_disk.disk_id)
        upload(fake, connection, ovf_disk.disk_id, backed_up.images[ovf_disk.disk_id])

    vm = import_vm(connection, backed_up.ovf)
    assert vm.id == saved.vm_id and vm.status == types.VmStatus.DOWN
    assert fake.events()[-1].code == 174  # every disk attached

    for disk_id, expected in backed_up.expected.items():
        assert same_bytes(fake, disk_id, expected, tmp_path)
    restored = configuration(connection, vm.id)
    # new volumes (their image ids are new), the same disks attached the same way
    assert [replace(d, image_id="") for d in restored.disks] == [
        replace(d, image_id="") for d in saved.disks
    ]
    assert restored.nics == saved.nics
    for member in ("name", "memory", "sockets", "cores", "threads", "os", "cluster_name"):
        assert getattr(restored, member) == getattr(saved, member), member


def test_restore_to_a_new_vm_beside_the_original(
    fake: FakeOvirt, connection: sdk.Connection, backed_up: Backup, tmp_path: Path
) -> None:
    """The original stays: new ids (`regenerate_ids`), a new name, new disks attached as
    the OVF describes them."""
    saved = read_vm(backed_up.ovf)
    system = connection.system_service()
    new_ids = {}
    for ovf_disk in saved.disks:
        original = system.disks_service().disk_service(ovf_disk.disk_id).get()
        created = system.disks_service().add(
            types.Disk(
                name=f"{ovf_disk.alias}-restored",
                format=types.DiskFormat.COW,
                sparse=True,
                provisioned_size=original.provisioned_size,
                storage_domains=[types.StorageDomain(id=original.storage_domains[0].id)],
            )
        )
        wait_ok(connection, created.id)
        upload(fake, connection, created.id, backed_up.images[ovf_disk.disk_id])
        new_ids[ovf_disk.disk_id] = created.id

    body = types.Vm(
        name="vm-up-restored",
        cluster=types.Cluster(name="Default"),
        initialization=types.Initialization(
            configuration=types.Configuration(type=types.ConfigurationType.OVF, data=backed_up.ovf),
            regenerate_ids=True,
        ),
    )
    vm = system.vms_service().add(body)
    assert vm.id != saved.vm_id and vm.name == "vm-up-restored"
    attachments = system.vms_service().vm_service(vm.id).disk_attachments_service()
    for ovf_disk in saved.disks:
        attachments.add(
            types.DiskAttachment(
                disk=types.Disk(id=new_ids[ovf_disk.disk_id]),
                interface=types.DiskInterface(ovf_disk.interface.lower()),
                bootable=ovf_disk.bootable,
                active=True,
            )
        )

    for original, new in new_ids.items():
        assert same_bytes(fake, new, backed_up.expected[original], tmp_path)
        assert not same_bytes(fake, original, backed_up.expected[original], tmp_path)  # LATER
    restored = configuration(connection, vm.id)
    assert [(d.interface, d.bootable) for d in restored.disks] == [
        (d.interface, d.bootable) for d in saved.disks
    ]
    assert [(n.name, n.network, n.profile) for n in restored.nics] == [
        (n.name, n.network, n.profile) for n in saved.nics
    ]
    assert [n.mac for n in restored.nics] != [n.mac for n in saved.nics]  # new MACs
    for member in ("memory", "sockets", "cores", "threads", "os", "cluster_name"):
        assert getattr(restored, member) == getattr(saved, member), member
    # the original is untouched and still holds the guest's later writes
    assert fake.vm("vm-up").status == "up"
