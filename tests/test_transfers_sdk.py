"""Backups move data: full and incremental downloads with the real imageio client are exact.

The incremental chain also runs on the `engine` profile's legacy path, whose checkpoint is
made when the backup starts, not when it is ready (docs/fidelity.md): the restored chain
must not care.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import ovirtsdk4 as sdk
import ovirtsdk4.types as types
import pytest
from ovirt_imageio import client

from fakeovirt import FakeOvirt
from fakeovirt.core.content import BLOCK_SIZE, DirtyExtent
from fakeovirt.core.tickets import TransferTicket
from tests import sdkflow
from tests.qemutools import require_qemu

from .profiles import path_args


def compare(image: Path, raw: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["qemu-img", "compare", "-f", "qcow2", "-F", "raw", str(image), str(raw)],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def vm_up(fake: FakeOvirt) -> str:
    return fake.vm("vm-up").id


def full_then_incremental(
    fake: FakeOvirt,
    connection: sdk.Connection,
    tmp_path: Path,
    writes: list[tuple[int, bytes]],
    *,
    legacy: bool = False,
) -> tuple[Path, Path, Path]:
    """A full backup download, guest writes, an incremental download onto it; expected raw.
    `legacy`: both backups on the legacy (active-volume) path."""
    disk = fake.disk("vm-up-disk1")
    vm_id = fake.vm("vm-up").id
    full = sdkflow.start_backup(connection, vm_id, [types.Disk(id=disk.id)], **path_args(legacy))
    full_path = tmp_path / "full.qcow2"
    sdkflow.download_backup_disk(connection, full, disk.id, full_path, fake.ca_file or "")
    sdkflow.finalize_backup(connection, full)
    for offset, data in writes:
        fake.guest_write(disk.id, offset, data)
    expected = tmp_path / "expected.raw"
    sdkflow.write_raw(fake.disk("vm-up-disk1").content, expected)
    inc_path = incremental_onto_full(
        fake, connection, tmp_path, full.to_checkpoint_id, legacy=legacy
    )
    return full_path, inc_path, expected


def incremental_onto_full(
    fake: FakeOvirt,
    connection: sdk.Connection,
    tmp_path: Path,
    checkpoint: str | None,
    *,
    legacy: bool = False,
) -> Path:
    """An incremental backup of vm-up-disk1 from `checkpoint`, downloaded onto full.qcow2."""
    disk_id = fake.disk("vm-up-disk1").id
    incremental = sdkflow.start_backup(
        connection,
        fake.vm("vm-up").id,
        [types.Disk(id=disk_id)],
        from_checkpoint_id=checkpoint,
        **path_args(legacy),
    )
    path = tmp_path / "incremental.qcow2"
    sdkflow.download_backup_disk(
        connection,
        incremental,
        disk_id,
        path,
        fake.ca_file or "",
        incremental=True,
        backing_file=Path("full.qcow2"),
    )
    sdkflow.finalize_backup(connection, incremental)
    return path


WRITES = [(0, b"boot sector rewritten"), (5 * BLOCK_SIZE + 17, b"x" * 70000), (700 << 20, b"tail")]


def test_full_download_equals_the_disk(
    fake: FakeOvirt, connection: sdk.Connection, vm_up: str, tmp_path: Path
) -> None:
    require_qemu()
    disk = fake.disk("vm-up-disk1")
    expected = tmp_path / "expected.raw"
    sdkflow.write_raw(disk.content, expected)
    backup = sdkflow.start_backup(connection, vm_up, [types.Disk(id=disk.id)])
    path = tmp_path / "full.qcow2"
    sdkflow.download_backup_disk(connection, backup, disk.id, path, fake.ca_file or "")
    assert sdkflow.finalize_backup(connection, backup).phase == types.BackupPhase.SUCCEEDED
    result = compare(path, expected)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "legacy",
    [
        pytest.param(False, id="documented"),
        pytest.param(True, marks=pytest.mark.fakeovirt(profile="engine"), id="engine legacy"),
    ],
)
def test_incremental_chain_equals_the_disk_at_the_incremental_backup(
    legacy: bool, fake: FakeOvirt, connection: sdk.Connection, tmp_path: Path
) -> None:
    require_qemu()
    _, incremental, expected = full_then_incremental(
        fake, connection, tmp_path, WRITES, legacy=legacy
    )
    result = compare(incremental, expected)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_full_alone_misses_the_guest_writes(
    fake: FakeOvirt, connection: sdk.Connection, tmp_path: Path
) -> None:
    require_qemu()
    full, _, expected = full_then_incremental(fake, connection, tmp_path, WRITES)
    assert compare(full, expected).returncode == 1


def test_incremental_download_holds_only_the_dirty_blocks(
    fake: FakeOvirt, connection: sdk.Connection, tmp_path: Path
) -> None:
    require_qemu()
    _, incremental, _ = full_then_incremental(fake, connection, tmp_path, WRITES)
    info = subprocess.run(
        ["qemu-img", "map", "--output=json", "-f", "qcow2", str(incremental)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    import json

    local = [e for e in json.loads(info) if e["depth"] == 0 and e["data"]]
    written_bytes = sum(e["length"] for e in local)
    assert written_bytes == 4 * BLOCK_SIZE  # block 0, blocks 5-6, and the tail block


def test_a_dropped_dirty_block_breaks_the_restore(
    fake: FakeOvirt, connection: sdk.Connection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Negative control: a client that loses one changed block is caught by the comparison."""
    require_qemu()
    original = TransferTicket.dirty_extents

    def lossy(self: TransferTicket) -> list[DirtyExtent]:
        extents = original(self)
        first = next(i for i, e in enumerate(extents) if e.dirty)
        dropped = extents[first]
        extents[first] = DirtyExtent(dropped.start, dropped.length, dirty=False, zero=dropped.zero)
        return extents

    monkeypatch.setattr(TransferTicket, "dirty_extents", lossy)
    _, incremental, expected = full_then_incremental(fake, connection, tmp_path, WRITES)
    assert compare(incremental, expected).returncode == 1


def test_snapshot_backup_excludes_writes_made_after_it_started(
    fake: FakeOvirt, connection: sdk.Connection, tmp_path: Path
) -> None:
    require_qemu()
    disk = fake.disk("vm-up-disk1")
    vm_id = fake.vm("vm-up").id
    before = tmp_path / "before.raw"
    sdkflow.write_raw(disk.content, before)
    backup = sdkflow.start_backup(connection, vm_id, [types.Disk(id=disk.id)])
    fake.guest_write(disk.id, 3 * BLOCK_SIZE, b"written during the backup")
    path = tmp_path / "full.qcow2"
    sdkflow.download_backup_disk(connection, backup, disk.id, path, fake.ca_file or "")
    sdkflow.finalize_backup(connection, backup)
    assert compare(path, before).returncode == 0
    # ... and the next incremental carries the write.
    after = tmp_path / "after.raw"
    sdkflow.write_raw(fake.disk("vm-up-disk1").content, after)
    inc_path = incremental_onto_full(fake, connection, tmp_path, backup.to_checkpoint_id)
    assert compare(inc_path, after).returncode == 0


def test_upload_then_download_round_trips(
    fake: FakeOvirt, connection: sdk.Connection, tmp_path: Path
) -> None:
    require_qemu()
    disk = fake.disk("vm-down-disk1")
    source = tmp_path / "source.raw"
    with source.open("wb") as out:
        out.truncate(disk.content.size)
        out.seek(BLOCK_SIZE * 9)
        out.write(b"uploaded by the user" * 1000)
    source_qcow = tmp_path / "source.qcow2"
    subprocess.run(
        ["qemu-img", "convert", "-f", "raw", "-O", "qcow2", str(source), str(source_qcow)],
        check=True,
    )
    transfer = sdkflow.create_transfer(connection, disk.id, types.ImageTransferDirection.UPLOAD)
    client.upload(str(source_qcow), transfer.transfer_url, fake.ca_file)
    sdkflow.finalize_transfer(connection, transfer)
    downloaded = tmp_path / "downloaded.qcow2"
    transfer = sdkflow.create_transfer(connection, disk.id, types.ImageTransferDirection.DOWNLOAD)
    client.download(transfer.transfer_url, str(downloaded), fake.ca_file)
    sdkflow.finalize_transfer(connection, transfer)
    result = compare(downloaded, source)
    assert result.returncode == 0, result.stdout + result.stderr


def test_disk_is_locked_during_a_plain_transfer_and_ok_after(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    disk = fake.disk("vm-down-disk1")
    disks = connection.system_service().disks_service()
    transfer = sdkflow.create_transfer(connection, disk.id, types.ImageTransferDirection.DOWNLOAD)
    assert disks.disk_service(disk.id).get().status == types.DiskStatus.LOCKED
    sdkflow.finalize_transfer(connection, transfer)
    assert disks.disk_service(disk.id).get().status == types.DiskStatus.OK
