"""The Bareos oVirt plugin's restore, replayed with the SDK calls it makes.

bareos/bareos `core/src/plugins/filed/python/ovirt/BareosFdPluginOvirt.py` as read at
0a65ffa1 (snapshots-disks-vms.md §1.2): `connect_api` reads `/vnicprofiles`;
`prepare_vm_restore` parses the saved OVF (lxml XPath there, ElementTree here), looks the VM
up by name and cluster, creates it (`create_vm`, `add_nics_to_vm`) or, with
`overwrite=yes`, takes the existing one if it is Down; `get_vm_disk_by_basename` matches
each saved file to an OVF base disk; `get_or_add_vm_disk` reads the existing disk or adds a
new one through the VM's attachments and polls it until `ok`; `start_upload` sends one PUT of
the saved bytes; `end_transfer` finalizes; `end_vm_restore` posts an event.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import ovirtsdk4 as sdk
import ovirtsdk4.types as types

from fakeovirt import FakeOvirt
from tests.volumefiles import put_image

__all__ = ["BareosRestore"]

MAX_POLLS = 50
OVF = {
    "ovf": "http://schemas.dmtf.org/ovf/envelope/1/",
    "rasd": "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData",
}
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"


class BareosRestore:
    """The plugin's restore (bareos/bareos `BareosFdPluginOvirt.py` at 0a65ffa1:
    `connect_api`, `prepare_vm_restore`, `create_vm`, `add_nics_to_vm`,
    `get_vm_disk_by_basename`, `get_or_add_vm_disk`, `start_upload`, `end_transfer`,
    `end_vm_restore`), with the SDK calls it makes; where it sleeps, the clock moves.
    Files are named as it saves them: `<alias>-<disk id>/<disk snapshot id>`."""

    def __init__(self, fake: FakeOvirt, connection: sdk.Connection, ovf: str, domain: str) -> None:
        self.fake = fake
        self.system = connection.system_service()
        self.root = ET.fromstring(ovf)
        self.domain = domain  # the plugin's `storage_domain` option
        profiles = self.system.vnic_profiles_service().list()  # connect_api
        self.profiles = {p.name: p.id for p in profiles}
        self.custom_id = 1000  # the plugin's `event_id`: int(time.time()), +1 per event

    def sleep(self, seconds: float) -> None:
        self.fake.advance(seconds)

    def sections(self, parent: ET.Element, kind: str) -> list[ET.Element]:
        return [e for e in parent.findall("Section") if e.get(XSI_TYPE) == f"ovf:{kind}_Type"]

    def run(
        self, files: dict[str, bytes], *, vm_name: str, overwrite: bool = False
    ) -> dict[str, str]:
        """Restore into VM `vm_name` (option `vm_name`), a new one unless it exists and
        `overwrite` (option `overwrite=yes`); answer old disk id -> restored disk id."""
        content = next(c for c in self.root.findall("Content"))
        cluster = content.findtext("ClusterName")
        vms = self.system.vms_service()
        found = vms.list(search=f"name={vm_name} and cluster={cluster}")
        assert len(found) <= 1
        ovf_disks = [
            {k.replace(f"{{{OVF['ovf']}}}", ""): v for k, v in disk.items()}
            for section in self.sections(self.root, "DiskSection")
            for disk in section.findall("Disk")
        ]
        new_ids: dict[str, str] = {}
        if found:
            assert overwrite, "the plugin asks for overwrite=yes"
            vm = found[0]
            assert vm.status == types.VmStatus.DOWN, f"VM {vm_name} must be down for restore"
            new_ids = {
                d["fileRef"].partition("/")[0]: d["fileRef"].partition("/")[0] for d in ovf_disks
            }
        else:
            vm = self.create_vm(vm_name, cluster, content)
        for name, data in files.items():
            (props,) = [
                d
                for d in ovf_disks
                if f"{d['disk-alias']}-{d['fileRef']}" == name
                and d["diskId"] == name.rpartition("/")[2]
            ]
            assert not props["parentRef"]  # a base disk: the plugin restores it
            old_id = props["fileRef"].partition("/")[0]
            if old_id in new_ids:
                disk = self.system.disks_service().disk_service(new_ids[old_id]).get()
            else:
                disk = self.add_disk(vms.vm_service(vm.id), props)
            self.upload(disk.id, data)
            new_ids[old_id] = disk.id
        self.system.events_service().add(
            types.Event(
                vm=types.Vm(id=vm.id),
                origin="Bareos",
                severity=types.LogSeverity.NORMAL,
                custom_id=self.custom_id,
                description=f"Restore of virtual machine '{vm_name}' is completed.",
            )
        )
        self.custom_id += 1
        return {old: new for old, new in new_ids.items() if any(old in n for n in files)}

    def create_vm(self, vm_name: str, cluster: str | None, content: ET.Element) -> types.Vm:
        """`create_vm`, then `add_nics_to_vm`: a NIC per OVF interface whose network has a
        vNIC profile of that name."""
        vms = self.system.vms_service()
        hardware = self.sections(content, "VirtualHardwareSection")[0]
        vm = vms.add(self.vm_body(vm_name, cluster, hardware.findall("Item")))
        for nic in [i for i in hardware.findall("Item") if i.findtext("Type") == "interface"]:
            props = {e.tag.replace(f"{{{OVF['rasd']}}}", ""): e.text for e in nic}
            if props["Connection"] in self.profiles:
                vms.vm_service(vm.id).nics_service().add(
                    types.Nic(
                        name=props["Name"],
                        description=props["Caption"],
                        vnic_profile=types.VnicProfile(id=self.profiles[props["Connection"]]),
                    )
                )
        return vm

    def vm_body(self, name: str, cluster: str | None, items: list[ET.Element]) -> types.Vm:
        """`create_vm`: CPU and memory from the OVF's items 3 and 4, memory max 4x."""
        resources = {}
        for item in items:
            props = {e.tag.replace(f"{{{OVF['rasd']}}}", ""): e.text for e in item}
            resources[props.get("ResourceType")] = props
        cpu, memory = resources["3"], resources["4"]
        units = {"GigaBytes": 1 << 30, "MegaBytes": 1 << 20, "KiloBytes": 1 << 10}
        size = int(memory["VirtualQuantity"] or 0) * units[memory["AllocationUnits"] or ""]
        return types.Vm(
            name=name,
            type=types.VmType("server"),
            memory=size,
            memory_policy=types.MemoryPolicy(guaranteed=size, max=4 * size),
            cpu=types.Cpu(
                topology=types.CpuTopology(
                    cores=int(cpu["cpu_per_socket"] or 0),
                    sockets=int(cpu["num_of_sockets"] or 0),
                    threads=int(cpu["threads_per_cpu"] or 0),
                )
            ),
            template=types.Template(name="Blank"),
            cluster=types.Cluster(name=cluster),
        )

    def add_disk(self, vm: sdk.services.VmService, props: dict[str, str]) -> types.Disk:
        """`get_or_add_vm_disk` for a new VM: AddDisk through the VM's attachments, then
        `GET /disks/{id}` every 5 s until `ok`, and 5 s more."""
        fmt = types.DiskFormat.COW if props.get("volume-format") == "COW" else types.DiskFormat.RAW
        interfaces = {
            "VirtIO_SCSI": types.DiskInterface.VIRTIO_SCSI,
            "IDE": types.DiskInterface.IDE,
        }
        attachment = vm.disk_attachments_service().add(
            types.DiskAttachment(
                disk=types.Disk(
                    name=props["disk-alias"],
                    format=fmt,
                    provisioned_size=int(props["size"]) << 30,
                    initial_size=int(props["actual_size"]) << 30,
                    sparse=fmt == types.DiskFormat.COW,
                    storage_domains=[types.StorageDomain(name=self.domain)],
                ),
                interface=interfaces.get(props["disk-interface"], types.DiskInterface.VIRTIO),
                bootable=props.get("boot") == "true",
                active=True,
            )
        )
        service = self.system.disks_service().disk_service(attachment.disk.id)
        for _ in range(MAX_POLLS):
            self.sleep(5)
            disk = service.get()
            if disk.status == types.DiskStatus.OK:
                self.sleep(5)
                return disk
        raise AssertionError(f"disk {attachment.disk.id} stays {disk.status}")

    def upload(self, disk_id: str, data: bytes) -> None:
        """`start_upload`: a transfer of `<image id>`, polled each second while
        initializing; one PUT of the saved bytes; `end_transfer` finalizes. (The plugin
        leaves the PUT's answer unread; reading it keeps the finalize behind the data.)"""
        transfers = self.system.image_transfers_service()
        transfer = transfers.add(
            types.ImageTransfer(
                image=types.Image(id=disk_id), direction=types.ImageTransferDirection.UPLOAD
            )
        )
        service = transfers.image_transfer_service(transfer.id)
        while transfer.phase == types.ImageTransferPhase.INITIALIZING:
            self.sleep(1)
            transfer = service.get()
        transfer = service.get()
        status, body = put_image(self.fake, transfer.proxy_url, data)
        assert status == 200, body
        service.finalize()
        for _ in range(MAX_POLLS):  # the job ends later; the test waits to read the bytes
            self.sleep(1)
            if service.get().phase == types.ImageTransferPhase.FINISHED_SUCCESS:
                return
        raise AssertionError(f"upload {transfer.id} never finished")
