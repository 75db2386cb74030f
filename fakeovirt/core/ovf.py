"""A VM's configuration as the engine writes it (the OVF of `all_content=true`), and read back.

Rules of this file (ovirt-engine `utils/ovf/OvfWriter.java`, `OvfOvirtWriter.java`,
`OvfVmWriter.java`, `OvfProperties.java`; `bll/storage/ovfstore/OvfHelper.java:176-216`):
- the document is what the engine's StAX writer emits: one line, `<?xml version="1.0"
  encoding="UTF-8"?>`, only `Envelope` prefixed (`ovf`, with the trailing slash of
  `OvfOvirtWriter.getOvfUri`), `rasd:`/`vssd:` members, other elements unqualified, empty
  values written `<X></X>`; sections in `IOvfBuilder.build` order: References,
  NetworkSection, DiskSection, Content;
- it describes the VM as it is when read: every volume of every disk, leaf first per disk
  (`GetSnapshotByLeafGuid`), the `vm_snapshot_id` each volume belongs to, and `parentRef`
  as `OvfOvirtWriter.writeDiskParentRef` computes it (its loop included);
- `ovf:version` and `VirtualSystemType` carry `VdcVersion`, which engines since 4.4 keep at
  `4.4.0.0` (`0000_config.sql`); dates are `yyyy/MM/dd HH:mm:ss` in UTC (`OvfParser`);
- devices fakeovirt does not model (graphics, video, CD, TPM, ...) are not written;
- `read_vm` reads what ImportVmFromConfiguration takes from a configuration: the VM's id,
  name, description, memory, CPU topology, disks (with their attachment) and NICs; a
  document it cannot read raises `OvfError` with the reason.
"""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from .content import BLOCK_SIZE
from .disks import INTERFACE_NAMES
from .model import Disk, Snapshot, Vm
from .nics import interface_type, profile_network
from .state import State
from .templates import BLANK
from .volumes import Volume

__all__ = [
    "OVF_URI",
    "VDC_VERSION",
    "OvfDisk",
    "OvfError",
    "OvfNic",
    "OvfVm",
    "read_vm",
    "vm_ovf",
]

OVF_URI = "http://schemas.dmtf.org/ovf/envelope/1/"
RASD_URI = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_ResourceAllocationSettingData"
VSSD_URI = "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_VirtualSystemSettingData"
XSI_URI = "http://www.w3.org/2001/XMLSchema-instance"
VDC_VERSION = "4.4.0.0"
EMPTY = "00000000-0000-0000-0000-000000000000"
GiB = 1 << 30
MiB = 1 << 20
_VM_TYPES = {"desktop": 0, "server": 1, "high_performance": 2}
_NIC_SPEEDS = {0: 1000, 1: 100, 2: 1000, 3: 10000, 4: 1000, 5: 1000, 6: 1000}
_FORMATS = {
    "raw": "http://www.vmware.com/specifications/vmdk.html#sparse",
    "cow": "http://www.gnome.org/~markmc/qcow-image-format.html",
}

VolumeSnapshot = Callable[[Disk, Volume], str]
SnapshotConfiguration = Callable[[Snapshot], str | None]


class OvfError(ValueError):
    """A configuration the engine's OvfReader could not read; the text says why."""


# -- writing ------------------------------------------------------------------------------
class _Writer:
    """The subset of `XmlTextWriter` (StAX) the OVF writers use, byte for byte."""

    def __init__(self) -> None:
        self._parts: list[str] = ['<?xml version="1.0" encoding="UTF-8"?>']
        self._open: list[str] = []
        self._tag_open = False

    def start(self, name: str) -> None:
        self._close_tag()
        self._parts.append(f"<{name}")
        self._open.append(name)
        self._tag_open = True

    def attr(self, name: str, value: str) -> None:
        self._parts.append(f' {name}="{_attr(value)}"')

    def text(self, value: str) -> None:
        self._close_tag()
        self._parts.append(_text(value))

    def end(self) -> None:
        self._close_tag()
        self._parts.append(f"</{self._open.pop()}>")

    def element(self, name: str, value: object = "") -> None:
        self.start(name)
        self.text("" if value is None else _value(value))
        self.end()

    def _close_tag(self) -> None:
        if self._tag_open:
            self._parts.append(">")
            self._tag_open = False

    def done(self) -> str:
        while self._open:
            self.end()
        return "".join(self._parts)


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _attr(value: str) -> str:
    return _text(value).replace('"', "&quot;")


def ovf_date(when: datetime) -> str:
    """`OvfParser.localDateToUtcDateString`: yyyy/MM/dd HH:mm:ss, UTC."""
    return when.strftime("%Y/%m/%d %H:%M:%S")


@dataclass(frozen=True)
class _Image:
    """One volume as the OVF lists it."""

    disk: Disk
    volume: Volume
    snapshot_id: str
    base: bool

    @property
    def file(self) -> str:
        return f"{self.disk.id}/{self.volume.image_id}"


def active_volume_snapshot(state: State, vm: Vm) -> VolumeSnapshot:
    """The default `vm_snapshot_id` of a volume: the VM's "Active VM" snapshot for the active
    volume; a snapshot volume's own snapshot is for the snapshot model to say (empty here)."""
    active = next((s.id for s in state.vm_snapshots(vm.id) if s.type == "active"), "")

    def resolve(disk: Disk, volume: Volume) -> str:
        return active if volume.active else ""

    return resolve


def vm_ovf(
    state: State,
    vm: Vm,
    *,
    volume_snapshot: VolumeSnapshot | None = None,
    snapshot_configuration: SnapshotConfiguration | None = None,
) -> str | None:
    """The VM's OVF as `GET /vms/{id}?all_content=true` carries it, or None when the engine
    writes none (`OvfHelper.generateOvfConfigurationForVm`: the VM is image_locked or one of
    its disks is locked).

    `volume_snapshot(disk, volume)` gives each volume's `vm_snapshot_id` and
    `snapshot_configuration(snapshot)` a regular snapshot's stored OVF (written base64 as its
    `VmConfiguration`); the snapshot model supplies both (see `docs/disks-and-vms.md`).
    """
    if vm.status.value == "image_locked":
        return None
    disks = [d for d in state.vm_disks(vm) if not d.shareable]
    if any(d.status == "locked" for d in disks):
        return None
    resolve = volume_snapshot or active_volume_snapshot(state, vm)
    images = [
        _Image(disk, volume, resolve(disk, volume), volume.parent_id is None)
        for disk in disks
        for volume in reversed(disk.volumes.volumes())
    ]
    out = _Writer()
    out.start("ovf:Envelope")
    for prefix, uri in (("ovf", OVF_URI), ("rasd", RASD_URI), ("vssd", VSSD_URI), ("xsi", XSI_URI)):
        out.attr(f"xmlns:{prefix}", uri)
    out.attr("ovf:version", VDC_VERSION)
    _references(out, images)
    _networks(out, state, vm)
    _disk_section(out, state, vm, images)
    _content(out, state, vm, images, snapshot_configuration)
    return out.done()


def _references(out: _Writer, images: list[_Image]) -> None:
    out.start("References")
    for image in images:
        out.start("File")
        out.attr("ovf:href", image.file)
        out.attr("ovf:id", image.volume.image_id)
        out.attr("ovf:size", str(_actual(image)))
        out.attr("ovf:description", "")
        out.attr("ovf:disk_storage_type", "IMAGE")
        out.attr("ovf:cinder_volume_type", "")
        out.end()
    out.end()


def _actual(image: _Image) -> int:
    return image.volume.own.stored_blocks * BLOCK_SIZE


def _networks(out: _Writer, state: State, vm: Vm) -> None:
    out.start("NetworkSection")
    out.element("Info", "List of networks")
    names = []
    for nic in vm.nics:
        network = profile_network(state, nic.vnic_profile_id)
        if network is not None and network.name not in names:
            names.append(network.name)
    for name in names:
        out.start("Network")
        out.attr("ovf:name", name)
        out.end()
    out.end()


def _disk_section(out: _Writer, state: State, vm: Vm, images: list[_Image]) -> None:
    out.start("Section")
    out.attr("xsi:type", "ovf:DiskSection_Type")
    out.element("Info", "List of Virtual Disks")
    for image in images:
        disk, volume = image.disk, image.volume
        attachment = vm.attachment(disk.id)
        fmt, sparse = (disk.format, disk.sparse) if image.base else ("cow", True)
        out.start("Disk")
        out.attr("ovf:diskId", volume.image_id)
        out.attr("ovf:size", str(-(-volume.guest.size // GiB)))
        out.attr("ovf:actual_size", str(-(-_actual(image) // GiB)))
        out.attr("ovf:vm_snapshot_id", image.snapshot_id)
        out.attr("ovf:parentRef", _parent_ref(images, volume))
        out.attr("ovf:fileRef", image.file)
        out.attr("ovf:format", _FORMATS[fmt])
        out.attr("ovf:volume-format", fmt.upper())
        out.attr("ovf:volume-type", "Sparse" if sparse else "Preallocated")
        interface = attachment.interface if attachment else "virtio"
        out.attr("ovf:disk-interface", INTERFACE_NAMES.get(interface, "VirtIO"))
        out.attr("ovf:read-only", _value(bool(attachment and attachment.read_only)))
        out.attr("ovf:shareable", _value(disk.shareable))
        out.attr("ovf:boot", _value(bool(attachment and attachment.bootable)))
        out.attr("ovf:pass-discard", _value(bool(attachment and attachment.pass_discard)))
        out.attr("ovf:incremental-backup", _value(disk.backup == "incremental"))
        out.attr("ovf:disk-alias", disk.alias)
        if disk.description:
            out.attr("ovf:disk-description", disk.description)
        out.attr("ovf:wipe-after-delete", _value(disk.wipe_after_delete))
        out.end()
    out.end()


def _parent_ref(images: list[_Image], volume: Volume) -> str:
    """`OvfOvirtWriter.writeDiskParentRef`, as written (it skips the leading images equal to
    the parent, then names the first image of the list's remainder but the last)."""
    if volume.parent_id is None:
        return ""
    index = 0
    while index < len(images) and images[index].volume.image_id == volume.parent_id:
        index += 1
    rest = images[index : len(images) - 1]
    return rest[0].file if rest else ""


def _content(
    out: _Writer,
    state: State,
    vm: Vm,
    images: list[_Image],
    configuration: SnapshotConfiguration | None,
) -> None:
    cluster = state.clusters.get(vm.cluster_id)
    now = state.now()
    out.start("Content")
    out.attr("ovf:id", "out")
    out.attr("xsi:type", "ovf:VirtualSystem_Type")
    out.element("Name", vm.name)
    if vm.description:
        out.element("Description", vm.description)
    if vm.comment:
        out.element("Comment", vm.comment)
    out.element("CreationDate", ovf_date(vm.created))
    out.element("ExportDate", ovf_date(now))
    out.element("DeleteProtected", vm.delete_protected)
    out.element("IsSmartcardEnabled", False)
    out.element("NumOfIoThreads", 1)
    out.element("TimeZone", "")
    out.element("default_boot_sequence", 0)
    out.element("Generation", vm.generation)
    version = cluster.version if cluster else (4, 7)
    out.element("ClusterCompatibilityVersion", f"{version[0]}.{version[1]}")
    out.element("VmType", _VM_TYPES.get(vm.type, 1))
    out.element("MinAllocatedMem", vm.guaranteed_memory // MiB)
    out.element("IsStateless", vm.stateless)
    out.element("IsRunAndPause", False)
    out.element("AutoStartup", False)
    out.element("Priority", 1)
    out.element("MigrationSupport", 0)
    out.element("IsBootMenuEnabled", False)
    out.element("IsSpiceFileTransferEnabled", True)
    out.element("IsSpiceCopyPasteEnabled", True)
    out.element("AllowConsoleReconnect", False)
    out.element("ConsoleDisconnectAction", "LOCK_SCREEN")
    out.element("ConsoleDisconnectActionDelay", 0)
    out.element("CustomEmulatedMachine", "")
    out.element("CustomCpuName", "")
    out.element("PredefinedProperties", "")
    out.element("UserDefinedProperties", "")
    out.element("MaxMemorySizeMb", vm.max_memory // MiB)
    out.element("MultiQueuesEnabled", True)
    out.element("VirtioScsiMultiQueuesEnabled", False)
    out.element("UseHostCpu", False)
    out.element("BalloonEnabled", True)
    out.element("CpuPinningPolicy", 0)
    out.element("ClusterName", cluster.name if cluster else "")
    out.element("TemplateId", vm.template_id)
    out.element("TemplateName", BLANK.name if vm.template_id == BLANK.id else "")
    out.element("IsInitilized", vm.started is not None)
    out.element("Origin", 3)
    out.element("DefaultDisplayType", 2)
    out.element("TrustedService", False)
    out.element("UseLatestVersion", False)
    if vm.stopped is not None:
        out.element("StopTime", ovf_date(vm.stopped))
    if vm.started is not None and vm.status.value == "up":
        out.element("BootTime", ovf_date(vm.started))
        out.element("Downtime", 0)
    out.start("Section")
    out.attr("ovf:id", vm.id)
    out.attr("ovf:required", "false")
    out.attr("xsi:type", "ovf:OperatingSystemSection_Type")
    out.element("Info", "Guest Operating System")
    out.element("Description", vm.os)
    out.end()
    _hardware(out, state, vm, images)
    _snapshots(out, state, vm, configuration)
    out.end()


def _hardware(out: _Writer, state: State, vm: Vm, images: list[_Image]) -> None:
    out.start("Section")
    out.attr("xsi:type", "ovf:VirtualHardwareSection_Type")
    out.element("Info", f"{vm.cpus} CPU, {vm.memory // MiB} Memory")
    out.start("System")
    out.element("vssd:VirtualSystemType", f"ENGINE {VDC_VERSION}")
    out.end()
    out.start("Item")
    out.element("rasd:Caption", f"{vm.cpus} virtual cpu")
    out.element("rasd:Description", "Number of virtual CPU")
    out.element("rasd:InstanceId", 1)
    out.element("rasd:ResourceType", 3)
    out.element("rasd:num_of_sockets", vm.cpu_sockets)
    out.element("rasd:cpu_per_socket", vm.cpu_cores)
    out.element("rasd:threads_per_cpu", vm.cpu_threads)
    out.element("rasd:max_num_of_vcpus", max(16, vm.cpus))
    out.element("rasd:VirtualQuantity", vm.cpus)
    out.end()
    out.start("Item")
    out.element("rasd:Caption", f"{vm.memory // MiB} MB of memory")
    out.element("rasd:Description", "Memory Size")
    out.element("rasd:InstanceId", 2)
    out.element("rasd:ResourceType", 4)
    out.element("rasd:AllocationUnits", "MegaBytes")
    out.element("rasd:VirtualQuantity", vm.memory // MiB)
    out.end()
    for image in images:
        _drive(out, state, vm, image)
    for nic in vm.nics:
        network = profile_network(state, nic.vnic_profile_id)
        profile = state.vnic_profiles.get(nic.vnic_profile_id or "")
        value, _ = interface_type(nic.interface)
        out.start("Item")
        out.element(
            "rasd:Caption", f"Ethernet adapter on {network.name if network else '[No Network]'}"
        )
        out.element("rasd:InstanceId", nic.id)
        out.element("rasd:ResourceType", 10)
        out.element("rasd:OtherResourceType", profile.name if profile else "")
        out.element("rasd:ResourceSubType", value)
        out.element("rasd:Connection", network.name if network else "")
        out.element("rasd:Linked", nic.linked)
        out.element("rasd:Name", nic.name)
        out.element("rasd:ElementName", nic.name)
        out.element("rasd:MACAddress", nic.mac)
        out.element("rasd:speed", _NIC_SPEEDS.get(value, 1000))
        _device(out, "interface", "bridge", 0, nic.plugged, False, nic.id)
        out.end()
    out.start("Item")
    out.element("rasd:Caption", "USB Controller")
    out.element("rasd:InstanceId", 3)
    out.element("rasd:ResourceType", 23)
    out.element("rasd:UsbPolicy", "DISABLED")
    out.end()
    out.end()


def _drive(out: _Writer, state: State, vm: Vm, image: _Image) -> None:
    disk, volume = image.disk, image.volume
    domain = state.storage_domains.get(disk.storage_domain_id)
    created = ovf_date(disk.created or vm.created)
    out.start("Item")
    out.element("rasd:Caption", disk.alias)
    out.element("rasd:InstanceId", volume.image_id)
    out.element("rasd:ResourceType", 17)
    out.element("rasd:HostResource", image.file)
    out.element("rasd:Parent", volume.parent_id or EMPTY)
    out.element("rasd:Template", EMPTY)
    out.element("rasd:ApplicationList", "")
    out.element("rasd:StorageId", disk.storage_domain_id)
    out.element("rasd:StoragePoolId", domain.data_center_id if domain else EMPTY)
    out.element("rasd:CreationDate", created)
    out.element("rasd:LastModified", created)
    out.element("rasd:last_modified_date", created)
    attachment = vm.attachment(disk.id)
    if attachment is not None:
        boot = 1 if attachment.bootable else 0
        _device(out, "disk", "disk", boot, attachment.active, attachment.read_only, disk.id)
    out.end()


def _device(
    out: _Writer, kind: str, device: str, boot: int, plugged: bool, read_only: bool, dev: str
) -> None:
    """`OvfWriter.writeVmDeviceInfo`."""
    out.element("Type", kind)
    out.element("Device", device)
    out.element("rasd:Address", "")
    out.element("BootOrder", boot)
    out.element("IsPlugged", plugged)
    out.element("IsReadOnly", read_only)
    out.element("Alias", f"ua-{dev}")


def _snapshots(
    out: _Writer, state: State, vm: Vm, configuration: SnapshotConfiguration | None
) -> None:
    """`OvfVmWriter.writeSnapshotsSection`."""
    snapshots = sorted(state.vm_snapshots(vm.id), key=lambda s: (s.type != "active", s.date))
    if not snapshots:
        return
    out.start("Section")
    out.attr("xsi:type", "ovf:SnapshotsSection_Type")
    for snapshot in snapshots:
        out.start("Snapshot")
        out.attr("ovf:id", snapshot.id)
        out.element("Type", snapshot.type.upper())
        out.element("Description", snapshot.description)
        out.element("CreationDate", ovf_date(snapshot.date))
        stored = configuration(snapshot) if configuration is not None else None
        if stored is not None:
            out.element("VmConfiguration", base64.b64encode(stored.encode()).decode())
        out.end()
    out.end()


# -- reading ------------------------------------------------------------------------------
@dataclass(frozen=True)
class OvfDisk:
    """A disk an OVF names (its active volume) with its attachment."""

    disk_id: str
    image_id: str
    alias: str
    interface: str
    bootable: bool
    read_only: bool
    pass_discard: bool
    plugged: bool


@dataclass(frozen=True)
class OvfNic:
    nic_id: str
    name: str
    mac: str
    network: str
    profile: str
    interface: str
    linked: bool
    plugged: bool


@dataclass(frozen=True)
class OvfVm:
    """What ImportVmFromConfiguration takes from a configuration."""

    vm_id: str
    name: str
    description: str
    comment: str
    memory: int
    memory_guaranteed: int | None
    memory_max: int | None
    sockets: int
    cores: int
    threads: int
    os: str
    vm_type: str
    cluster_name: str
    disks: tuple[OvfDisk, ...] = ()
    nics: tuple[OvfNic, ...] = field(default_factory=tuple)


def read_vm(text: str) -> OvfVm:
    """Read a VM configuration; `OvfError` says what the engine's reader would not take."""
    if "<!doctype" in text.lower():  # no DTD: no entity can expand (defusedxml's forbid_dtd)
        raise OvfError("a document type declaration is not allowed")
    try:
        root = ET.fromstring(text.strip())
    except (ET.ParseError, ValueError) as error:
        raise OvfError(str(error)) from None
    if _local(root.tag) != "Envelope":
        raise OvfError(f"the root element is <{_local(root.tag)}>, not an OVF Envelope")
    content = _child(root, "Content")
    if content is None:
        raise OvfError("the OVF has no Content section")
    os_section = _section(content, "OperatingSystemSection_Type")
    hardware = _section(content, "VirtualHardwareSection_Type")
    if os_section is None or hardware is None:
        raise OvfError("the OVF has no operating system or hardware section")
    vm_id = _attribute(os_section, "id")
    if not vm_id:
        raise OvfError("the operating system section names no VM id")
    items = [item for item in hardware if _local(item.tag) == "Item"]
    cpu = next((i for i in items if _rasd(i, "ResourceType") == "3"), None)
    memory = next((i for i in items if _rasd(i, "ResourceType") == "4"), None)
    vm_type = {"0": "desktop", "1": "server", "2": "high_performance"}
    minimum = _text_of(content, "MinAllocatedMem")
    maximum = _text_of(content, "MaxMemorySizeMb")
    return OvfVm(
        vm_id=vm_id,
        name=_text_of(content, "Name"),
        description=_text_of(content, "Description"),
        comment=_text_of(content, "Comment"),
        memory=_int(_rasd(memory, "VirtualQuantity"), 1024) * MiB,
        memory_guaranteed=_int(minimum, 0) * MiB if minimum else None,
        memory_max=_int(maximum, 0) * MiB if maximum else None,
        sockets=max(_int(_rasd(cpu, "num_of_sockets"), 1), 1),
        cores=max(_int(_rasd(cpu, "cpu_per_socket"), 1), 1),
        threads=max(_int(_rasd(cpu, "threads_per_cpu"), 1), 1),
        os=_text_of(os_section, "Description") or "other",
        vm_type=vm_type.get(_text_of(content, "VmType"), "server"),
        cluster_name=_text_of(content, "ClusterName"),
        disks=tuple(_disks(root, items)),
        nics=tuple(_nics(items)),
    )


def _disks(root: ET.Element, items: list[ET.Element]) -> Iterator[OvfDisk]:
    """The active volume of each disk (the one no other volume names as its parent)."""
    section = _section(root, "DiskSection_Type")
    if section is None:
        return
    entries = [d for d in section if _local(d.tag) == "Disk"]
    drives = {_rasd(i, "InstanceId"): i for i in items if _rasd(i, "ResourceType") == "17"}
    parents = {_rasd(i, "Parent") for i in drives.values()}
    names = {"VirtIO": "virtio", "VirtIO_SCSI": "virtio_scsi", "IDE": "ide", "SATA": "sata"}
    seen: set[str] = set()
    for entry in entries:
        image_id = _attribute(entry, "diskId")
        file_ref = _attribute(entry, "fileRef")
        disk_id = file_ref.partition("/")[0] if file_ref else ""
        if not disk_id or disk_id in seen or image_id in parents:
            continue
        seen.add(disk_id)
        drive = drives.get(image_id)
        plugged = _own_text(drive, "IsPlugged") if drive is not None else "true"
        yield OvfDisk(
            disk_id=disk_id,
            image_id=image_id,
            alias=_attribute(entry, "disk-alias"),
            interface=names.get(_attribute(entry, "disk-interface"), "virtio"),
            bootable=_attribute(entry, "boot") == "true",
            read_only=_attribute(entry, "read-only") == "true",
            pass_discard=_attribute(entry, "pass-discard") == "true",
            plugged=plugged != "false",
        )


def _nics(items: list[ET.Element]) -> Iterator[OvfNic]:
    types = {"0": "rtl8139_virtio", "1": "rtl8139", "2": "e1000", "3": "virtio", "6": "e1000e"}
    for item in items:
        if _rasd(item, "ResourceType") != "10":
            continue
        yield OvfNic(
            nic_id=_rasd(item, "InstanceId"),
            name=_rasd(item, "Name"),
            mac=_rasd(item, "MACAddress"),
            network=_rasd(item, "Connection"),
            profile=_rasd(item, "OtherResourceType"),
            interface=types.get(_rasd(item, "ResourceSubType"), "virtio"),
            linked=_rasd(item, "Linked") != "false",
            plugged=_own_text(item, "IsPlugged") != "false",
        )


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _child(element: ET.Element, name: str) -> ET.Element | None:
    return next((c for c in element if _local(c.tag) == name), None)


def _section(element: ET.Element, kind: str) -> ET.Element | None:
    for child in element:
        if _local(child.tag) == "Section" and child.get(f"{{{XSI_URI}}}type", "").endswith(kind):
            return child
    return None


def _attribute(element: ET.Element, name: str) -> str:
    for key, value in element.attrib.items():
        if _local(key) == name:
            return value
    return ""


def _text_of(element: ET.Element, name: str) -> str:
    child = _child(element, name)
    return (child.text or "").strip() if child is not None else ""


def _own_text(element: ET.Element, name: str) -> str:
    return _text_of(element, name)


def _rasd(element: ET.Element | None, name: str) -> str:
    if element is None:
        return ""
    found = element.find(f"{{{RASD_URI}}}{name}")
    return (found.text or "").strip() if found is not None else ""


def _int(text: str, default: int) -> int:
    try:
        return int(text)
    except ValueError:
        return default
