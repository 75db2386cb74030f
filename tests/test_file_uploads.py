"""Uploads through the FILE backend (no `format`): a cow volume takes a qcow2 file, a raw one
its bytes, and the engine verifies the file at finalize.

The Bareos plugin restores this way: `<image id>` of a cow disk, no format, one PUT of the
qcow2 file it downloaded (BAREOS:1843-1866). The ticket of a cow upload is the virtual size
times 1.1 plus 1 MiB (TransferDiskImageCommand.java:737-745); at finalize VDSM's
`verify_untrusted_volume` refuses a file whose format is not the volume's or that has a
backing file, and the disk ends ILLEGAL (lines 900-925, 954-977).
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from fakeovirt import DiskSpec, FakeOvirt, Scenario, VmSpec
from fakeovirt.core.model import ImageTransfer
from fakeovirt.core.transfers import TransferRequest
from tests import sdkflow
from tests.qemutools import require_qemu
from tests.volumefiles import put_image, qemu_img, ticket_url

MIB = 1024 * 1024
SIZE = 64 * MIB
RESTORE = Scenario(
    name="restore",
    vms=(
        VmSpec(
            "vm",
            "down",
            disks=(
                DiskSpec("cow", SIZE, seeded_blocks=4),
                DiskSpec("raw", SIZE, format="raw", backup="none"),
            ),
        ),
    ),
)


@pytest.fixture
def restore(fake: FakeOvirt) -> FakeOvirt:
    fake.reset(RESTORE)
    return fake


def upload(fake: FakeOvirt, alias: str, data: bytes, fmt: str | None = None) -> ImageTransfer:
    """Start an upload, PUT ``data`` whole, finalize; answer the transfer."""
    disk = fake.disk(alias)
    transfer = fake.engine.start_transfer(TransferRequest(disk.id, direction="upload", format=fmt))
    status, body = put_image(fake, ticket_url(fake, transfer.ticket), data)
    assert status == 200, body
    fake.engine.transfer_action(transfer.id, "finalize")
    return transfer


def sparse_raw(path: Path, writes: dict[int, bytes], size: int = SIZE) -> Path:
    with path.open("wb") as out:
        out.truncate(size)
        for offset, data in writes.items():
            out.seek(offset)
            out.write(data)
    return path


def qcow2_of(tmp_path: Path, writes: dict[int, bytes], *extra: str) -> bytes:
    raw = sparse_raw(tmp_path / "source.raw", writes)
    image = tmp_path / "source.qcow2"
    made = qemu_img("convert", "-f", "raw", "-O", "qcow2", *extra, raw, image)
    assert made.returncode == 0, made.stderr
    return image.read_bytes()


def test_a_qcow2_file_becomes_the_cow_disks_guest_content(
    restore: FakeOvirt, tmp_path: Path
) -> None:
    require_qemu()
    writes = {0: b"boot" * 1000, 17 * MIB + 5: b"middle", SIZE - 3: b"end"}
    transfer = upload(restore, "cow", qcow2_of(tmp_path, writes))
    assert (transfer.backend, transfer.format, transfer.phase.value) == (
        "file",
        "cow",
        "finished_success",
    )
    disk = restore.disk("cow")
    assert disk.status == "ok"
    got = tmp_path / "disk.raw"
    sdkflow.write_raw(disk.content, got)
    compared = qemu_img("compare", "-f", "raw", "-F", "raw", got, tmp_path / "source.raw")
    assert compared.returncode == 0, compared.stdout  # the seeded blocks are gone too


def test_the_disk_keeps_its_content_until_the_upload_is_finalized(
    restore: FakeOvirt, tmp_path: Path
) -> None:
    require_qemu()
    disk = restore.disk("cow")
    before = disk.content.read(0, SIZE)
    transfer = restore.engine.start_transfer(TransferRequest(disk.id, direction="upload"))
    put_image(restore, ticket_url(restore, transfer.ticket), qcow2_of(tmp_path, {0: b"x"}))
    assert disk.content.read(0, SIZE) == before


def test_a_cow_upload_ticket_holds_the_file_with_its_overhead(restore: FakeOvirt) -> None:
    disk = restore.disk("cow")
    transfer = restore.engine.start_transfer(TransferRequest(disk.id, direction="upload"))
    ticket = ticket_url(restore, transfer.ticket)
    limit = math.ceil(SIZE * 1.1) + MIB
    client = restore.client()
    path = f"/images/{transfer.ticket}"
    headers = {"Content-Range": f"bytes {limit - 4}-{limit - 1}/*"}
    assert client.put(path, data=b"tail", headers=headers).status_code == 200
    headers = {"Content-Range": f"bytes {limit - 3}-{limit}/*"}
    assert client.put(path, data=b"tail", headers=headers).status_code == 416
    assert ticket.endswith(transfer.ticket)


@pytest.mark.parametrize(
    ("what", "make"),
    [
        ("not a qcow2 file", lambda tmp: b"plain bytes, not an image" * 100),
        ("a qcow2 file with a backing file", "backing"),
        ("a qcow2 file larger than the disk", "larger"),
    ],
)
def test_a_cow_upload_that_fails_verification_leaves_the_disk_illegal(
    restore: FakeOvirt, tmp_path: Path, what: str, make: object
) -> None:
    require_qemu()
    if make == "backing":
        base = tmp_path / "base.qcow2"
        assert qemu_img("create", "-f", "qcow2", base, str(SIZE)).returncode == 0
        top = tmp_path / "top.qcow2"
        made = qemu_img("create", "-f", "qcow2", "-b", "base.qcow2", "-F", "qcow2", top)
        assert made.returncode == 0, made.stderr
        data = top.read_bytes()
    elif make == "larger":
        big = tmp_path / "big.qcow2"
        assert qemu_img("create", "-f", "qcow2", big, str(2 * SIZE)).returncode == 0
        data = big.read_bytes()
    else:
        assert callable(make)
        data = make(tmp_path)
    disk = restore.disk("cow")
    before = disk.content.read(0, SIZE)
    transfer = upload(restore, "cow", data)
    assert transfer.phase.value == "finished_failure", what
    assert disk.status == "illegal"
    assert disk.content.read(0, SIZE) == before
    assert [e.code for e in restore.events()][-1] == 1034  # TRANSFER_IMAGE_FAILED


def test_a_raw_disk_takes_a_file_uploads_bytes_as_they_are(restore: FakeOvirt) -> None:
    data = b"raw restore" * 1000
    transfer = upload(restore, "raw", data)
    assert (transfer.backend, transfer.phase.value) == ("file", "finished_success")
    assert restore.disk("raw").content.read(0, len(data)) == data


@pytest.mark.parametrize("fmt", [None, "raw"])
def test_qcow2_bytes_in_a_raw_volume_fail_verification(
    restore: FakeOvirt, tmp_path: Path, fmt: str | None
) -> None:
    """qemu detects qcow2 where VDSM's metadata says raw: ImageVerificationError."""
    require_qemu()
    transfer = upload(restore, "raw", qcow2_of(tmp_path, {0: b"x"}), fmt)
    assert transfer.phase.value == "finished_failure"
    assert restore.disk("raw").status == "illegal"


def test_a_cancelled_upload_leaves_the_disk_illegal(restore: FakeOvirt) -> None:
    """cleanup(): an upload that does not finish sets the image ILLEGAL (lines 965-967)."""
    disk = restore.disk("raw")
    transfer = restore.engine.start_transfer(
        TransferRequest(disk.id, direction="upload", format="raw")
    )
    restore.engine.transfer_action(transfer.id, "cancel")
    assert disk.status == "illegal"


def test_a_guest_data_upload_into_a_cow_disk_needs_no_qcow2(restore: FakeOvirt) -> None:
    """With format=raw the NBD backend writes guest data; the volume stays a valid qcow2."""
    data = b"guest data" * 100
    transfer = upload(restore, "cow", data, "raw")
    assert transfer.phase.value == "finished_success"
    assert restore.disk("cow").content.read(0, len(data)) == data
