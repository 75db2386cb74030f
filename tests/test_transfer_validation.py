"""`POST /imagetransfers` refused as the engine refuses it: its locks first, then
`TransferDiskImageCommand.validateImageTransfer()` (lines 192-240) in order, each with the
text (`Cannot transfer Virtual Disk…`) and status of its key; a refusal changes nothing.

Real SDK over HTTPS, except where the SDK cannot send the body (raw HTTP then).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ovirtsdk4 as sdk
import ovirtsdk4.types as types
import pytest

from fakeovirt import FakeOvirt
from tests import rawhttp, sdkflow

D = types.ImageTransferDirection


def transfers(connection: sdk.Connection) -> Any:
    return connection.system_service().image_transfers_service()


def fingerprint(fake: FakeOvirt) -> tuple[object, ...]:
    with fake.lock:
        state = fake.engine.state
        return (
            sorted(state.transfers),
            sorted(
                (d.id, d.status, tuple(sorted(d.volume_status.items())))
                for d in state.disks.values()
            ),
            len(state.events),
        )


def refused(fake: FakeOvirt, call: Callable[[], object]) -> tuple[int, str]:
    before = fingerprint(fake)
    with pytest.raises(sdk.Error) as caught:
        call()
    assert fingerprint(fake) == before
    assert caught.value.code is not None and caught.value.fault is not None
    return caught.value.code, caught.value.fault.detail


def add(connection: sdk.Connection, **kwargs: Any) -> Callable[[], object]:
    return lambda: transfers(connection).add(types.ImageTransfer(**kwargs))


def disk(fake: FakeOvirt, alias: str) -> types.Disk:
    return types.Disk(id=fake.disk(alias).id)


def snapshot_volume(fake: FakeOvirt, vm: str, alias: str) -> types.DiskSnapshot:
    taken = fake.snapshot(vm, disks=[alias])
    return types.DiskSnapshot(id=taken.images[fake.disk(alias).id])


# -- plugged to a running VM: plain transfers of the active volume only ------------------------
@pytest.mark.parametrize("direction", [D.DOWNLOAD, D.UPLOAD])
def test_a_running_vms_disk_cannot_be_transferred_plainly(
    fake: FakeOvirt, connection: sdk.Connection, direction: types.ImageTransferDirection
) -> None:
    """DiskValidator.isDiskPluggedToAnyNonDownVm (lines 148-166): 409, VM names joined."""
    call = add(
        connection, disk=disk(fake, "vm-up-disk1"), direction=direction, format=types.DiskFormat.RAW
    )
    assert refused(fake, call) == (
        409,
        "[Cannot transfer Virtual Disk. The disk vm-up-disk1 is plugged to non-Down VMs: vm-up]",
    )


def test_a_paused_vm_is_not_down_either(fake: FakeOvirt, connection: sdk.Connection) -> None:
    call = add(connection, disk=disk(fake, "vm-paused-disk1"), direction=D.DOWNLOAD)
    assert refused(fake, call)[0] == 409


def test_an_unplugged_disk_of_a_running_vm_may_be_transferred(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    with fake.lock:
        attachment = fake.vm("vm-up").attachment(fake.disk("vm-up-disk2").id)
        assert attachment is not None
        attachment.active = False
    transfer = sdkflow.create_transfer(connection, fake.disk("vm-up-disk2").id, D.DOWNLOAD)
    assert transfer.phase == types.ImageTransferPhase.TRANSFERRING


def test_a_disk_snapshot_of_a_running_vm_may_be_downloaded(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """`isDiskSnapshot()` skips the check (line 221)."""
    volume = snapshot_volume(fake, "vm-up", "vm-up-disk1")
    transfer = transfers(connection).add(types.ImageTransfer(snapshot=volume, direction=D.DOWNLOAD))
    assert transfer.image.id == fake.disk("vm-up-disk1").id


def test_the_active_volume_named_as_a_snapshot_is_still_plugged(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    active = types.DiskSnapshot(id=fake.disk("vm-up-disk1").image_id)
    assert refused(fake, add(connection, snapshot=active, direction=D.DOWNLOAD))[0] == 409


def test_a_backup_transfer_of_a_running_vms_disk_is_fine(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    vm_id = fake.vm("vm-up").id
    backup = sdkflow.start_backup(connection, vm_id, [disk(fake, "vm-up-disk1")])
    transfer = sdkflow.create_transfer(
        connection, fake.disk("vm-up-disk1").id, D.DOWNLOAD, backup_id=backup.id
    )
    assert transfer.phase == types.ImageTransferPhase.TRANSFERRING


# -- what does not exist ---------------------------------------------------------------------
def test_no_disk_image_or_snapshot_matches_no_signature(fake: FakeOvirt) -> None:
    """The generated signature detection throws a ValidationException before the engine
    (metamodel JaxrsHelperGenerator; ValidationExceptionMapper)."""
    body = "<image_transfer><direction>download</direction></image_transfer>"
    reply = rawhttp.call(fake, "POST", "/imagetransfers", body, rawhttp.XML)
    assert reply.status == 400
    assert reply.fault() == (
        "Input validation failed.",
        "No matching signature found, make sure that mandatory attributes are provided.",
    )
    assert fake.engine.state.transfers == {}


@pytest.mark.parametrize("kind", ["disk", "snapshot"])
def test_an_unknown_disk_or_disk_snapshot_is_400(
    fake: FakeOvirt, connection: sdk.Connection, kind: str
) -> None:
    """DiskValidator.isDiskExists; see docs/data-plane.md for why not the engine's 500."""
    missing = "00000000-0000-4000-8000-00000000dead"
    target = (
        {"disk": types.Disk(id=missing)}
        if kind == "disk"
        else {"snapshot": types.DiskSnapshot(id=missing)}
    )
    assert refused(fake, add(connection, direction=D.DOWNLOAD, **target)) == (
        400,
        "[Cannot transfer Virtual Disk. The specified disk does not exist.]",
    )


# -- status of the image -----------------------------------------------------------------------
def test_an_illegal_image_is_500(fake: FakeOvirt, connection: sdk.Connection) -> None:
    """ACTION_TYPE_FAILED_DISKS_ILLEGAL: ErrorType INTERNAL_ERROR."""
    with fake.lock:
        fake.disk("vm-down-disk1").status = "illegal"
    assert refused(
        fake, add(connection, disk=disk(fake, "vm-down-disk1"), direction=D.DOWNLOAD)
    ) == (
        500,
        "[Cannot transfer Virtual Disk. The following attached disks are in ILLEGAL status: "
        "vm-down-disk1 - please remove them and try again.]",
    )


def test_an_inactive_storage_domain_is_409(fake: FakeOvirt, connection: sdk.Connection) -> None:
    with fake.lock:
        domain = fake.engine.state.storage_domains[fake.disk("vm-down-disk1").storage_domain_id]
        domain.status = "maintenance"
    assert refused(
        fake, add(connection, disk=disk(fake, "vm-down-disk1"), direction=D.DOWNLOAD)
    ) == (
        409,
        "[Cannot transfer Virtual Disk. The relevant Storage Domain's status is Maintenance.]",
    )


def test_a_second_download_of_a_locked_disk_snapshot_is_409(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """Downloads share the disk and VM locks; the image is LOCKED by the first (line 679)."""
    volume = snapshot_volume(fake, "vm-up", "vm-up-disk1")
    add(connection, snapshot=volume, direction=D.DOWNLOAD)()
    assert refused(fake, add(connection, snapshot=volume, direction=D.DOWNLOAD)) == (
        409,
        "[Cannot transfer Virtual Disk: The following disks are locked: vm-up-disk1. "
        "Please try again in a few minutes.]",
    )


def test_another_snapshot_of_the_same_disk_downloads_alongside(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    first = snapshot_volume(fake, "vm-up", "vm-up-disk1")
    second = snapshot_volume(fake, "vm-up", "vm-up-disk1")
    add(connection, snapshot=first, direction=D.DOWNLOAD)()
    add(connection, snapshot=second, direction=D.DOWNLOAD)()
    assert len(fake.engine.state.transfers) == 2


# -- locks ------------------------------------------------------------------------------------
def test_an_upload_needs_the_disk_alone(fake: FakeOvirt, connection: sdk.Connection) -> None:
    """Upload: exclusive DISK lock against the download's shared one."""
    add(connection, disk=disk(fake, "vm-down-disk1"), direction=D.DOWNLOAD)()
    assert refused(fake, add(connection, disk=disk(fake, "vm-down-disk1"), direction=D.UPLOAD)) == (
        409,
        "[Cannot transfer Virtual Disk. Disk vm-down-disk1 is being transferred.]",
    )


@pytest.mark.parametrize("use_active", [False, True])
def test_a_running_backup_holds_its_vms_disks(
    fake: FakeOvirt, connection: sdk.Connection, use_active: bool
) -> None:
    """HybridBackupCommand and StartVmBackupCommand take exclusive DISK_IS_LOCKED locks."""
    vm_id = fake.vm("vm-down").id
    sdkflow.backups_service(connection, vm_id).add(
        types.Backup(disks=[disk(fake, "vm-down-disk1")]), use_active=use_active
    )
    assert refused(
        fake, add(connection, disk=disk(fake, "vm-down-disk1"), direction=D.DOWNLOAD)
    ) == (
        409,
        "[Cannot transfer Virtual Disk: Disk is locked. Please try again later.]",
    )


def test_an_upload_into_a_disk_snapshot_is_refused_by_fakeovirt(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """fakeovirt does not model writing into a frozen volume (docs/data-plane.md)."""
    volume = snapshot_volume(fake, "vm-down", "vm-down-disk1")
    code, detail = refused(fake, add(connection, snapshot=volume, direction=D.UPLOAD))
    assert code == 400
    assert "does not model an upload into disk snapshot" in detail
