"""`fakeovirt.images`: a restored image (raw, or a qcow2 chain) compared with a disk's content,
and `FakeOvirt.backup_content`, the disk at a backup's point in time."""

from __future__ import annotations

import subprocess
from pathlib import Path

import ovirtsdk4 as sdk
import ovirtsdk4.types as types
import pytest

from fakeovirt import FakeOvirt
from fakeovirt.core.content import BLOCK_SIZE, DiskContent
from fakeovirt.images import (
    ImageMismatch,
    UnreadableImage,
    assert_image_matches,
    image_difference,
    write_raw,
)
from tests import sdkflow
from tests.qemutools import require_qemu

MiB = 1 << 20


@pytest.fixture
def disk() -> DiskContent:
    """16 MiB with data at 1 MiB and in the last block."""
    content = DiskContent(16 * MiB)
    content.write(MiB, b"fakeovirt data " * 5000)
    content.write(16 * MiB - BLOCK_SIZE, b"tail" * 100)
    return content


def qemu_img(*args: str) -> None:
    subprocess.run(["qemu-img", *args], check=True, capture_output=True)


def test_a_raw_copy_matches(disk: DiskContent, tmp_path: Path) -> None:
    write_raw(disk, tmp_path / "copy.raw")
    assert image_difference(tmp_path / "copy.raw", disk) is None
    assert_image_matches(tmp_path / "copy.raw", disk)


def test_a_raw_copy_stays_sparse(disk: DiskContent, tmp_path: Path) -> None:
    write_raw(disk, tmp_path / "copy.raw")
    assert (tmp_path / "copy.raw").stat().st_blocks * 512 < 2 * MiB


def test_the_first_differing_extent_is_reported_with_both_sides(
    disk: DiskContent, tmp_path: Path
) -> None:
    write_raw(disk, tmp_path / "copy.raw")
    with (tmp_path / "copy.raw").open("r+b") as f:
        f.seek(MiB + 100)
        f.write(bytes(5000))  # zeros over data: sectors 1 MiB .. 1 MiB + 8 KiB differ
    difference = image_difference(tmp_path / "copy.raw", disk)
    assert difference is not None
    assert (difference.start, difference.length) == (MiB + 100, 2 * 4096 - 100)
    assert difference.expected == disk.read(MiB + 100, 24)
    assert difference.actual == bytes(len(difference.actual))
    assert str(difference).startswith(f"bytes {MiB + 100}-{MiB + 8191} ")
    assert "the image zeros" in str(difference)


def test_data_where_the_disk_has_a_hole_is_a_difference(disk: DiskContent, tmp_path: Path) -> None:
    write_raw(disk, tmp_path / "copy.raw")
    with (tmp_path / "copy.raw").open("r+b") as f:
        f.seek(8 * MiB)
        f.write(b"stray")
    difference = image_difference(tmp_path / "copy.raw", disk)
    assert difference is not None
    assert (difference.start, difference.length) == (8 * MiB, 4096)
    assert "the disk holds zeros, the image b'stray" in str(difference)


def test_a_shorter_image_differs_in_size(disk: DiskContent, tmp_path: Path) -> None:
    write_raw(disk, tmp_path / "copy.raw")
    with (tmp_path / "copy.raw").open("r+b") as f:
        f.truncate(15 * MiB)
    difference = image_difference(tmp_path / "copy.raw", disk)
    assert difference is not None
    assert (difference.start, difference.length) == (15 * MiB, MiB)
    assert str(difference).endswith("the image is 15728640 bytes long, the disk 16777216")


def test_an_image_of_the_wrong_size_differs_even_when_its_data_agrees(
    disk: DiskContent, tmp_path: Path
) -> None:
    write_raw(disk, tmp_path / "copy.raw")
    with (tmp_path / "copy.raw").open("r+b") as f:
        f.truncate(17 * MiB)
    difference = image_difference(tmp_path / "copy.raw", disk)
    assert difference is not None
    assert "the image is 17825792 bytes long, the disk 16777216" in str(difference)


def test_assert_image_matches_raises_an_assertion_error_naming_the_file(
    disk: DiskContent, tmp_path: Path
) -> None:
    image = tmp_path / "empty.raw"
    with image.open("wb") as f:
        f.truncate(disk.size)
    with pytest.raises(ImageMismatch) as caught:
        assert_image_matches(image, disk)
    assert isinstance(caught.value, AssertionError)
    assert str(caught.value).startswith(f"{image} does not equal the expected disk content: ")
    assert caught.value.difference.start == MiB


def test_a_missing_file_is_unreadable(disk: DiskContent, tmp_path: Path) -> None:
    with pytest.raises(UnreadableImage, match="no image file"):
        image_difference(tmp_path / "nope.qcow2", disk)


def test_a_qcow2_chain_is_read_through_its_backing_file(disk: DiskContent, tmp_path: Path) -> None:
    require_qemu()
    before = DiskContent.from_view(disk.freeze())
    write_raw(before, tmp_path / "base.raw")
    qemu_img("convert", "-O", "qcow2", str(tmp_path / "base.raw"), str(tmp_path / "base.qcow2"))
    disk.write(3 * MiB, b"incremental " * 100)
    write_raw(disk, tmp_path / "now.raw")
    top = tmp_path / "top.qcow2"  # only what differs from its backing file, as an incremental
    qemu_img(
        "convert",
        "-O",
        "qcow2",
        "-B",
        "base.qcow2",
        "-F",
        "qcow2",
        str(tmp_path / "now.raw"),
        str(top),
    )
    assert image_difference(tmp_path / "top.qcow2", disk) is None
    assert image_difference(tmp_path / "base.qcow2", before) is None
    difference = image_difference(tmp_path / "base.qcow2", disk)
    assert difference is not None and difference.start == 3 * MiB


def test_a_qcow2_without_its_backing_file_is_unreadable(disk: DiskContent, tmp_path: Path) -> None:
    require_qemu()
    write_raw(disk, tmp_path / "base.raw")
    qemu_img("create", "-f", "qcow2", "-b", "base.raw", "-F", "raw", str(tmp_path / "top.qcow2"))
    (tmp_path / "base.raw").unlink()
    with pytest.raises(UnreadableImage, match="qemu-img cannot read"):
        image_difference(tmp_path / "top.qcow2", disk)


# -- backup_content: the disk at a backup's point in time ----------------------------------
def test_backup_content_is_the_disk_when_the_backup_started(fake: FakeOvirt) -> None:
    vm = fake.vm("vm-up").id
    disk = fake.disk("vm-up-disk1")
    with fake.lock:
        started = disk.content.freeze()
    backup = _start(fake, vm, disk.id, use_active=False)
    fake.guest_write(disk.id, 0, b"after the start")
    content = fake.backup_content(backup, "vm-up-disk1")
    assert content.read(0, 15) == started.read(0, 15) != b"after the start"


def test_backup_content_outlives_the_backup(fake: FakeOvirt, connection: sdk.Connection) -> None:
    vm = fake.vm("vm-up").id
    disk = fake.disk("vm-up-disk1")
    backup = sdkflow.start_backup(connection, vm, [types.Disk(id=disk.id)])
    assert sdkflow.finalize_backup(connection, backup).phase == types.BackupPhase.SUCCEEDED
    assert fake.backup_content(backup.id, disk.id).read(0, 4) == disk.content.read(0, 4)


def test_backup_content_of_an_unknown_backup_or_disk_is_a_key_error(fake: FakeOvirt) -> None:
    vm = fake.vm("vm-up").id
    backup = _start(fake, vm, fake.disk("vm-up-disk1").id, use_active=False)
    with pytest.raises(KeyError, match="no backup nope"):
        fake.backup_content("nope", "vm-up-disk1")
    with pytest.raises(KeyError, match="does not hold disk vm-up-disk2"):
        fake.backup_content(backup, "vm-up-disk2")


@pytest.mark.parametrize("use_active", [False, True], ids=["snapshot path", "active path"])
def test_a_download_holds_the_point_in_time_on_both_paths(
    fake: FakeOvirt, connection: sdk.Connection, tmp_path: Path, use_active: bool
) -> None:
    """The active path is libvirt's pull-mode backup: scratch disks keep the point in time
    (vdsm lib/vdsm/virt/backup.py:149-200), so a guest write after the start is not in it."""
    require_qemu()
    vm = fake.vm("vm-up").id
    disk = fake.disk("vm-up-disk1")
    backup = sdkflow.start_backup(connection, vm, [types.Disk(id=disk.id)], use_active=use_active)
    fake.guest_write(disk.id, 7 * BLOCK_SIZE, b"written while the backup runs")
    path = tmp_path / "full.qcow2"
    sdkflow.download_backup_disk(connection, backup, disk.id, path, fake.ca_file or "")
    sdkflow.finalize_backup(connection, backup)
    assert_image_matches(path, fake.backup_content(backup.id, disk.id))
    difference = image_difference(path, fake.disk("vm-up-disk1").content)
    assert difference is not None and difference.start == 7 * BLOCK_SIZE


def _start(fake: FakeOvirt, vm: str, disk_id: str, *, use_active: bool) -> str:
    from fakeovirt.core.backups import BackupRequest

    with fake.lock:
        backup = fake.engine.start_backup(
            vm, BackupRequest(disk_ids=(disk_id,), use_active=use_active)
        )
    return backup.id
