"""Snapshot-based backup, end to end, as backup software written before incremental backup
does it: the SDK with the imageio client, and the Bareos oVirt plugin's own HTTP sequence
(bareos/bareos `core/src/plugins/filed/python/ovirt/BareosFdPluginOvirt.py` at f25254f4,
snapshots-disks-vms.md §1.1, §1.2), backup and restore: the backup over plain HTTP as it
goes on the wire, the restore through the SDK as the plugin makes it (`tests/bareosrestore.py`),
into a new VM or, with `overwrite=yes`, into the VM it came from.

The VM runs while it is backed up: disk snapshots may be transferred while it does
(TransferDiskImageCommand.java:220-222), and guest writes after the snapshot go to the new
active volumes, never into what is downloaded.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import ovirtsdk4 as sdk
import ovirtsdk4.types as types
import pytest
from ovirt_imageio import client as imageio_client

from fakeovirt import DiskSpec, FakeOvirt, Scenario, TransitionPolicy, VmSpec
from fakeovirt.core.content import ContentView
from tests import rawhttp, sdkflow
from tests.bareosrestore import BareosRestore
from tests.qemutools import require_qemu
from tests.volumefiles import get_image, qemu_img

MIB = 1024 * 1024
SIZE = 16 * MIB  # the plugin moves whole raw volumes: a few blocks of data are enough
BACKUP = Scenario(
    name="backup",
    vms=(
        VmSpec(
            "guest",
            "up",
            nics=("nic1",),
            disks=(
                DiskSpec("guest-os", SIZE, seeded_blocks=6, bootable=True),
                DiskSpec("guest-raw", SIZE, format="raw", backup="none", seeded_blocks=3),
            ),
        ),
    ),
)
MAX_POLLS = 50


@pytest.fixture
def backup(fake: FakeOvirt) -> FakeOvirt:
    """The backup scenario, its phases and statuses moving one read at a time."""
    fake.reset(BACKUP, policy=TransitionPolicy.after_reads(1))
    return fake


def write_before_and_after(fake: FakeOvirt, alias: str, when: str) -> None:
    fake.guest_write(alias, 5 * MIB, f"{alias} {when} the snapshot".encode())
    fake.guest_write(alias, SIZE - 4096, bytes([len(when)]) * 4096)


# -- the SDK and the imageio client ------------------------------------------------------------
def test_a_snapshot_backup_downloads_the_disks_as_they_were_at_the_snapshot(
    backup: FakeOvirt, connection: sdk.Connection, tmp_path: Path
) -> None:
    require_qemu()
    fake = backup
    vm_id = fake.vm("guest").id
    for alias in ("guest-os", "guest-raw"):
        write_before_and_after(fake, alias, "before")
    at_snapshot = {a: fake.disk(a).content.freeze() for a in ("guest-os", "guest-raw")}

    system = connection.system_service()
    snapshots = system.vms_service().vm_service(vm_id).snapshots_service()
    snapshot = snapshots.add(types.Snapshot(description="backup", persist_memorystate=False))
    service = snapshots.snapshot_service(snapshot.id)
    while snapshot.snapshot_status != types.SnapshotStatus.OK:
        snapshot = service.get()
    for alias in ("guest-os", "guest-raw"):
        write_before_and_after(fake, alias, "after")
    after = {a: fake.disk(a).content.read(0, SIZE) for a in ("guest-os", "guest-raw")}

    for disk in service.disks_service().list():
        domain = system.storage_domains_service().storage_domain_service(disk.storage_domains[0].id)
        (volume,) = [s for s in domain.disk_snapshots_service().list() if s.disk.id == disk.id]
        expected = tmp_path / f"{disk.alias}.expected"
        sdkflow.write_raw(at_snapshot[disk.alias], expected)
        # the imageio client, guest data (format=raw, as the SDK's helpers ask)
        transfer = create_snapshot_transfer(connection, volume.id, types.DiskFormat.RAW)
        target = tmp_path / f"{disk.alias}.qcow2"
        imageio_client.download(transfer.transfer_url, str(target), fake.ca_file)
        sdkflow.finalize_transfer(connection, transfer)
        assert qemu_img("compare", "-F", "raw", target, expected).returncode == 0
        # a full GET without Range of the volume as stored (no format: the FILE backend)
        transfer = create_snapshot_transfer(connection, volume.id, None)
        status, headers, body = get_image(fake, transfer.proxy_url)
        assert (status, int(headers["content-length"])) == (200, len(body))
        sdkflow.finalize_transfer(connection, transfer)
        stored = tmp_path / f"{disk.alias}.stored"
        stored.write_bytes(body)
        kind = "qcow2" if disk.format == types.DiskFormat.COW else "raw"
        assert qemu_img("compare", "-f", kind, "-F", "raw", stored, expected).returncode == 0

    service.remove()
    while any(s.id == snapshot.id for s in snapshots.list()):
        pass
    for alias, data in after.items():
        assert fake.disk(alias).content.read(0, SIZE) == data
        assert len(fake.volumes(alias)) == 1
    assert fake.errors == []


def create_snapshot_transfer(
    connection: sdk.Connection, image_id: str, fmt: types.DiskFormat | None
) -> types.ImageTransfer:
    transfers = connection.system_service().image_transfers_service()
    transfer = transfers.add(
        types.ImageTransfer(
            snapshot=types.DiskSnapshot(id=image_id),
            direction=types.ImageTransferDirection.DOWNLOAD,
            format=fmt,
        )
    )
    service = transfers.image_transfer_service(transfer.id)
    for _ in range(MAX_POLLS):
        if transfer.phase == types.ImageTransferPhase.TRANSFERRING:
            return transfer
        transfer = service.get()
    raise AssertionError(f"transfer {transfer.id} stays {transfer.phase}")


# -- the Bareos plugin's sequence, over plain HTTP ---------------------------------------------
class Bareos:
    """The plugin's calls (BAREOS line numbers), with the fields it reads; where it sleeps,
    the engine's clock moves on by as much."""

    def __init__(self, fake: FakeOvirt) -> None:
        self.fake = fake
        fake.policy = TransitionPolicy.after_seconds(1)

    def sleep(self, seconds: float) -> None:
        self.fake.advance(seconds)

    def get(self, path: str) -> ET.Element:
        reply = rawhttp.call(self.fake, "GET", path, headers={"Accept": "application/xml"})
        assert reply.status == 200, reply.body
        return reply.xml()

    def post(self, path: str, body: str) -> rawhttp.Reply:
        return rawhttp.call(self.fake, "POST", path, body, rawhttp.XML)

    def poll_transfer(self, transfer_id: str) -> ET.Element:
        """#10: every second while initializing, then once more; reads proxy_url."""
        transfer = self.get(f"/imagetransfers/{transfer_id}")
        while transfer.findtext("phase") == "initializing":
            self.sleep(1)
            transfer = self.get(f"/imagetransfers/{transfer_id}")
        return self.get(f"/imagetransfers/{transfer_id}")

    def delete_snapshot(self, vm_id: str, snapshot_id: str) -> list[int]:
        """#13-14: DELETE, retried on 400/409; then poll the list until the id is gone."""
        statuses = []
        for _ in range(MAX_POLLS):
            self.get(f"/vms/{vm_id}/snapshots/{snapshot_id}")
            reply = rawhttp.call(self.fake, "DELETE", f"/vms/{vm_id}/snapshots/{snapshot_id}")
            statuses.append(reply.status)
            if reply.status not in (400, 409):
                break
            self.sleep(10)
        for _ in range(MAX_POLLS):
            listed = self.get(f"/vms/{vm_id}/snapshots")
            if snapshot_id not in [s.get("id") for s in listed]:
                return statuses
            self.sleep(10)
        raise AssertionError(f"snapshot {snapshot_id} was never removed")


@dataclass
class Saved:
    """What a Bareos backup job keeps: the OVF, and per file `<alias>-<disk id>/<disk
    snapshot id>` the downloaded bytes; and, for the test, each disk at snapshot time."""

    ovf: str
    files: dict[str, bytes]
    aliases: dict[str, str]  # disk id -> alias
    at_snapshot: dict[str, ContentView]


def bareos_backup(fake: FakeOvirt, bareos: Bareos) -> Saved:
    """The plugin's backup (§1.1), over plain HTTP; the guest writes after the snapshot."""
    for alias in ("guest-os", "guest-raw"):
        write_before_and_after(fake, alias, "before")
    at_snapshot = {
        fake.disk(a).id: fake.disk(a).content.freeze() for a in ("guest-os", "guest-raw")
    }

    # 1-2: the VM with all_content (its OVF, when there is one), and its snapshots
    (vm,) = bareos.get("/vms?search=name%3Dguest&all_content=true")
    vm_id = vm.get("id")
    assert vm.findtext("name") == "guest"
    assert len(bareos.get(f"/vms/{vm_id}/snapshots")) == 1  # only "Active VM"
    # 4: the disks, through their attachments
    disks = {}
    for attachment in bareos.get(f"/vms/{vm_id}/diskattachments"):
        disk = bareos.get(f"/disks/{attachment.find('disk').get('id')}")
        disks[disk.get("id")] = disk.findtext("alias")
    # 5-7: the snapshot, polled until ok; its disks
    description = "guest-backup-0001"
    attachments = "".join(f'<disk_attachment><disk id="{d}"/></disk_attachment>' for d in disks)
    reply = bareos.post(
        f"/vms/{vm_id}/snapshots",
        f"<snapshot><description>{description}</description>"
        f"<persist_memorystate>false</persist_memorystate>"
        f"<disk_attachments>{attachments}</disk_attachments></snapshot>",
    )
    assert reply.status in (201, 202)
    snapshot_id = reply.xml().get("id")
    while bareos.get(f"/vms/{vm_id}/snapshots/{snapshot_id}").findtext("snapshot_status") != "ok":
        bareos.sleep(2)
    for alias in ("guest-os", "guest-raw"):
        write_before_and_after(fake, alias, "after")
    snapshot_disks = bareos.get(f"/vms/{vm_id}/snapshots/{snapshot_id}/disks")
    saved: dict[str, bytes] = {}
    volume_ids: dict[str, str] = {}
    for disk in snapshot_disks:
        disk_id = disk.get("id")
        sd = disk.find("storage_domains/storage_domain").get("id")
        # 8: the domain's disk snapshots, filtered by disk id
        kept = [
            s
            for s in bareos.get(f"/storagedomains/{sd}/disksnapshots")
            if s.find("disk").get("id") == disk_id
        ]
        (volume,) = kept
        volume_ids[disk_id] = volume.get("id")
        # 9-11: a transfer of the disk snapshot, no format, a plain GET of proxy_url
        reply = bareos.post(
            "/imagetransfers",
            f'<image_transfer><direction>download</direction><snapshot id="{volume.get("id")}"/>'
            "</image_transfer>",
        )
        assert reply.status == 201, reply.body
        transfer = bareos.poll_transfer(reply.xml().get("id"))
        url = transfer.findtext("proxy_url")
        assert urlsplit(url).path.startswith("/images/")
        status, headers, body = get_image(fake, url)
        assert status == 200 and len(body) == int(headers["content-length"])
        saved[disk_id] = body
        # 12: finalize, without waiting for it to end
        assert (
            bareos.post(f"/imagetransfers/{transfer.get('id')}/finalize", "<action/>").status == 200
        )
    # 13-14: remove the snapshot, retrying while a transfer still holds the VM
    statuses = bareos.delete_snapshot(vm_id, snapshot_id)
    assert statuses == [409, 200]  # the last transfer still held the VM, then it ended
    ovf = vm.findtext("initialization/configuration/data") or ""
    files = {f"{disks[d]}-{d}/{volume_ids[d]}": data for d, data in saved.items()}
    return Saved(ovf, files, disks, at_snapshot)


def assert_restored(fake: FakeOvirt, saved: Saved, restored: dict[str, str], tmp: Path) -> None:
    """Each restored disk holds the disk as it was at the snapshot (past it: zeros)."""
    for disk_id, target_id in restored.items():
        target = fake.engine.state.disks[target_id]
        assert target.alias == saved.aliases[disk_id] and target.status == "ok"
        restored_file = tmp / f"{disk_id}.restored"
        sdkflow.write_raw(target.content, restored_file)
        expected = tmp / f"{disk_id}.expected"
        sdkflow.write_raw(saved.at_snapshot[disk_id], expected)
        compared = qemu_img("compare", "-F", "raw", "-f", "raw", restored_file, expected)
        assert compared.returncode == 0, compared.stdout


def domain_name(fake: FakeOvirt) -> str:
    """The plugin's `storage_domain` option: the guest's domain, by name."""
    return fake.engine.state.storage_domains[fake.disk("guest-os").storage_domain_id].name


def test_the_bareos_plugins_backup_and_restore_into_a_new_vm(
    backup: FakeOvirt, connection: sdk.Connection, tmp_path: Path
) -> None:
    require_qemu()
    fake = backup
    bareos = Bareos(fake)
    saved = bareos_backup(fake, bareos)
    restore = BareosRestore(fake, connection, saved.ovf, domain_name(fake))
    restored = restore.run(saved.files, vm_name="restored")
    new_vm = fake.vm("restored")
    assert (new_vm.memory, new_vm.cpu_sockets, new_vm.cpu_cores) == (
        fake.vm("guest").memory,
        fake.vm("guest").cpu_sockets,
        fake.vm("guest").cpu_cores,
    )
    assert [(n.name, n.vnic_profile_id) for n in new_vm.nics] == [
        (n.name, n.vnic_profile_id) for n in fake.vm("guest").nics
    ]
    assert sorted((a.bootable, a.interface, a.active) for a in new_vm.attachments) == sorted(
        (a.bootable, a.interface, True) for a in fake.vm("guest").attachments
    )
    assert set(restored.values()).isdisjoint(saved.aliases)  # new disks
    assert_restored(fake, saved, restored, tmp_path)
    assert fake.events()[-1].description == "Restore of virtual machine 'restored' is completed."
    assert fake.errors == []


def test_the_bareos_plugin_restores_into_the_existing_vm_once_it_is_down(
    backup: FakeOvirt, connection: sdk.Connection, tmp_path: Path
) -> None:
    """`overwrite=yes`: the VM found by name and cluster must be Down; each OVF disk keeps
    its id (`old_new_ids[old] = old`), is read with `GET /disks/{id}` and uploaded into."""
    require_qemu()
    fake = backup
    bareos = Bareos(fake)
    saved = bareos_backup(fake, bareos)
    restore = BareosRestore(fake, connection, saved.ovf, domain_name(fake))
    vm_service = connection.system_service().vms_service().vm_service(fake.vm("guest").id)
    with pytest.raises(AssertionError, match="must be down"):
        restore.run(saved.files, vm_name="guest", overwrite=True)
    vm_service.stop()
    while vm_service.get().status != types.VmStatus.DOWN:
        bareos.sleep(1)
    disks_before = sorted(fake.engine.state.disks)
    restored = restore.run(saved.files, vm_name="guest", overwrite=True)
    assert restored == {d: d for d in saved.aliases}  # the same disks, no new one
    assert sorted(fake.engine.state.disks) == disks_before
    assert_restored(fake, saved, restored, tmp_path)
    assert fake.errors == []


def test_a_snapshot_of_a_vm_is_listed_for_bareos_only_after_the_active_one(
    backup: FakeOvirt,
) -> None:
    """#2: the plugin refuses a VM with more than one snapshot listed ("already has N")."""
    bareos = Bareos(backup)
    vm_id = backup.vm("guest").id
    backup.snapshot("guest")
    listed = bareos.get(f"/vms/{vm_id}/snapshots")
    assert [s.findtext("snapshot_type") for s in listed] == ["active", "regular"]
