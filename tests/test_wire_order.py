"""Request bodies as the engine reads them: any member order, values by the model's parsers.

The engine reads XML with plain JAXB and no schema (`RESTAPI/xml/JAXBProvider.java`), so
member order is free; unknown elements are refused with the usage fault
(`IOExceptionMapper`, `UsageFinder`); integers, booleans and enums go through
`IntegerParser`, `BooleanParser` and the enums' `fromValue` (`Invalid value` faults).
Responses keep the SDK's (schema) order. Raw HTTPS, as curl users send bodies.
"""

from __future__ import annotations

import pytest

from fakeovirt import FakeOvirt
from fakeovirt.web.schema import members, root_member
from tests.rawhttp import XML, call

USAGE = "For correct usage, see: {origin}/ovirt-engine/apidoc#services/{service}/methods/{method}"


def disk_refs(fake: FakeOvirt, vm: str) -> str:
    return "".join(f'<disk id="{a.disk_id}"/>' for a in fake.vm(vm).attachments)


def ready_backup(fake: FakeOvirt) -> tuple[str, str]:
    """A ready backup of vm-up (the fixture's policy is immediate): (backup id, disk id)."""
    vm = fake.vm("vm-up")
    body = f"<backup><disks>{disk_refs(fake, 'vm-up')}</disks></backup>"
    reply = call(fake, "POST", f"/vms/{vm.id}/backups", body, XML)
    assert reply.status == 201, reply.body
    return reply.xml().get("id") or "", vm.attachments[0].disk_id


def test_a_backup_with_disks_before_description_is_accepted(fake: FakeOvirt) -> None:
    vm = fake.vm("vm-up")
    disks = disk_refs(fake, "vm-up")
    body = f"<backup><disks>{disks}</disks><description>nightly</description></backup>"
    reply = call(fake, "POST", f"/vms/{vm.id}/backups", body, XML)
    assert reply.status == 201, reply.body
    assert reply.xml().findtext("description") == "nightly"


def test_a_transfer_with_disk_before_backup_and_direction_last_is_accepted(
    fake: FakeOvirt,
) -> None:
    backup_id, disk_id = ready_backup(fake)
    body = (
        f'<image_transfer><format>raw</format><disk id="{disk_id}"/>'
        f'<backup id="{backup_id}"/><direction>download</direction></image_transfer>'
    )
    reply = call(fake, "POST", "/imagetransfers", body, XML)
    assert reply.status == 201, reply.body
    transfer = reply.xml()
    assert transfer.findtext("direction") == "download"
    assert transfer.findtext("format") == "raw"


def test_responses_keep_the_schema_order(fake: FakeOvirt) -> None:
    """The SDK's order: `actions`, `link`s, then the members as `schemas/api.xsd` lists them."""
    backup_id, _ = ready_backup(fake)
    reply = call(fake, "GET", f"/vms/{fake.vm('vm-up').id}/backups/{backup_id}", None, XML)
    tags = [child.tag for child in reply.xml()]
    backup = root_member("backup")
    assert backup is not None
    order = members(backup)
    assert tags == sorted(tags, key=lambda tag: order[tag].order)


def test_of_a_repeated_member_the_last_one_counts(fake: FakeOvirt) -> None:
    """JAXB calls the setter once per element: the last `<description>` stays."""
    vm = fake.vm("vm-up")
    body = (
        f"<backup><description>first</description><disks>{disk_refs(fake, 'vm-up')}</disks>"
        "<description>second</description></backup>"
    )
    reply = call(fake, "POST", f"/vms/{vm.id}/backups", body, XML)
    assert reply.status == 201, reply.body
    assert reply.xml().findtext("description") == "second"


def test_an_unknown_attribute_is_ignored(fake: FakeOvirt) -> None:
    vm = fake.vm("vm-up")
    body = f'<backup colour="red"><disks>{disk_refs(fake, "vm-up")}</disks></backup>'
    assert call(fake, "POST", f"/vms/{vm.id}/backups", body, XML).status == 201


def test_an_unknown_element_is_the_usage_fault(fake: FakeOvirt) -> None:
    """As reported in oVirt/ovirt-engine#838 (`<id>` as an element of `<vm>`)."""
    vm = fake.vm("vm-up")
    body = f"<backup><id>x</id><disks>{disk_refs(fake, 'vm-up')}</disks></backup>"
    reply = call(fake, "POST", f"/vms/{vm.id}/backups", body, XML)
    assert reply.status == 400
    assert reply.fault() == (
        "Request syntactically incorrect.",
        USAGE.format(origin=fake.origin, service="vm_backups", method="add"),
    )
    assert not fake.engine.state.backups


def test_an_unknown_element_in_an_action_names_the_action(fake: FakeOvirt) -> None:
    backup_id, _ = ready_backup(fake)
    path = f"/vms/{fake.vm('vm-up').id}/backups/{backup_id}/finalize"
    reply = call(fake, "POST", path, "<action><colour>red</colour></action>", XML)
    assert reply.status == 400
    assert reply.fault() == (
        "Request syntactically incorrect.",
        USAGE.format(origin=fake.origin, service="vm_backup", method="finalize"),
    )


@pytest.mark.parametrize(
    ("member", "value", "detail"),
    [
        (
            "inactivity_timeout",
            "99999999999",
            "Value 99999999999 is greater than maximum integer 2147483647",
        ),
        (
            "shallow",
            "maybe",
            'Value "maybe" isn\'t a valid boolean, it should be "true" , "false", "0" or "1"',
        ),
        (
            "format",
            "qcow2",
            "The string 'qcow2' isn't a valid value for the 'DiskFormat' enumerated type. "
            "Valid values are: 'cow', 'raw'.",
        ),
        (
            "timeout_policy",
            "never",
            "The string 'never' isn't a valid value for the 'ImageTransferTimeoutPolicy' "
            "enumerated type. Valid values are: 'legacy', 'pause', 'cancel'.",
        ),
    ],
)
def test_a_value_the_models_parsers_refuse_is_invalid_value(
    fake: FakeOvirt, member: str, value: str, detail: str
) -> None:
    disk_id = fake.vm("vm-down").attachments[0].disk_id
    body = f'<image_transfer><disk id="{disk_id}"/><{member}>{value}</{member}></image_transfer>'
    reply = call(fake, "POST", "/imagetransfers", body, XML)
    assert reply.status == 400
    assert reply.fault() == ("Invalid value", detail)
    assert not fake.engine.state.transfers


def test_a_non_number_is_the_usage_fault(fake: FakeOvirt) -> None:
    """`DatatypeConverter.parseInteger` throws a `NumberFormatException`, not an invalid value."""
    disk_id = fake.vm("vm-down").attachments[0].disk_id
    timeout = "<inactivity_timeout>soon</inactivity_timeout>"
    body = f'<image_transfer><disk id="{disk_id}"/>{timeout}</image_transfer>'
    reply = call(fake, "POST", "/imagetransfers", body, XML)
    assert reply.status == 400
    assert reply.fault() == (
        "Request syntactically incorrect.",
        USAGE.format(origin=fake.origin, service="image_transfers", method="add"),
    )


def test_enums_and_booleans_are_read_in_any_case(fake: FakeOvirt) -> None:
    """`fromValue(value.toUpperCase())` and `"true".equalsIgnoreCase(value)`."""
    backup_id, disk_id = ready_backup(fake)
    body = (
        f'<image_transfer><disk id="{disk_id}"/><backup id="{backup_id}"/>'
        "<direction>DOWNLOAD</direction><format>Raw</format><shallow>FALSE</shallow>"
        "<timeout_policy>Cancel</timeout_policy></image_transfer>"
    )
    reply = call(fake, "POST", "/imagetransfers", body, XML)
    assert reply.status == 201, reply.body
    transfer = reply.xml()
    assert (transfer.findtext("direction"), transfer.findtext("timeout_policy")) == (
        "download",
        "cancel",
    )


def test_an_empty_integer_is_zero(fake: FakeOvirt) -> None:
    """`IntegerParser`: an empty value parses as 0 (no inactivity timeout for the engine)."""
    backup_id, disk_id = ready_backup(fake)
    body = (
        f'<image_transfer><disk id="{disk_id}"/><backup id="{backup_id}"/>'
        "<direction>download</direction><inactivity_timeout></inactivity_timeout></image_transfer>"
    )
    reply = call(fake, "POST", "/imagetransfers", body, XML)
    assert reply.status == 201, reply.body
    assert reply.xml().findtext("inactivity_timeout") == "0"


def test_a_form_encoded_body_is_415(fake: FakeOvirt) -> None:
    """The resources consume only application/xml and application/json (`JaxrsGenerator`):
    `curl -d` without `-H 'Content-Type: application/xml'` is refused."""
    vm = fake.vm("vm-up")
    body = f"<backup><disks>{disk_refs(fake, 'vm-up')}</disks></backup>"
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    reply = call(fake, "POST", f"/vms/{vm.id}/backups", body, form)
    assert reply.status == 415
    assert not fake.engine.state.backups
