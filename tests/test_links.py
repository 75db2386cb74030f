"""Links as the engine writes them, and the read-only resources they lead to: a VM's
`template` (the Blank template) and `permissions`, a host's `statistics`, a backup's
`snapshot` as an id only. The real SDK follows them as users' code does."""

from __future__ import annotations

import uuid

import ovirtsdk4 as sdk
import ovirtsdk4.types as types
import pytest

from fakeovirt import FakeOvirt
from tests import sdkflow
from tests.rawhttp import XML, call

BLANK = "00000000-0000-0000-0000-000000000000"
SUPER_USER = "00000000-0000-0000-0000-000000000001"


def test_a_vm_links_the_blank_template(fake: FakeOvirt, connection: sdk.Connection) -> None:
    vm = connection.system_service().vms_service().vm_service(fake.vm("vm-up").id).get()
    assert (vm.template.id, vm.template.href) == (BLANK, f"/ovirt-engine/api/templates/{BLANK}")
    template = connection.follow_link(vm.template)
    assert (template.name, template.description) == ("Blank", "Blank template")
    assert template.version.version_number == 1


def test_the_blank_template_is_listed_and_searchable(connection: sdk.Connection) -> None:
    templates = connection.system_service().templates_service()
    assert [t.name for t in templates.list()] == ["Blank"]
    assert [t.id for t in templates.list(search="name=Blank")] == [BLANK]
    assert templates.list(search="name=other") == []


def test_an_unknown_template_is_404(connection: sdk.Connection) -> None:
    with pytest.raises(sdk.NotFoundError):
        connection.system_service().templates_service().template_service(str(uuid.uuid4())).get()


def test_a_vms_permissions_hold_the_administrators_super_user_role(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    vm = connection.system_service().vms_service().vm_service(fake.vm("vm-up").id).get()
    assert vm.permissions.href == f"/ovirt-engine/api/vms/{vm.id}/permissions"
    (permission,) = connection.follow_link(vm.permissions)
    assert permission.role.id == SUPER_USER
    assert permission.vm.id == vm.id
    one = connection.system_service().vms_service().vm_service(vm.id).permissions_service()
    assert one.permission_service(permission.id).get().role.id == SUPER_USER


def test_a_hosts_statistics_carry_the_engines_names_and_ids(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    (host,) = connection.system_service().hosts_service().list(search="name=host-1")
    statistics = connection.follow_link(host.statistics)
    by_name = {s.name: s for s in statistics}
    assert list(by_name)[:3] == ["memory.total", "memory.used", "memory.free"]
    total = by_name["memory.total"]
    assert (total.kind, total.unit, total.type) == (
        types.StatisticKind.GAUGE,
        types.StatisticUnit.BYTES,
        types.ValueType.INTEGER,
    )
    assert total.values[0].datum == 32 * 1024**3
    # StatisticResourceUtils.asId: UUID.nameUUIDFromBytes("memory.total"), an MD5 (v3) UUID.
    assert total.id == "7816602b-c05c-3db7-a4da-3769f7ad8896"
    stat = connection.system_service().hosts_service().host_service(host.id).statistics_service()
    assert stat.statistic_service(total.id).get().name == "memory.total"


def test_follow_inlines_template_permissions_and_statistics(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    vm = (
        connection.system_service()
        .vms_service()
        .vm_service(fake.vm("vm-up").id)
        .get(follow="template,permissions,host.statistics")
    )
    assert vm.template.name == "Blank"
    assert [p.role.id for p in vm.permissions] == [SUPER_USER]
    assert "cpu.load.avg.5m" in {s.name for s in vm.host.statistics}


def test_the_backups_snapshot_is_an_id_without_a_link(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """oVirt/ovirt-engine 27a8d1c3f67 "restapi: revert snapshot link"."""
    vm_id = fake.vm("vm-up").id
    backup = sdkflow.start_backup(connection, vm_id, sdkflow.vm_disks(connection, vm_id))
    reply = call(fake, "GET", f"/vms/{vm_id}/backups/{backup.id}", None, XML)
    snapshot = reply.xml().find("snapshot")
    assert snapshot is not None
    assert snapshot.attrib == {"id": backup.snapshot.id}
    with pytest.raises(sdk.Error, match="href"):
        connection.follow_link(backup.snapshot)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/templates"),
        ("DELETE", f"/templates/{BLANK}"),
        ("POST", "/vms/{vm}/permissions"),
        ("DELETE", "/hosts/{host}/statistics"),
    ],
)
def test_the_linked_resources_are_read_only(fake: FakeOvirt, method: str, path: str) -> None:
    vm = fake.vm("vm-up")
    reply = call(fake, method, path.format(vm=vm.id, host=vm.host_id), "<x/>", XML)
    assert reply.status == 405
    assert reply.fault()[0] == "Method Not Allowed"


def test_permissions_of_an_unknown_vm_are_404(fake: FakeOvirt) -> None:
    reply = call(fake, "GET", "/vms/no-such-vm/permissions", None, XML)
    assert reply.status == 404
