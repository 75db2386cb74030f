"""Image transfer validation, phases, tickets and cleanup, as the engine does them."""

from __future__ import annotations

import ssl
import urllib.error
import urllib.request

import ovirtsdk4 as sdk
import ovirtsdk4.types as types
import pytest

from fakeovirt import FakeOvirt, TransitionPolicy
from tests import sdkflow


def transfers(connection: sdk.Connection) -> sdk.services.ImageTransfersService:
    return connection.system_service().image_transfers_service()


def add(connection: sdk.Connection, **kwargs: object) -> types.ImageTransfer:
    return transfers(connection).add(types.ImageTransfer(**kwargs))


def ready_backup(fake: FakeOvirt, connection: sdk.Connection, vm: str = "vm-up") -> types.Backup:
    disks = [types.Disk(id=d.id) for d in sdkflow.vm_disks(connection, fake.vm(vm).id)]
    return sdkflow.start_backup(connection, fake.vm(vm).id, disks)


def fault_of(call: object) -> sdk.Error:
    with pytest.raises(sdk.Error) as caught:
        call()  # type: ignore[operator]
    return caught.value


def test_unknown_backup_is_400(fake: FakeOvirt, connection: sdk.Connection) -> None:
    error = fault_of(
        lambda: add(
            connection,
            disk=types.Disk(id=fake.disk("vm-up-disk1").id),
            backup=types.Backup(id="nope"),
            direction=types.ImageTransferDirection.DOWNLOAD,
        )
    )
    assert error.code == 400
    assert error.fault.detail == (
        "[Cannot transfer Virtual Disk. The specified VM backup does not exist.]"
    )


def test_backup_not_ready_is_409_with_the_engine_phase_name(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    fake.engine.policy = TransitionPolicy.after_reads(1)
    disk = fake.disk("vm-up-disk1")
    backup = sdkflow.backups_service(connection, fake.vm("vm-up").id).add(
        types.Backup(disks=[types.Disk(id=disk.id)])
    )
    error = fault_of(
        lambda: add(
            connection,
            disk=types.Disk(id=disk.id),
            backup=types.Backup(id=backup.id),
            direction=types.ImageTransferDirection.DOWNLOAD,
            format=types.DiskFormat.RAW,
        )
    )
    assert error.code == 409
    assert error.fault.detail == (
        "[Cannot transfer Virtual Disk. The VM backup is not in READY phase, "
        "backup phase is INITIALIZING.]"
    )


def test_cow_format_for_a_backup_is_400(fake: FakeOvirt, connection: sdk.Connection) -> None:
    backup = ready_backup(fake, connection)
    error = fault_of(
        lambda: add(
            connection,
            disk=types.Disk(id=fake.disk("vm-up-disk1").id),
            backup=types.Backup(id=backup.id),
            direction=types.ImageTransferDirection.DOWNLOAD,
            format=types.DiskFormat.COW,
        )
    )
    assert (error.code, error.fault.detail) == (
        400,
        "[Cannot transfer Virtual Disk. The specified format is not applicable for VM backup.]",
    )


def test_upload_into_a_backup_is_400(fake: FakeOvirt, connection: sdk.Connection) -> None:
    backup = ready_backup(fake, connection)
    error = fault_of(
        lambda: add(
            connection,
            disk=types.Disk(id=fake.disk("vm-up-disk1").id),
            backup=types.Backup(id=backup.id),
            direction=types.ImageTransferDirection.UPLOAD,
            format=types.DiskFormat.RAW,
        )
    )
    assert error.code == 400
    assert "can only be downloaded" in error.fault.detail


def test_disk_outside_the_backup_is_400(fake: FakeOvirt, connection: sdk.Connection) -> None:
    backup = ready_backup(fake, connection)
    error = fault_of(
        lambda: add(
            connection,
            disk=types.Disk(id=fake.disk("vm-down-disk1").id),
            backup=types.Backup(id=backup.id),
            direction=types.ImageTransferDirection.DOWNLOAD,
            format=types.DiskFormat.RAW,
        )
    )
    assert error.code == 400
    assert "is not part of VM backup" in error.fault.detail


def test_backup_with_an_active_transfer_cannot_be_finalized(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    backup = ready_backup(fake, connection)
    disk_id = fake.disk("vm-up-disk1").id
    transfer = sdkflow.create_transfer(
        connection, disk_id, types.ImageTransferDirection.DOWNLOAD, backup_id=backup.id
    )
    service = sdkflow.backups_service(connection, backup.vm.id).backup_service(backup.id)
    error = fault_of(service.finalize)
    assert (error.code, error.fault.detail) == (
        409,
        "[Cannot stop VM backup. There is an active image transfer for VM backup]",
    )
    sdkflow.finalize_transfer(connection, transfer)
    assert sdkflow.finalize_backup(connection, backup).phase == types.BackupPhase.SUCCEEDED


def test_phases_of_a_download_under_a_per_read_policy(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    backup = ready_backup(fake, connection)
    fake.engine.policy = TransitionPolicy.after_reads(1)
    transfer = add(
        connection,
        disk=types.Disk(id=fake.disk("vm-up-disk1").id),
        backup=types.Backup(id=backup.id),
        direction=types.ImageTransferDirection.DOWNLOAD,
        format=types.DiskFormat.RAW,
    )
    service = transfers(connection).image_transfer_service(transfer.id)
    seen = [transfer.phase, service.get().phase]
    assert transfer.transfer_url is None
    service.finalize()
    seen += [service.get().phase, service.get().phase]
    assert seen == [
        types.ImageTransferPhase.INITIALIZING,
        types.ImageTransferPhase.TRANSFERRING,
        types.ImageTransferPhase.FINALIZING_SUCCESS,
        types.ImageTransferPhase.FINISHED_SUCCESS,
    ]


def test_transfer_document_carries_what_clients_read(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    backup = ready_backup(fake, connection)
    disk_id = fake.disk("vm-up-disk1").id
    transfer = sdkflow.create_transfer(
        connection, disk_id, types.ImageTransferDirection.DOWNLOAD, backup_id=backup.id
    )
    assert transfer.image.id == disk_id
    assert transfer.transfer_url.startswith(fake.origin + "/images/")
    assert transfer.proxy_url == transfer.transfer_url
    assert transfer.direction == types.ImageTransferDirection.DOWNLOAD
    assert transfer.format == types.DiskFormat.RAW
    assert transfer.inactivity_timeout == 120
    assert transfer.timeout_policy == types.ImageTransferTimeoutPolicy.CANCEL
    assert transfer.shallow is False
    assert transfer.transferred == 0


def test_pausing_a_download_is_400(fake: FakeOvirt, connection: sdk.Connection) -> None:
    disk_id = fake.disk("vm-down-disk1").id
    transfer = sdkflow.create_transfer(connection, disk_id, types.ImageTransferDirection.DOWNLOAD)
    error = fault_of(transfers(connection).image_transfer_service(transfer.id).pause)
    assert error.code == 400
    assert error.fault.detail.startswith("[Cannot pause image download")


def test_pause_and_resume_an_upload(fake: FakeOvirt, connection: sdk.Connection) -> None:
    disk_id = fake.disk("vm-down-disk1").id
    transfer = sdkflow.create_transfer(connection, disk_id, types.ImageTransferDirection.UPLOAD)
    service = transfers(connection).image_transfer_service(transfer.id)
    service.pause()
    assert service.get().phase == types.ImageTransferPhase.PAUSED_USER
    service.resume()
    assert service.get().phase == types.ImageTransferPhase.TRANSFERRING
    error = fault_of(service.resume)
    assert error.code == 409


def test_cancel_ends_in_finished_failure_and_the_ticket_is_gone(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    disk_id = fake.disk("vm-down-disk1").id
    transfer = sdkflow.create_transfer(connection, disk_id, types.ImageTransferDirection.DOWNLOAD)
    service = transfers(connection).image_transfer_service(transfer.id)
    service.cancel()
    assert service.get().phase == types.ImageTransferPhase.FINISHED_FAILURE
    context = ssl.create_default_context(cafile=fake.ca_file)
    request = urllib.request.Request(transfer.transfer_url, headers={"Range": "bytes=0-511"})
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, context=context)
    assert caught.value.code == 403
    codes = [e.code for e in connection.system_service().events_service().list(search=transfer.id)]
    assert codes == [1033, 1031]


def test_finished_transfers_are_cleaned_up_after_15_minutes(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    disk_id = fake.disk("vm-down-disk1").id
    transfer = sdkflow.create_transfer(connection, disk_id, types.ImageTransferDirection.DOWNLOAD)
    sdkflow.finalize_transfer(connection, transfer)
    service = transfers(connection).image_transfer_service(transfer.id)
    fake.advance(15 * 60 - 1)
    assert service.get().phase == types.ImageTransferPhase.FINISHED_SUCCESS
    fake.advance(1)
    with pytest.raises(sdk.NotFoundError):
        service.get()


def test_transfers_list_shows_the_transfer(fake: FakeOvirt, connection: sdk.Connection) -> None:
    disk_id = fake.disk("vm-down-disk1").id
    transfer = sdkflow.create_transfer(connection, disk_id, types.ImageTransferDirection.DOWNLOAD)
    assert [t.id for t in transfers(connection).list()] == [transfer.id]


def test_a_backup_transfer_events_are_found_by_the_backup_id(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    backup = ready_backup(fake, connection)
    transfer = sdkflow.create_transfer(
        connection,
        fake.disk("vm-up-disk1").id,
        types.ImageTransferDirection.DOWNLOAD,
        backup_id=backup.id,
    )
    sdkflow.finalize_transfer(connection, transfer)
    codes = [e.code for e in connection.system_service().events_service().list(search=backup.id)]
    assert codes[:2] == [1032, 1031]


def test_extend_keeps_a_transfer_alive_and_is_refused_once_finished(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    disk_id = fake.disk("vm-down-disk1").id
    transfer = sdkflow.create_transfer(connection, disk_id, types.ImageTransferDirection.DOWNLOAD)
    service = transfers(connection).image_transfer_service(transfer.id)
    service.extend()
    assert service.get().phase == types.ImageTransferPhase.TRANSFERRING
    sdkflow.finalize_transfer(connection, transfer)
    error = fault_of(service.extend)
    assert error.code == 400
    assert "finished_success" in error.fault.detail


@pytest.mark.parametrize(
    "direction, policy, phase, code",
    [
        ("download", "legacy", types.ImageTransferPhase.FINISHED_FAILURE, 1072),
        ("upload", "legacy", types.ImageTransferPhase.PAUSED_SYSTEM, 1071),
        ("download", "cancel", types.ImageTransferPhase.FINISHED_FAILURE, 1076),
        ("download", "pause", types.ImageTransferPhase.PAUSED_SYSTEM, 1077),
    ],
)
def test_an_idle_client_meets_the_inactivity_timeout_policy(
    fake: FakeOvirt,
    connection: sdk.Connection,
    direction: str,
    policy: str,
    phase: types.ImageTransferPhase,
    code: int,
) -> None:
    transfer = add(
        connection,
        disk=types.Disk(id=fake.disk("vm-down-disk1").id),
        direction=types.ImageTransferDirection(direction),
        format=types.DiskFormat.RAW,
        inactivity_timeout=30,
        timeout_policy=types.ImageTransferTimeoutPolicy(policy),
    )
    service = transfers(connection).image_transfer_service(transfer.id)
    fake.advance(29)
    assert service.get().phase == types.ImageTransferPhase.TRANSFERRING
    fake.advance(1)
    assert service.get().phase == phase
    events = connection.system_service().events_service().list(search=transfer.id)
    assert code in [e.code for e in events]


def test_reading_the_ticket_keeps_a_transfer_alive(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    disk_id = fake.disk("vm-down-disk1").id
    transfer = sdkflow.create_transfer(connection, disk_id, types.ImageTransferDirection.DOWNLOAD)
    context = ssl.create_default_context(cafile=fake.ca_file)
    service = transfers(connection).image_transfer_service(transfer.id)
    for _ in range(3):
        fake.advance(100)  # inactivity_timeout is 120 in create_transfer
        request = urllib.request.Request(transfer.transfer_url, headers={"Range": "bytes=0-511"})
        with urllib.request.urlopen(request, context=context) as response:
            assert response.status == 206
    assert service.get().phase == types.ImageTransferPhase.TRANSFERRING


def test_a_paused_transfer_resumes_and_the_timer_restarts(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    transfer = add(
        connection,
        disk=types.Disk(id=fake.disk("vm-down-disk1").id),
        direction=types.ImageTransferDirection.UPLOAD,
        inactivity_timeout=30,
        timeout_policy=types.ImageTransferTimeoutPolicy.PAUSE,
    )
    service = transfers(connection).image_transfer_service(transfer.id)
    fake.advance(30)
    assert service.get().phase == types.ImageTransferPhase.PAUSED_SYSTEM
    service.resume()
    assert service.get().phase == types.ImageTransferPhase.TRANSFERRING
    fake.advance(29)
    assert service.get().phase == types.ImageTransferPhase.TRANSFERRING
