"""Image transfers of disk snapshots, and the bytes each backend serves, judged by qemu-img.

`<snapshot id>` names a volume (REST/BackendImageTransfersResource.java:53-59). Without
`format` a transfer uses the volume's own format and the FILE backend, which serves a cow
volume as its qcow2 file, its backing file the parent volume's id; `format=raw` is the NBD
backend's guest data, the chain up to the volume, or that layer alone with `shallow`
(TransferDiskImageCommand.java:539-556; NbdServerVDSParameters backing chain, lines 277-296).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import ovirtsdk4 as sdk
import ovirtsdk4.types as types
import pytest

from fakeovirt import FakeOvirt
from fakeovirt.core.model import ImageTransfer
from fakeovirt.core.transfers import TransferRequest
from tests import sdkflow
from tests.qemutools import require_qemu
from tests.smalldisks import SMALL_DEMO
from tests.volumefiles import get_image, qemu_img, ticket_url

MIB = 1024 * 1024
pytestmark = pytest.mark.fakeovirt(scenario=SMALL_DEMO)  # whole disks cross the socket


def by_snapshot(
    fake: FakeOvirt, image_id: str, *, fmt: str | None = None, shallow: bool = False
) -> ImageTransfer:
    request = TransferRequest(
        None, image_id=image_id, direction="download", format=fmt, shallow=shallow
    )
    return fake.engine.start_transfer(request)


def two_layers(fake: FakeOvirt, alias: str = "vm-up-disk1") -> tuple[str, str, bytes, bytes]:
    """A disk with a snapshot of its base, then a second one: (base, middle) image ids and the
    guest bytes of the first 4 MiB at each snapshot."""
    disk = fake.disk(alias)
    fake.guest_write(alias, 0, b"A" * MIB)
    fake.guest_write(alias, 3 * MIB, b"edge")
    first = fake.snapshot(disk_vm(fake, alias), "first", disks=[alias])
    at_first = disk.content.read(0, 4 * MIB)
    fake.guest_write(alias, MIB, b"B" * MIB)
    fake.guest_write(alias, 0, bytes(64 * 1024))  # zeroes a whole cluster in the new layer
    second = fake.snapshot(disk_vm(fake, alias), "second", disks=[alias])
    at_second = disk.content.read(0, 4 * MIB)
    fake.guest_write(alias, 2 * MIB, b"C" * MIB)  # after both: in neither
    return first.images[disk.id], second.images[disk.id], at_first, at_second


def disk_vm(fake: FakeOvirt, alias: str) -> str:
    vm = fake.engine.state.vm_of_disk(fake.disk(alias).id)
    assert vm is not None
    return vm.name


def download(fake: FakeOvirt, transfer: ImageTransfer) -> bytes:
    status, headers, body = get_image(fake, ticket_url(fake, transfer.ticket))
    assert status == 200
    assert int(headers["content-length"]) == len(body)
    return body


# -- what is served ----------------------------------------------------------------------------
def test_format_raw_serves_the_disk_as_it_was_at_the_snapshot(fake: FakeOvirt) -> None:
    base, middle, at_first, at_second = two_layers(fake)
    assert download(fake, by_snapshot(fake, base, fmt="raw"))[: 4 * MIB] == at_first
    assert download(fake, by_snapshot(fake, middle, fmt="raw"))[: 4 * MIB] == at_second


def test_shallow_serves_that_layer_alone(fake: FakeOvirt) -> None:
    _, middle, _, _ = two_layers(fake)
    got = download(fake, by_snapshot(fake, middle, fmt="raw", shallow=True))
    assert got[MIB : 2 * MIB] == b"B" * MIB  # written in this layer
    assert got[3 * MIB : 3 * MIB + 4] == bytes(4)  # the base's data is not in it
    assert got[2 * MIB : 3 * MIB] == bytes(MIB)


def test_without_format_a_cow_volume_is_its_qcow2_file(fake: FakeOvirt, tmp_path: Path) -> None:
    """qemu-img checks each file and reads the chain (backing file = the parent's id, as VDSM
    names it) as the disk was at the snapshot."""
    require_qemu()
    base, middle, at_first, at_second = two_layers(fake)
    for image_id in (base, middle):
        transfer = by_snapshot(fake, image_id)
        assert (transfer.format, transfer.backend) == ("cow", "file")
        (tmp_path / image_id).write_bytes(download(fake, transfer))
        checked = qemu_img("check", "-f", "qcow2", tmp_path / image_id)
        assert checked.returncode == 0, checked.stdout + checked.stderr
    info = qemu_img("info", "--output=json", tmp_path / middle)
    assert f'"backing-filename": "{base}"' in info.stdout
    assert '"backing-filename-format": "qcow2"' in info.stdout
    disk = fake.disk("vm-up-disk1")
    for image_id, expected in ((base, at_first), (middle, at_second)):
        guest = disk.volumes.volume(image_id).guest
        assert guest.read(0, 4 * MIB) == expected
        raw = tmp_path / f"{image_id}.raw"
        sdkflow.write_raw(guest, raw)
        compared = qemu_img("compare", "-f", "qcow2", "-F", "raw", tmp_path / image_id, raw)
        assert compared.returncode == 0, compared.stdout + compared.stderr


def test_a_raw_volume_without_format_is_its_raw_bytes(fake: FakeOvirt) -> None:
    disk = fake.disk("vm-mixed-raw")
    fake.guest_write("vm-mixed-raw", 5 * MIB, b"raw data")
    snapshot = fake.snapshot("vm-mixed", disks=["vm-mixed-raw"])
    transfer = by_snapshot(fake, snapshot.images[disk.id])
    assert (transfer.format, transfer.backend) == ("raw", "file")
    got = download(fake, transfer)
    assert len(got) == disk.content.size
    assert got[5 * MIB : 5 * MIB + 8] == b"raw data"


def test_the_active_volume_of_a_down_vm_without_format_is_a_qcow2_file_too(
    fake: FakeOvirt, tmp_path: Path
) -> None:
    require_qemu()
    disk = fake.disk("vm-down-disk1")
    fake.guest_write("vm-down-disk1", 7 * MIB, b"live")
    transfer = fake.engine.start_transfer(TransferRequest(disk.id, direction="download"))
    image = tmp_path / "disk.qcow2"
    image.write_bytes(download(fake, transfer))
    expected = tmp_path / "disk.raw"
    sdkflow.write_raw(disk.content, expected)
    assert qemu_img("compare", "-f", "qcow2", "-F", "raw", image, expected).returncode == 0


def test_a_file_download_reports_one_data_extent(fake: FakeOvirt) -> None:
    """The file backend's extents: one data extent (imageio backends/file.py:149-156)."""
    base, _, _, _ = two_layers(fake)
    transfer = by_snapshot(fake, base)
    answer = fake.client().get(f"/images/{transfer.ticket}/extents").get_json()
    (extent,) = answer
    assert extent["start"] == 0 and extent["zero"] is False and extent["hole"] is False


def test_a_snapshot_transfer_answers_the_disk_as_its_image(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """TYPES/ImageTransferMapper.java:57: `<image id>` is the disk; no `<snapshot>` in it."""
    snapshot = fake.snapshot("vm-up", disks=["vm-up-disk1"])
    image_id = next(iter(snapshot.images.values()))
    transfers = connection.system_service().image_transfers_service()
    transfer = transfers.add(
        types.ImageTransfer(
            snapshot=types.DiskSnapshot(id=image_id),
            direction=types.ImageTransferDirection.DOWNLOAD,
        )
    )
    assert transfer.image.id == fake.disk("vm-up-disk1").id
    assert transfer.format == types.DiskFormat.COW
    assert transfer.snapshot is None


def test_a_snapshot_download_locks_its_volume_not_the_disk(fake: FakeOvirt) -> None:
    """The transferred image is locked (line 679): a disk snapshot's status, the disk's own
    follows its active volume (snapshots-disks-vms.md §4.2)."""
    base, _, _, _ = two_layers(fake)
    disk = fake.disk("vm-up-disk1")
    transfer = by_snapshot(fake, base)
    assert (disk.volume_state(base), disk.status) == ("locked", "ok")
    fake.engine.transfer_action(transfer.id, "finalize")
    assert disk.volume_state(base) == "ok"


def test_cow_volume_files_survive_a_merge_of_the_chain(fake: FakeOvirt, tmp_path: Path) -> None:
    """After the snapshot is removed the disk's base is a file of the merged layers."""
    require_qemu()
    disk = fake.disk("vm-down-disk1")
    fake.guest_write("vm-down-disk1", 0, b"one")
    snapshot = fake.snapshot("vm-down")
    fake.guest_write("vm-down-disk1", MIB, b"two")
    fake.remove_snapshot("vm-down", snapshot.id)
    transfer = fake.engine.start_transfer(TransferRequest(disk.id, direction="download"))
    image = tmp_path / "merged.qcow2"
    image.write_bytes(download(fake, transfer))
    expected = tmp_path / "merged.raw"
    sdkflow.write_raw(disk.content, expected)
    assert shutil.which("qemu-img")
    assert qemu_img("compare", "-f", "qcow2", "-F", "raw", image, expected).returncode == 0


@pytest.mark.parametrize("fmt", [None, "raw"])
def test_the_checksum_of_a_snapshot_transfer_is_of_what_it_serves(
    fake: FakeOvirt, fmt: str | None
) -> None:
    base, _, _, _ = two_layers(fake)
    transfer = by_snapshot(fake, base, fmt=fmt)
    served = download(fake, transfer)
    answer = fake.client().get(f"/images/{transfer.ticket}/checksum").get_json()
    import hashlib

    outer = hashlib.blake2b(digest_size=32)
    for offset in range(0, len(served), 4 * MIB):
        outer.update(hashlib.blake2b(served[offset : offset + 4 * MIB], digest_size=32).digest())
    assert answer["checksum"] == outer.hexdigest()
