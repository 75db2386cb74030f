"""The real ovirtsdk4, over HTTPS with fakeovirt's CA, reads the inventory like a real engine."""

from __future__ import annotations

import ovirtsdk4 as sdk
import ovirtsdk4.types as types
import pytest

from fakeovirt import FakeOvirt


def test_connection_test_passes_verifying_the_ca(fake: FakeOvirt) -> None:
    """A connection of its own: the shared one has logged in and keeps its HTTPS connection,
    so its `test()` would verify nothing anew."""
    connection = sdk.Connection(**fake.connection_kwargs())
    try:
        assert connection.test(raise_exception=True) is True
    finally:
        connection.close()


def test_api_root_reports_product_info(connection: sdk.Connection) -> None:
    api = connection.system_service().get()
    assert api.product_info.name == "oVirt Engine"
    assert api.product_info.version.major == 4
    assert api.product_info.version.minor == 5


def test_vm_list_has_the_demo_vms(connection: sdk.Connection) -> None:
    vms = connection.system_service().vms_service().list()
    names = {vm.name for vm in vms}
    assert {"vm-up", "vm-down", "vm-mixed", "vm-nofreeze", "vm-paused"} <= names
    statuses = {vm.name: vm.status for vm in vms}
    assert statuses["vm-up"] == types.VmStatus.UP
    assert statuses["vm-down"] == types.VmStatus.DOWN
    assert statuses["vm-paused"] == types.VmStatus.PAUSED


def test_search_by_name_finds_one_vm(connection: sdk.Connection) -> None:
    vms = connection.system_service().vms_service().list(search="name=vm-up")
    assert [vm.name for vm in vms] == ["vm-up"]


def test_max_caps_the_list(connection: sdk.Connection) -> None:
    vms = connection.system_service().vms_service().list(max=2)
    assert len(vms) == 2


def test_vm_get_by_id(connection: sdk.Connection, fake: FakeOvirt) -> None:
    vm_id = fake.vm("vm-up").id
    vm = connection.system_service().vms_service().vm_service(vm_id).get()
    assert (vm.id, vm.name) == (vm_id, "vm-up")


def test_disk_attachments_lead_to_disks(connection: sdk.Connection, fake: FakeOvirt) -> None:
    system = connection.system_service()
    vm_service = system.vms_service().vm_service(fake.vm("vm-up").id)
    attachments = vm_service.disk_attachments_service().list()
    assert len(attachments) == 2
    for attachment in attachments:
        assert attachment.id == attachment.disk.id
        disk = system.disks_service().disk_service(attachment.disk.id).get()
        assert disk.format == types.DiskFormat.COW
        assert disk.backup == types.DiskBackup.INCREMENTAL
        assert disk.status == types.DiskStatus.OK
        assert disk.provisioned_size > 0
    aliases = {system.disks_service().disk_service(a.disk.id).get().alias for a in attachments}
    assert aliases == {"vm-up-disk1", "vm-up-disk2"}


def test_follow_inlines_disks_of_attachments(connection: sdk.Connection, fake: FakeOvirt) -> None:
    vm = (
        connection.system_service()
        .vms_service()
        .vm_service(fake.vm("vm-mixed").id)
        .get(follow="disk_attachments.disk")
    )
    formats = sorted(a.disk.format.value for a in vm.disk_attachments)
    assert formats == ["cow", "raw"]
    assert all(a.disk.alias for a in vm.disk_attachments)


def test_storage_domain_of_a_disk(connection: sdk.Connection, fake: FakeOvirt) -> None:
    system = connection.system_service()
    disk = system.disks_service().disk_service(fake.disk("vm-up-disk1").id).get()
    domain_id = disk.storage_domains[0].id
    domain = system.storage_domains_service().storage_domain_service(domain_id).get()
    assert domain.name == "data"
    assert domain.type == types.StorageDomainType.DATA


def test_hosts_clusters_and_data_centers_are_listed(connection: sdk.Connection) -> None:
    system = connection.system_service()
    hosts = system.hosts_service().list()
    assert hosts and hosts[0].status == types.HostStatus.UP
    assert system.clusters_service().list()
    assert system.data_centers_service().list()


def test_unknown_vm_raises_not_found_with_a_fault(connection: sdk.Connection) -> None:
    with pytest.raises(sdk.NotFoundError) as caught:
        connection.system_service().vms_service().vm_service("no-such-vm").get()
    assert caught.value.code == 404
    assert caught.value.fault is not None
    assert "no-such-vm" in caught.value.fault.detail


def test_wrong_password_raises_auth_error(fake: FakeOvirt) -> None:
    conn = sdk.Connection(
        url=fake.url, username=fake.username, password="wrong", ca_file=fake.ca_file
    )
    with pytest.raises(sdk.AuthError):
        conn.test(raise_exception=True)
    conn.close(logout=False)


def test_token_stops_working_after_close(fake: FakeOvirt) -> None:
    conn = sdk.Connection(
        url=fake.url, username=fake.username, password=fake.password, ca_file=fake.ca_file
    )
    assert conn.test(raise_exception=True)
    token = conn.authenticate()
    conn.close()
    reused = sdk.Connection(url=fake.url, token=token, ca_file=fake.ca_file)
    with pytest.raises(sdk.AuthError):
        reused.system_service().get()
    reused.close(logout=False)


def test_snapshots_list_holds_the_active_snapshot(
    connection: sdk.Connection, fake: FakeOvirt
) -> None:
    vm_service = connection.system_service().vms_service().vm_service(fake.vm("vm-up").id)
    snapshots = vm_service.snapshots_service().list()
    assert [s.snapshot_type for s in snapshots] == [types.SnapshotType.ACTIVE]


def test_events_and_jobs_lists_answer(connection: sdk.Connection) -> None:
    system = connection.system_service()
    assert system.events_service().list(max=5) == []
    assert system.jobs_service().list() == []


def test_api_serves_its_schema_like_the_engine(fake: FakeOvirt) -> None:
    import base64

    auth = {"Authorization": "Basic " + base64.b64encode(b"admin@internal:fakeovirt").decode()}
    response = fake.client().get("/ovirt-engine/api?schema", headers=auth)
    assert response.status_code == 200
    assert b'<xs:element name="backup"' in response.get_data()


def test_events_from_returns_only_newer_events(connection: sdk.Connection, fake: FakeOvirt) -> None:
    disk = fake.disk("vm-up-disk1")
    backups = connection.system_service().vms_service().vm_service(fake.vm("vm-up").id)
    backups.backups_service().add(types.Backup(disks=[types.Disk(id=disk.id)]))
    events = connection.system_service().events_service()
    everything = events.list()
    assert [e.index for e in everything] == sorted((e.index for e in everything), reverse=True)
    newer = events.list(from_=everything[-1].index)
    assert [e.index for e in newer] == [e.index for e in everything[:-1]]
    assert [e.code for e in events.list(search="type=10790")] == [10790]
