"""How-to: property tests from fakeovirt's strategies, one per strategy family."""

import xml.etree.ElementTree as ET

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fakeovirt import FakeOvirt, validate_document
from fakeovirt import strategies as fst

FIXTURE = settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@settings(max_examples=20, deadline=None)
@given(fst.scenarios(max_vms=3, statuses=("up", "down")))
def test_any_inventory_boots(scenario):
    fake = FakeOvirt(scenario)  # no socket needed to check the inventory
    for spec in scenario.vms:
        assert fake.vm(spec.name).status == spec.status


@FIXTURE
@given(data=st.data())
def test_every_valid_request_starts_a_backup(fakeovirt, data):
    fakeovirt.reset()
    vm = fakeovirt.vm("vm-up")
    request = data.draw(fst.backup_requests(disk_ids=[a.disk_id for a in vm.attachments]))
    backup = fakeovirt.start_backup(vm.id, request)
    assert set(backup.disk_ids) == set(request.disk_ids)


@FIXTURE
@given(data=st.data())
def test_every_invalid_request_gets_its_documented_fault(fakeovirt_connection, fakeovirt, data):
    import ovirtsdk4 as sdk
    import ovirtsdk4.types as types

    fakeovirt.reset()
    vm = fakeovirt.vm("vm-up")
    invalid = data.draw(fst.invalid_backup_requests(disk_ids=[a.disk_id for a in vm.attachments]))
    if invalid.request.bad_flag is not None:
        return  # the SDK sends only real booleans; use backup_request_http for raw HTTP
    request = invalid.request
    backups = fakeovirt_connection.system_service().vms_service().vm_service(vm.id)
    try:
        backups.backups_service().add(
            types.Backup(
                disks=[types.Disk(id=d) for d in request.disk_ids or ()] or None,
                from_checkpoint_id=request.from_checkpoint_id,
                description=request.description,
            )
        )
    except sdk.Error as error:
        assert error.code == invalid.status
        assert error.fault.detail == f"[{invalid.detail}]"
    else:
        raise AssertionError("the engine accepted an invalid request")


@FIXTURE
@given(data=st.data())
def test_guest_writes_land_where_they_were_written(fakeovirt, data):
    fakeovirt.reset()
    disk = fakeovirt.disk("vm-up-disk1")
    for write in data.draw(fst.guest_workloads(disks={disk.alias: disk.provisioned_size})):
        write.apply(fakeovirt)
        assert disk.content.read(write.offset, len(write.data)) == write.data


@settings(max_examples=30, deadline=None)
@given(fst.xml_documents("checkpoint", max_depth=1))
def test_generated_documents_are_valid(document):
    validate_document(document)  # raises fakeovirt.SchemaViolation if not
    assert ET.fromstring(document).tag == "checkpoint"
