"""The VM configuration (OVF) of `all_content=true`, and VMs created from one.

Sources: writers `utils/ovf/OvfWriter.java`, `OvfOvirtWriter.java`, `OvfVmWriter.java`
(`NetworkSection` since `df304f76662`, 2017), `OvfProperties.java`; `bll/storage/ovfstore/
OvfHelper.java:176-216` (no OVF while a disk is locked); REST `BackendVmsResource.java:378-408,
903-916`; BLL `exportimport/ImportVmFromConfigurationCommand.java`, `ImportVmCommand.java`,
`ImportVmCommandBase.java`; what Bareos reads: `BareosFdPluginOvirt.py:1869-1931`.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import ovirtsdk4 as sdk
import ovirtsdk4.types as types
import pytest

from fakeovirt import FakeOvirt
from fakeovirt.core.ovf import OVF_URI, RASD_URI, XSI_URI
from tests import sdkflow
from tests.restoretools import refused, unchanged

OVF = f"{{{OVF_URI}}}"
RASD = f"{{{RASD_URI}}}"
XSI_TYPE = f"{{{XSI_URI}}}type"


def configuration(connection: sdk.Connection, name: str) -> str:
    """As download_vm_ovf.py reads it."""
    vms = connection.system_service().vms_service()
    vm = vms.list(search=f"name={name}", all_content=True)[0]
    data: str = vm.initialization.configuration.data
    assert vm.initialization.configuration.type == types.ConfigurationType.OVF
    return data


def section(root: ET.Element, kind: str) -> ET.Element:
    found = [s for s in root.iter("Section") if s.get(XSI_TYPE) == f"ovf:{kind}"]
    assert len(found) == 1, kind
    return found[0]


def with_nic(fake: FakeOvirt, connection: sdk.Connection, vm_name: str) -> types.Nic:
    profile = connection.system_service().vnic_profiles_service().list()[0]
    nics = connection.system_service().vms_service().vm_service(fake.vm(vm_name).id).nics_service()
    return nics.add(types.Nic(name="nic1", vnic_profile=types.VnicProfile(id=profile.id)))


def test_the_ovf_is_the_engines_document(fake: FakeOvirt, connection: sdk.Connection) -> None:
    nic = with_nic(fake, connection, "vm-up")
    text = configuration(connection, "vm-up")
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?><ovf:Envelope xmlns:ovf=')
    root = ET.fromstring(text)
    assert root.tag == f"{OVF}Envelope" and root.get(f"{OVF}version") == "4.4.0.0"
    assert [child.tag for child in root] == ["References", "NetworkSection", "Section", "Content"]
    vm = fake.vm("vm-up")
    disk = fake.disk("vm-up-disk1")
    file_ref = f"{disk.id}/{disk.image_id}"
    files = {f.get(f"{OVF}href"): f for f in root.iter("File")}
    assert files[file_ref].get(f"{OVF}id") == disk.image_id
    assert [n.get(f"{OVF}name") for n in root.iter("Network")] == ["ovirtmgmt"]
    disks = {d.get(f"{OVF}fileRef"): d for d in section(root, "DiskSection_Type").iter("Disk")}
    entry = disks[file_ref]
    assert {key.replace(OVF, ""): value for key, value in entry.attrib.items()} == {
        "diskId": disk.image_id,
        "size": "1",
        "actual_size": "1",
        "vm_snapshot_id": next(s.id for s in fake.engine.snapshots(vm.id) if s.type == "active"),
        "parentRef": "",
        "fileRef": file_ref,
        "format": "http://www.gnome.org/~markmc/qcow-image-format.html",
        "volume-format": "COW",
        "volume-type": "Sparse",
        "disk-interface": "VirtIO_SCSI",
        "read-only": "false",
        "shareable": "false",
        "boot": "true",
        "pass-discard": "false",
        "incremental-backup": "true",
        "disk-alias": "vm-up-disk1",
        "wipe-after-delete": "false",
    }
    content = root.find("Content")
    assert content is not None
    assert (content.findtext("Name"), content.findtext("ClusterName")) == ("vm-up", "Default")
    assert section(content, "OperatingSystemSection_Type").get(f"{OVF}id") == vm.id
    hardware = section(content, "VirtualHardwareSection_Type")
    items = {i.findtext(f"{RASD}InstanceId"): i for i in hardware.iter("Item")}
    cpu, memory = items["1"], items["2"]
    assert cpu.findtext(f"{RASD}ResourceType") == "3"
    assert cpu.findtext(f"{RASD}num_of_sockets") == "1"
    assert memory.findtext(f"{RASD}AllocationUnits") == "MegaBytes"
    assert memory.findtext(f"{RASD}VirtualQuantity") == str(vm.memory >> 20)
    drive = items[disk.image_id]
    assert drive.findtext(f"{RASD}HostResource") == file_ref
    assert (drive.findtext("Type"), drive.findtext("Device")) == ("disk", "disk")
    interface = items[nic.id]
    assert interface.findtext("Type") == "interface"
    assert interface.findtext(f"{RASD}Connection") == "ovirtmgmt"
    assert interface.findtext(f"{RASD}Name") == "nic1"
    assert interface.findtext(f"{RASD}MACAddress") == nic.mac.address
    snapshots = section(content, "SnapshotsSection_Type")
    assert [s.findtext("Description") for s in snapshots] == ["Active VM"]


def test_bareos_finds_what_it_reads(fake: FakeOvirt, connection: sdk.Connection) -> None:
    """BareosFdPluginOvirt reads Content/Name, Content/ClusterName, the DiskSection's Disk
    attributes (namespace stripped), CPU and memory items, NIC items by `Type`."""
    with_nic(fake, connection, "vm-up")
    root = ET.fromstring(configuration(connection, "vm-up"))
    namespaces = {"ovf": OVF_URI, "rasd": RASD_URI, "xsi": XSI_URI}
    assert root.findtext("Content/Name") == "vm-up"
    assert root.findtext("Content/ClusterName") == "Default"
    disk_section = root.find("Section[@xsi:type='ovf:DiskSection_Type']", namespaces)
    assert disk_section is not None
    for disk in disk_section.findall("Disk"):
        attributes = {k.split("}")[-1]: v for k, v in disk.attrib.items()}
        assert {"diskId", "fileRef", "parentRef", "disk-alias", "volume-format", "size"} <= set(
            attributes
        )
    items = root.findall("Content/Section/Item")
    assert items[0].findtext("rasd:num_of_sockets", namespaces=namespaces) == "1"
    nics = [i for i in items if i.findtext("Type") == "interface"]
    assert [i.findtext("rasd:Name", namespaces=namespaces) for i in nics] == ["nic1"]


def test_no_configuration_without_all_content(fake: FakeOvirt, connection: sdk.Connection) -> None:
    vm = connection.system_service().vms_service().list(search="name=vm-up")[0]
    assert vm.initialization is None
    header = (
        connection.system_service()
        .vms_service()
        .vm_service(vm.id)
        .get(headers={"All-Content": "true"})
    )
    assert header.initialization.configuration.data.startswith("<?xml")


def test_the_ovf_is_written_anew_on_every_read(fake: FakeOvirt, connection: sdk.Connection) -> None:
    first = ET.fromstring(configuration(connection, "vm-up"))
    fake.advance(3600)
    with_nic(fake, connection, "vm-up")
    second = ET.fromstring(configuration(connection, "vm-up"))
    assert first.findtext("Content/ExportDate") == "2026/01/01 00:00:00"
    assert second.findtext("Content/ExportDate") == "2026/01/01 01:00:00"
    assert int(second.findtext("Content/Generation") or 0) > int(
        first.findtext("Content/Generation") or 0
    )


def test_no_configuration_while_a_disk_is_locked(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """OvfHelper.generateOvfConfigurationForVm: `diskImagesNotLocked` or nothing."""
    vm = fake.vm("vm-up")
    sdkflow.start_backup(
        connection, vm.id, [types.Disk(id=fake.disk("vm-up-disk1").id)], use_active=True
    )
    found = connection.system_service().vms_service().list(search="name=vm-up", all_content=True)
    assert found[0].initialization is None


def test_parent_refs_follow_the_engines_loop(fake: FakeOvirt) -> None:
    """`OvfOvirtWriter.writeDiskParentRef` over the images listed leaf first per disk: it
    skips the leading images equal to the parent and names the next one, unless that is
    the last image of the list."""
    disk = fake.disk("vm-down-disk1")
    base = disk.image_id
    with fake.lock:
        disk.volumes.create_snapshot("aaaaaaaa-0000-4000-8000-000000000001")
    root = ET.fromstring(fake.engine.vm_ovf(fake.vm("vm-down").id) or "")
    entries = [
        (d.get(f"{OVF}diskId"), d.get(f"{OVF}parentRef"))
        for d in section(root, "DiskSection_Type").iter("Disk")
    ]
    # The images are [leaf, base]: the leaf names itself (the engine's loop), the base,
    # the last of the list, names nothing.
    assert entries == [
        ("aaaaaaaa-0000-4000-8000-000000000001", f"{disk.id}/aaaaaaaa-0000-4000-8000-000000000001"),
        (base, ""),
    ]


# -- a VM from a configuration ------------------------------------------------------------
def import_body(ovf: str, **initialization: object) -> types.Vm:
    return types.Vm(
        cluster=types.Cluster(name="Default"),
        initialization=types.Initialization(
            configuration=types.Configuration(type=types.ConfigurationType.OVF, data=ovf),
            **initialization,  # type: ignore[arg-type]
        ),
    )


def test_a_vm_comes_back_from_its_configuration(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """Removed with `detach_only`, its disks kept: the import attaches them by id (174)."""
    nic = with_nic(fake, connection, "vm-down")
    old = fake.vm("vm-down")
    ovf = configuration(connection, "vm-down")
    vms = connection.system_service().vms_service()
    vms.vm_service(old.id).remove(detach_only=True)
    vm = vms.add(import_body(ovf))
    assert (vm.id, vm.name, vm.memory, vm.status) == (
        old.id,
        "vm-down",
        old.memory,
        types.VmStatus.DOWN,
    )
    assert fake.journal.requests("POST /vms")[-1].status == 201
    attached = vms.vm_service(vm.id).disk_attachments_service().list()
    assert [(a.id, a.bootable, a.active) for a in attached] == [
        (fake.disk("vm-down-disk1").id, True, True)
    ]
    nics = vms.vm_service(vm.id).nics_service().list()
    assert [(n.id, n.name, n.mac.address) for n in nics] == [(nic.id, "nic1", nic.mac.address)]
    assert fake.events()[-1].description == (
        "VM vm-down has been successfully imported from the given configuration."
    )


def test_an_import_over_an_existing_vm_is_refused(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    ovf = configuration(connection, "vm-down")
    with unchanged(fake):
        refusal = refused(lambda: connection.system_service().vms_service().add(import_body(ovf)))
    assert (refusal.status, refusal.detail) == (
        409,
        "Import VM failed - VM ID already exists in the system. Please remove the VM (vm-down) "
        "from the system first",
    )


def test_a_nic_mac_in_use_is_refused_first(fake: FakeOvirt, connection: sdk.Connection) -> None:
    with_nic(fake, connection, "vm-down")
    ovf = configuration(connection, "vm-down")
    with unchanged(fake):
        refusal = refused(lambda: connection.system_service().vms_service().add(import_body(ovf)))
    assert refusal.status == 409
    assert refusal.detail.endswith("Problematic NICs are \tnic1")


def test_regenerated_ids_make_a_copy_whose_disks_fail_to_attach(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """The disks are still attached to the original: event 175 names them."""
    ovf = configuration(connection, "vm-down")
    body = import_body(ovf, regenerate_ids=True)
    body.name = "vm-down-copy"
    vm = connection.system_service().vms_service().add(body)
    assert vm.id != fake.vm("vm-down").id and vm.name == "vm-down-copy"
    event = fake.events()[-1]
    assert (event.code, event.description) == (
        175,
        "VM vm-down-copy has been imported from the given configuration but the following "
        "disk(s) failed to attach: vm-down-disk1.",
    )


def test_a_name_in_use_is_refused(fake: FakeOvirt, connection: sdk.Connection) -> None:
    body = import_body(configuration(connection, "vm-down"), regenerate_ids=True)
    with unchanged(fake):
        refusal = refused(lambda: connection.system_service().vms_service().add(body))
    assert (refusal.status, refusal.detail) == (
        409,
        "Import VM failed - VM Name already exists in the Data Center. Please rename the VM in "
        "the Data Center first",
    )


def test_a_configuration_that_is_not_xml_is_the_querys_failure(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """GetVmFromConfiguration fails: its exception text, translated (lower case)."""
    with unchanged(fake):
        refusal = refused(
            lambda: connection.system_service().vms_service().add(import_body("not an OVF"))
        )
    assert refusal.status == 400
    assert refusal.detail.startswith("failed to parse a given ovf configuration syntax error")


@pytest.mark.parametrize(
    ("configuration_members", "missing"),
    [
        ({"data": "x"}, "Vm [initialization.configuration.type] required for add"),
        (
            {},
            "Vm [initialization.configuration.type, initialization.configuration.data] "
            "required for add",
        ),
    ],
)
def test_a_configuration_needs_type_and_data(
    fake: FakeOvirt,
    connection: sdk.Connection,
    configuration_members: dict[str, object],
    missing: str,
) -> None:
    body = types.Vm(
        cluster=types.Cluster(name="Default"),
        initialization=types.Initialization(
            configuration=types.Configuration(**configuration_members)  # type: ignore[arg-type]
        ),
    )
    with unchanged(fake):
        refusal = refused(lambda: connection.system_service().vms_service().add(body))
    assert (refusal.reason, refusal.detail) == ("Incomplete parameters", missing)
