"""Custom events (`POST /events`), vNIC profiles, networks and a VM's NICs through the SDK.

Sources: REST `BackendEventsResource.add:62-67`, BLL `AddExternalEventCommand.java:22-80`,
`AuditLogType.java:1402-1405`, `audit_log_sp.sql` (`GetAuditLogByOriginAndCustomEventId`);
REST `BackendVnicProfilesResource`, `BackendVmNicsResource`; BLL
`network/vm/AddVmInterfaceCommand.java:93-155`, `validator/VmNicValidator.java:63-78`.
"""

from __future__ import annotations

import ovirtsdk4 as sdk
import ovirtsdk4.types as types
import pytest

from fakeovirt import FakeOvirt
from tests.restoretools import refused, unchanged


def events(connection: sdk.Connection) -> sdk.services.EventsService:
    return connection.system_service().events_service()


def bareos_event(custom_id: int = 1700000000, **members: object) -> types.Event:
    """The event the Bareos plugin posts before and after a backup."""
    values: dict[str, object] = {
        "custom_id": custom_id,
        "description": "Backup of virtual machine 'vm-up' using snapshot 's' is starting.",
        "origin": "Bareos",
        "severity": types.LogSeverity.NORMAL,
    }
    values.update(members)
    return types.Event(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("severity", "code"),
    [
        (types.LogSeverity.NORMAL, 9801),
        (types.LogSeverity.WARNING, 9802),
        (types.LogSeverity.ERROR, 9803),
        (types.LogSeverity.ALERT, 9804),
    ],
)
def test_a_custom_event_takes_its_code_from_its_severity(
    fake: FakeOvirt, connection: sdk.Connection, severity: types.LogSeverity, code: int
) -> None:
    vm = fake.vm("vm-up")
    event = events(connection).add(bareos_event(severity=severity, vm=types.Vm(id=vm.id)))
    assert (event.code, event.origin, event.custom_id) == (code, "Bareos", 1700000000)
    assert event.vm.id == vm.id
    listed = events(connection).list(max=1)[0]
    assert listed.id == event.id and listed.description == event.description


def test_the_engines_own_origin_is_refused(fake: FakeOvirt, connection: sdk.Connection) -> None:
    with unchanged(fake):
        refusal = refused(lambda: events(connection).add(bareos_event(origin="OVIRT")))
    assert (refusal.status, refusal.detail) == (
        400,
        "Cannot add External Event. Illegal Origin for External Event : oVirt",
    )


def test_a_second_event_with_the_same_custom_id_is_refused_with_the_engines_odd_text(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """The properties line reads `KEY==Cannot…`, so the text starts with `=`."""
    events(connection).add(bareos_event())
    with unchanged(fake):
        refusal = refused(lambda: events(connection).add(bareos_event()))
    assert (refusal.status, refusal.detail) == (
        400,
        "=Cannot add External Event. External Event with this custom id already exists.",
    )
    events(connection).add(bareos_event(origin="Other"))  # the origin is part of the key


def test_an_event_without_its_members_is_incomplete(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    with unchanged(fake):
        refusal = refused(lambda: events(connection).add(types.Event(description="x")))
    assert (refusal.status, refusal.reason) == (400, "Incomplete parameters")
    assert refusal.detail == "Event [origin, severity, customId] required for add"


def test_vnic_profiles_are_what_bareos_reads_first(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    profiles = connection.system_service().vnic_profiles_service().list()
    assert [(p.name, bool(p.id)) for p in profiles] == [("ovirtmgmt", True)]
    network = connection.follow_link(profiles[0].network)
    assert network.name == "ovirtmgmt"
    networks = connection.system_service().networks_service().list()
    assert [n.name for n in networks] == ["ovirtmgmt"]


def test_add_a_nic_on_a_profile(fake: FakeOvirt, connection: sdk.Connection) -> None:
    """What Bareos posts per OVF NIC: name, description, profile."""
    profile = connection.system_service().vnic_profiles_service().list()[0]
    vm = fake.vm("vm-down")
    nics = connection.system_service().vms_service().vm_service(vm.id).nics_service()
    nic = nics.add(
        types.Nic(name="nic1", description="eth0", vnic_profile=types.VnicProfile(id=profile.id))
    )
    assert (nic.name, nic.vnic_profile.id, nic.interface) == (
        "nic1",
        profile.id,
        types.NicInterface.VIRTIO,
    )
    assert nic.mac.address.startswith("56:6f:")
    assert [n.id for n in nics.list()] == [nic.id]
    assert fake.events()[-1].description == (
        "Interface nic1 (VirtIO) was added to VM vm-down. (User: admin@internal)"
    )


@pytest.mark.parametrize(
    ("nic", "status", "detail"),
    [
        ("taken", 409, "Network interface name is already in use"),
        (
            "profile",
            400,
            "Cannot add Interface. The specified VM network interface profile doesn't exist.",
        ),
        ("mac", 409, "MAC Address 56:6f:00:00:00:01 is already in use by VM or snapshot: vm-down."),
    ],
)
def test_nic_refusals(
    fake: FakeOvirt, connection: sdk.Connection, nic: str, status: int, detail: str
) -> None:
    profile = connection.system_service().vnic_profiles_service().list()[0]
    vms = connection.system_service().vms_service()
    vms.vm_service(fake.vm("vm-down").id).nics_service().add(
        types.Nic(name="nic1", vnic_profile=types.VnicProfile(id=profile.id))
    )
    wanted = {
        "taken": types.Nic(name="nic1"),
        "profile": types.Nic(name="nic2", vnic_profile=types.VnicProfile(id="nope")),
        "mac": types.Nic(name="nic2", mac=types.Mac(address="56:6f:00:00:00:01")),
    }[nic]
    vm_id = fake.vm("vm-down" if nic == "taken" else "vm-up").id
    with unchanged(fake):
        refusal = refused(lambda: vms.vm_service(vm_id).nics_service().add(wanted))
    assert (refusal.status, refusal.detail) == (status, detail)


def test_a_nic_needs_a_name(fake: FakeOvirt, connection: sdk.Connection) -> None:
    nics = connection.system_service().vms_service().vm_service(fake.vm("vm-up").id).nics_service()
    with unchanged(fake):
        refusal = refused(lambda: nics.add(types.Nic(description="x")))
    assert (refusal.reason, refusal.detail) == (
        "Incomplete parameters",
        "Nic [name] required for add",
    )


@pytest.mark.fakeovirt(
    scenario={"vms": [{"name": "web", "status": "up", "nics": ["nic1", "nic2"]}]}
)
def test_scenario_vms_may_have_nics(fake: FakeOvirt, connection: sdk.Connection) -> None:
    nics = connection.system_service().vms_service().vm_service(fake.vm("web").id).nics_service()
    assert [n.name for n in nics.list()] == ["nic1", "nic2"]
