"""Creating and removing disks through the real SDK, with the engine's rules.

Sources: REST `BackendDisksResource.add:34-100` (`validateParameters(disk, 2,
"provisionedSize", "format")`, domains by name), BLL `storage/disk/AddDiskCommand.java:151-330`,
`image/ImagesHandler.java:537-543` (configurations), `validator/storage/StorageDomainValidator.
java` (free space), `storage/disk/RemoveDiskCommand.java:143-402`; texts AppErrors.properties.
"""

from __future__ import annotations

import ovirtsdk4 as sdk
import ovirtsdk4.types as types
import pytest

from fakeovirt import FakeOvirt, TransitionPolicy
from tests.restoretools import refused, unchanged

GiB = 1 << 30
WITH_BLOCK_STORAGE = {
    "storage_domains": [
        {"name": "data", "storage": "nfs"},
        {"name": "block", "storage": "iscsi"},
        {"name": "isos", "type": "iso", "storage": "nfs"},
        {"name": "small", "storage": "nfs", "available": 3 * GiB},
    ],
    "vms": [
        {"name": "vm-up", "status": "up", "disks": [{"alias": "vm-up-disk1"}]},
        {"name": "vm-down", "status": "down", "disks": [{"alias": "vm-down-disk1"}]},
    ],
}


def disks(connection: sdk.Connection) -> sdk.services.DisksService:
    return connection.system_service().disks_service()


def new_disk(**members: object) -> types.Disk:
    values: dict[str, object] = {
        "name": "mydisk",
        "format": types.DiskFormat.COW,
        "provisioned_size": GiB,
        "storage_domains": [types.StorageDomain(name="data")],
    }
    values.update(members)
    return types.Disk(**values)  # type: ignore[arg-type]


@pytest.mark.fakeovirt(policy="reads:1")
def test_a_floating_disk_is_locked_until_read_then_ok(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """AddDisk leaves a VDSM task: 202 with the disk `locked` (`fetchCreatedEntity`); the
    engine's policy ends the creation (events 2020 then 2021)."""
    disk = disks(connection).add(new_disk(description="My disk"))
    assert disk.status == types.DiskStatus.LOCKED
    assert (disk.name, disk.alias, disk.description) == ("mydisk", "mydisk", "My disk")
    assert disk.provisioned_size == GiB and disk.sparse is True
    assert disk.format == types.DiskFormat.COW and disk.backup == types.DiskBackup.NONE
    assert fake.journal.requests("POST /disks")[-1].status == 202
    assert disks(connection).disk_service(disk.id).get().status == types.DiskStatus.OK
    codes = [e.code for e in fake.events() if e.description.find("mydisk") >= 0]
    assert codes == [2020, 2021]


def test_expect_201_created_waits_for_the_disk(fake: FakeOvirt, connection: sdk.Connection) -> None:
    """`Expect: 201-created` blocks until the tasks end: 201 + Location, status ok."""
    fake.policy = TransitionPolicy.after_seconds(60)
    disk = disks(connection).add(new_disk(), headers={"Expect": "201-created"})
    assert disk.status == types.DiskStatus.OK
    answer = fake.journal.requests("POST /disks")[-1]
    assert answer.status == 201


def test_a_disk_ends_its_creation_on_the_engine_clock(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    fake.policy = TransitionPolicy.after_seconds(10)
    disk = disks(connection).add(new_disk())
    service = disks(connection).disk_service(disk.id)
    assert service.get().status == types.DiskStatus.LOCKED
    fake.advance(10)
    assert service.get().status == types.DiskStatus.OK


def test_a_client_chosen_disk_id_is_kept(fake: FakeOvirt, connection: sdk.Connection) -> None:
    """upload_disk.py --disk-id sends `<disk id>`: `params.setUsePassedDiskId(true)`."""
    chosen = "11111111-2222-4333-8444-555555555555"
    disk = disks(connection).add(new_disk(id=chosen))
    assert disk.id == chosen
    assert fake.engine.state.disks[chosen].alias == "mydisk"


def test_a_disk_without_a_name_is_called_disk1(fake: FakeOvirt, connection: sdk.Connection) -> None:
    """ImagesHandler.getSuggestedDiskAlias: `"" + "_Disk" + 1` for a floating disk."""
    disk = disks(connection).add(new_disk(name=None))
    assert disk.alias == "_Disk1"


def test_missing_size_and_format_are_incomplete_parameters(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    with unchanged(fake):
        refusal = refused(lambda: disks(connection).add(types.Disk(name="x")))
    assert refusal.status == 400 and refusal.reason == "Incomplete parameters"
    assert refusal.detail == "Disk [provisionedSize, format] required for add"
    only = refused(lambda: disks(connection).add(new_disk(format=None)))
    assert only.detail == "Disk [format] required for add"


def test_an_unknown_storage_domain_name_is_404(fake: FakeOvirt, connection: sdk.Connection) -> None:
    """`getStorageDomainId`: `notFound(storageName)`: 404 `Entity not found: <name>`."""
    with unchanged(fake):
        refusal = refused(
            lambda: disks(connection).add(
                new_disk(storage_domains=[types.StorageDomain(name="nope")])
            )
        )
    assert (refusal.status, refusal.detail) == (404, "Entity not found: nope")


@pytest.mark.fakeovirt(scenario=WITH_BLOCK_STORAGE)
@pytest.mark.parametrize(
    ("members", "status", "detail"),
    [
        (
            {"storage_domains": None},
            400,
            "Cannot add Virtual Disk. Storage Domain hasn't been specified.",
        ),
        (
            {"sparse": False},
            409,
            "Cannot add Virtual Disk. Disk configuration (COW Preallocated backup-None) is "
            "incompatible with the storage domain type.",
        ),
        (
            {"format": types.DiskFormat.RAW, "backup": types.DiskBackup.INCREMENTAL},
            409,
            "Cannot add Virtual Disk. Disk configuration (RAW Sparse backup-Incremental) is "
            "incompatible with the storage domain type.",
        ),
        (
            {
                "format": types.DiskFormat.RAW,
                "storage_domains": [types.StorageDomain(name="block")],
            },
            409,
            "Cannot add Virtual Disk. Disk configuration (RAW Sparse backup-None) is "
            "incompatible with the storage domain type.",
        ),
        (
            {"storage_domains": [types.StorageDomain(name="isos")]},
            400,
            "Cannot add Virtual Disk. Storage Domain type is illegal.",
        ),
        (
            {"storage_domains": [types.StorageDomain(name="small")]},
            409,
            "Cannot add Virtual Disk. Low disk space on Storage Domain small.",
        ),
        (
            {
                "provisioned_size": 8193 * GiB,
                "storage_domains": [types.StorageDomain(name="block")],
            },
            409,
            "Cannot create disk more than 8192 GiB",
        ),
        (
            {"shareable": True},
            409,
            "Cannot add Virtual Disk. Disk's volume format is not supported for shareable disk.",
        ),
        (
            {"provisioned_size": 0},
            400,
            "Cannot add Virtual Disk. Disk's provisioned size has to be greater than 0.",
        ),
    ],
)
def test_add_disk_refusals(
    fake: FakeOvirt,
    connection: sdk.Connection,
    members: dict[str, object],
    status: int,
    detail: str,
) -> None:
    """checkIfImageDiskCanBeAdded (AddDiskCommand.java:287-319) and validateDiskSize."""
    with unchanged(fake):
        refusal = refused(lambda: disks(connection).add(new_disk(**members)))
    assert (refusal.status, refusal.detail) == (status, detail)


def test_a_used_disk_id_is_refused_naming_its_disk(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    existing = fake.disk("vm-up-disk1")
    with unchanged(fake):
        refusal = refused(lambda: disks(connection).add(new_disk(id=existing.id)))
    assert refusal.status == 409
    assert refusal.detail == (
        f"Cannot add Virtual Disk. The selected disk ID: {existing.id} is already used by the "
        "following existing disk: vm-up-disk1."
    )


def test_a_used_image_id_is_refused(fake: FakeOvirt, connection: sdk.Connection) -> None:
    image = fake.disk("vm-up-disk1").image_id
    with unchanged(fake):
        refusal = refused(lambda: disks(connection).add(new_disk(image_id=image)))
    assert (refusal.status, refusal.detail) == (
        409,
        "Cannot add Virtual Disk. One of the Template Images already exists.",
    )


@pytest.mark.fakeovirt(scenario=WITH_BLOCK_STORAGE)
def test_a_new_disk_takes_space_on_its_domain(fake: FakeOvirt, connection: sdk.Connection) -> None:
    """StorageDomainValidator.getTotalSizeForNewDisks: a preallocated disk takes its size, a
    thin qcow2 on block storage 1 GiB, on file storage 1 MiB."""
    domains = connection.system_service().storage_domains_service()
    block = domains.list(search="name=block")[0]
    before = block.available
    disks(connection).add(
        new_disk(storage_domains=[types.StorageDomain(name="block")], provisioned_size=10 * GiB)
    )
    assert domains.storage_domain_service(block.id).get().available == before - GiB
    raw = new_disk(format=types.DiskFormat.RAW, sparse=False, provisioned_size=2 * GiB)
    data = domains.list(search="name=data")[0]
    disks(connection).add(raw)
    assert domains.storage_domain_service(data.id).get().available == data.available - 2 * GiB


def test_remove_a_floating_disk(fake: FakeOvirt, connection: sdk.Connection) -> None:
    """RemoveDisk: event 2014 at once; the disk is `locked` until its volumes are gone."""
    disk = disks(connection).add(new_disk())
    fake.policy = TransitionPolicy.after_seconds(5)
    service = disks(connection).disk_service(disk.id)
    service.remove()
    assert service.get().status == types.DiskStatus.LOCKED
    assert fake.events()[-1].code == 2014
    assert fake.events()[-1].description == (
        "Disk mydisk was successfully removed from domain data (User admin@internal)."
    )
    fake.advance(5)
    with pytest.raises(sdk.NotFoundError):
        service.get()


def test_a_plugged_disk_of_a_running_vm_cannot_be_removed(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    disk = fake.disk("vm-up-disk1")
    with unchanged(fake):
        refusal = refused(lambda: disks(connection).disk_service(disk.id).remove())
    assert (refusal.status, refusal.detail) == (
        409,
        "Cannot remove Virtual Disk. At least one of the VMs is not down.",
    )


def test_a_disk_of_a_down_vm_is_removed_with_its_attachment(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    disk = fake.disk("vm-down-disk1")
    disks(connection).disk_service(disk.id).remove()
    assert disk.id not in fake.engine.state.disks
    assert fake.vm("vm-down").attachments == []
    assert fake.events()[-1].code == 2042  # "associated to the VMs vm-down"


def test_a_disk_being_uploaded_cannot_be_removed(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """The upload's exclusive DISK lock (TransferDiskImageCommand.getExclusiveLocks)."""
    disk = disks(connection).add(new_disk())
    transfers = connection.system_service().image_transfers_service()
    transfers.add(
        types.ImageTransfer(
            disk=types.Disk(id=disk.id), direction=types.ImageTransferDirection.UPLOAD
        )
    )
    with unchanged(fake):
        refusal = refused(lambda: disks(connection).disk_service(disk.id).remove())
    assert (refusal.status, refusal.detail) == (
        409,
        "Cannot remove Virtual Disk. Disk mydisk is being transferred.",
    )


def test_a_disk_in_a_legacy_backup_cannot_be_removed(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """StartVmBackup holds an exclusive DISK lock per disk (DISK_IS_LOCKED)."""
    vm = fake.vm("vm-down")
    disk = fake.disk("vm-down-disk1")
    backups = connection.system_service().vms_service().vm_service(vm.id).backups_service()
    backups.add(types.Backup(disks=[types.Disk(id=disk.id)]), use_active=True)
    with unchanged(fake):
        refusal = refused(lambda: disks(connection).disk_service(disk.id).remove())
    assert (refusal.status, refusal.detail) == (
        409,
        "Cannot remove Virtual Disk: Disk is locked. Please try again later.",
    )


def test_storage_domain_disks_lists_and_removes(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """delete_disks.py: `/storagedomains/{sd}/disks` (GET, DELETE)."""
    first = disks(connection).add(new_disk(name="a", description="Created by add_disks.py"))
    domains = connection.system_service().storage_domains_service()
    domain = domains.list(search="name=data")[0]
    sd_disks = domains.storage_domain_service(domain.id).disks_service()
    listed = {d.id: d.description for d in sd_disks.list()}
    assert listed[first.id] == "Created by add_disks.py"
    assert fake.disk("vm-down-disk1").id in listed
    sd_disks.disk_service(first.id).remove()
    assert first.id not in {d.id for d in sd_disks.list()}


def test_an_unknown_disk_is_404_on_delete(fake: FakeOvirt, connection: sdk.Connection) -> None:
    with unchanged(fake):
        refusal = refused(lambda: disks(connection).disk_service("nope").remove())
    assert refusal.status == 404
