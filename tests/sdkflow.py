"""A backup client written the way users write theirs: the real ovirtsdk4 and imageio client.

It follows examples/backup_vm.py from the SDK, minus the sleeps: the engine's transition
policy decides when phases move, so polling loops end without waiting on wall time.
"""

from __future__ import annotations

from pathlib import Path

import ovirtsdk4 as sdk
import ovirtsdk4.types as types
from ovirt_imageio import client

from fakeovirt.core.content import ContentView, DiskContent

MAX_POLLS = 50


def vm_disks(connection: sdk.Connection, vm_id: str) -> list[types.Disk]:
    system = connection.system_service()
    attachments = system.vms_service().vm_service(vm_id).disk_attachments_service().list()
    return [system.disks_service().disk_service(a.disk.id).get() for a in attachments]


def backups_service(connection: sdk.Connection, vm_id: str) -> sdk.services.VmBackupsService:
    return connection.system_service().vms_service().vm_service(vm_id).backups_service()


def start_backup(
    connection: sdk.Connection,
    vm_id: str,
    disks: list[types.Disk],
    *,
    from_checkpoint_id: str | None = None,
    **query: object,
) -> types.Backup:
    """Start a backup and poll until it is ready; keyword arguments go to `add()`
    (`require_consistency=True`, or `query={"legacy": "true"}` for the active volume)."""
    service = backups_service(connection, vm_id)
    backup = service.add(types.Backup(disks=disks, from_checkpoint_id=from_checkpoint_id), **query)
    backup_service = service.backup_service(backup.id)
    for _ in range(MAX_POLLS):
        if backup.phase == types.BackupPhase.READY:
            return backup
        if backup.phase == types.BackupPhase.FAILED:
            raise RuntimeError(f"backup {backup.id} failed")
        backup = backup_service.get()
    raise RuntimeError(f"backup {backup.id} never became ready: {backup.phase}")


def finalize_backup(connection: sdk.Connection, backup: types.Backup) -> types.Backup:
    backup_service = backups_service(connection, backup.vm.id).backup_service(backup.id)
    backup_service.finalize()
    for _ in range(MAX_POLLS):
        backup = backup_service.get()
        if backup.phase in (types.BackupPhase.SUCCEEDED, types.BackupPhase.FAILED):
            return backup
    raise RuntimeError(f"backup {backup.id} never finished: {backup.phase}")


def create_transfer(
    connection: sdk.Connection,
    disk_id: str,
    direction: types.ImageTransferDirection,
    *,
    backup_id: str | None = None,
) -> types.ImageTransfer:
    """As examples/helpers/imagetransfer.py: add, poll until transferring, read the host."""
    transfers = connection.system_service().image_transfers_service()
    transfer = transfers.add(
        types.ImageTransfer(
            disk=types.Disk(id=disk_id),
            backup=types.Backup(id=backup_id) if backup_id else None,
            direction=direction,
            format=types.DiskFormat.RAW,
            inactivity_timeout=120,
            timeout_policy=types.ImageTransferTimeoutPolicy.CANCEL,
        )
    )
    service = transfers.image_transfer_service(transfer.id)
    for _ in range(MAX_POLLS):
        if transfer.phase == types.ImageTransferPhase.TRANSFERRING:
            break
        if transfer.phase != types.ImageTransferPhase.INITIALIZING:
            raise RuntimeError(f"unexpected transfer phase {transfer.phase}")
        transfer = service.get()
    host = connection.follow_link(transfer.host)
    assert host.name
    return transfer


def finalize_transfer(connection: sdk.Connection, transfer: types.ImageTransfer) -> None:
    service = (
        connection.system_service().image_transfers_service().image_transfer_service(transfer.id)
    )
    service.finalize()
    for _ in range(MAX_POLLS):
        transfer = service.get()
        if transfer.phase == types.ImageTransferPhase.FINISHED_SUCCESS:
            return
        if transfer.phase == types.ImageTransferPhase.FINISHED_FAILURE:
            raise RuntimeError(f"transfer {transfer.id} failed")
    raise RuntimeError(f"transfer {transfer.id} never finished")


def download_backup_disk(
    connection: sdk.Connection,
    backup: types.Backup,
    disk_id: str,
    path: Path,
    ca_file: str,
    *,
    incremental: bool = False,
    backing_file: Path | None = None,
) -> None:
    transfer = create_transfer(
        connection, disk_id, types.ImageTransferDirection.DOWNLOAD, backup_id=backup.id
    )
    try:
        client.download(
            transfer.transfer_url,
            str(path),
            ca_file,
            incremental=incremental,
            proxy_url=transfer.proxy_url,
            backing_file=str(backing_file) if backing_file else None,
            backing_format="qcow2" if backing_file else None,
        )
    finally:
        finalize_transfer(connection, transfer)


def write_raw(content: DiskContent | ContentView, path: Path) -> None:
    """The content as a sparse raw image, for qemu-img compare."""
    with path.open("wb") as out:
        out.truncate(content.size)
        for extent in content.zero_extents():
            if not extent.zero:
                out.seek(extent.start)
                out.write(content.read(extent.start, extent.length))
