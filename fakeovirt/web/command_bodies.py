"""Reading the bodies of the disk, attachment, VM, NIC and event commands, with the checks
the engine's REST layer makes before its backend sees them.

Rules of this file:
- a body is read with `parse.parse_body` (any member order, values checked by the schema);
- mandatory members are checked as `CompletenessAssertor` does: 400 `Incomplete parameters`,
  detail `{Class} [{fields}] required for {method}`, the fields by their Java names in the
  order the resource lists them, only the missing ones (`CompletenessAssertor.java:122-182`);
- names are resolved as the resources resolve them: an unknown storage domain or cluster
  name is a 404 `Entity not found: …` (`AbstractBackendResource.notFound`,
  `BackendResource.getEntity`), before any command runs.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from werkzeug.wrappers import Request

from fakeovirt.core import messages as msg
from fakeovirt.core.attachments import AttachmentUpdate, AttachRequest
from fakeovirt.core.disks import DiskRequest
from fakeovirt.core.external_events import EventRequest
from fakeovirt.core.nics import NicRequest
from fakeovirt.core.state import State
from fakeovirt.core.templates import BLANK
from fakeovirt.core.vm_clone import CloneRequest
from fakeovirt.core.vm_import import ImportRequest
from fakeovirt.core.vms import VmRequest

from .parse import parse_body, parse_flag
from .refusals import RawFault, incomplete

__all__ = [
    "all_content",
    "incomplete",
    "not_found",
    "read_attachment",
    "read_attachment_update",
    "read_disk",
    "read_event",
    "read_nic",
    "read_vm",
]


def not_found(identifier: str) -> RawFault:
    """`Entity not found: {identifier}` (404), as a REST lookup by name or id answers."""
    return RawFault(404, msg.ENTITY_NOT_FOUND.format(identifier=identifier))


def all_content(request: Request) -> bool:
    """`all_content=true` (query) or `All-Content: true` (header) (`BackendResource:300-305`)."""
    if "all_content" in request.args:
        return parse_flag(request.args, "all_content")[0]
    header = request.headers.get("All-Content")
    return header is not None and header.strip().lower() == "true"


def _text(element: ET.Element | None, name: str) -> str | None:
    child = element.find(name) if element is not None else None
    return child.text or "" if child is not None else None


def _int(element: ET.Element | None, name: str) -> int | None:
    value = _text(element, name)  # the schema has checked it: a decimal, "" read as 0
    return None if value is None else int(value or "0")


def _flag(element: ET.Element | None, name: str) -> bool | None:
    value = _text(element, name)
    return None if value is None else value == "true"


def _ref(element: ET.Element | None, name: str) -> ET.Element | None:
    return element.find(name) if element is not None else None


def _domain_id(state: State, disk: ET.Element) -> str | None:
    """The first of `storage_domains`, by id, else by name (404 when no domain has it)."""
    first = disk.find("storage_domains/storage_domain")
    if first is None:
        return None
    if first.get("id"):
        domain_id = first.get("id") or ""
        if domain_id not in state.storage_domains:  # updateStorageTypeForDisk's lookup
            raise not_found(domain_id)
        return domain_id
    name = _text(first, "name")
    if name is None:
        return None
    for domain in state.storage_domains.values():
        if domain.name == name:
            return domain.id
    raise not_found(name)


def read_disk(
    state: State,
    disk: ET.Element | None,
    *,
    method: str = "add",
    legacy_size: bool = False,
    attachment: ET.Element | None = None,
    vm_id: str | None = None,
) -> DiskRequest:
    """A new disk: `POST /disks` (`BackendDisksResource.add:34-100`) or, with `attachment`, a
    new disk of `POST /vms/{vm}/diskattachments` (`BackendDiskAttachmentsResource:62-153`)."""
    size_field = "provisionedSize|size" if legacy_size else "provisionedSize"
    size = _int(disk, "provisioned_size")
    if size is None and legacy_size:
        size = _int(disk, "size")
    fmt = _text(disk, "format")
    missing = [f for f, v in ((size_field, size), ("format", fmt)) if v is None]
    if missing:
        raise incomplete("Disk", missing, method)
    assert disk is not None and size is not None and fmt is not None
    return DiskRequest(
        provisioned_size=size,
        format=fmt,
        storage_domain_id=_domain_id(state, disk),
        alias=_text(disk, "alias") or _text(disk, "name") or None,
        description=_text(disk, "description"),
        sparse=_flag(disk, "sparse"),
        backup=_text(disk, "backup"),
        initial_size=_int(disk, "initial_size"),
        disk_id=disk.get("id") or None,
        image_id=_text(disk, "image_id") or None,
        shareable=bool(_flag(disk, "shareable")),
        content_type=_text(disk, "content_type") or "data",
        wipe_after_delete=_flag(disk, "wipe_after_delete"),
        propagate_errors=bool(_flag(disk, "propagate_errors")),
        vm_id=vm_id,
        active=_flag(attachment, "active"),
        bootable=bool(_flag(attachment, "bootable")),
        interface=_text(attachment, "interface"),
        read_only=bool(_flag(attachment, "read_only") or _flag(disk, "read_only")),
        pass_discard=bool(_flag(attachment, "pass_discard")),
    )


def read_attachment(attachment: ET.Element) -> AttachRequest:
    """`POST /vms/{vm}/diskattachments` naming an existing disk, or with `<snapshot id>` inside
    `<disk>` the disk as of that snapshot (`BackendDiskAttachmentsResource.java:87-114`)."""
    disk = attachment.find("disk")
    assert disk is not None
    snapshot = disk.find("snapshot")
    if snapshot is not None and not snapshot.get("id"):
        raise incomplete("Disk", ["snapshot.id"], "attachDiskToVm")
    return AttachRequest(
        disk_id=disk.get("id") or "",
        active=bool(_flag(attachment, "active")),
        bootable=bool(_flag(attachment, "bootable")),
        interface=_text(attachment, "interface"),
        read_only=bool(_flag(attachment, "read_only") or _flag(disk, "read_only")),
        pass_discard=bool(_flag(attachment, "pass_discard")),
        snapshot_id=None if snapshot is None else snapshot.get("id"),
    )


def read_attachment_update(attachment: ET.Element) -> AttachmentUpdate:
    """`PUT /vms/{vm}/diskattachments/{id}` (`BackendDiskAttachmentResource.update:69-128`)."""
    disk = attachment.find("disk")
    alias = _text(disk, "alias") or _text(disk, "name")
    return AttachmentUpdate(
        active=_flag(attachment, "active"),
        bootable=_flag(attachment, "bootable"),
        interface=_text(attachment, "interface"),
        pass_discard=_flag(attachment, "pass_discard"),
        read_only=_flag(attachment, "read_only")
        if _flag(disk, "read_only") is None
        else _flag(disk, "read_only"),
        provisioned_size=_int(disk, "provisioned_size"),
        alias=alias,
        description=_text(disk, "description"),
        backup=_text(disk, "backup"),
        propagate_errors=_flag(disk, "propagate_errors"),
        wipe_after_delete=_flag(disk, "wipe_after_delete"),
        shareable=_flag(disk, "shareable"),
    )


def _cluster_id(state: State, vm: ET.Element) -> str:
    """`BackendVmsResource.getCluster:888-897`: by name when no id is given."""
    cluster = vm.find("cluster")
    assert cluster is not None
    cluster_id = cluster.get("id")
    if cluster_id:
        if cluster_id not in state.clusters:
            raise not_found("GetClusterById")
        return cluster_id
    name = _text(cluster, "name") or ""
    for found in state.clusters.values():
        if found.name == name:
            return found.id
    raise not_found(f"Cluster: name={name}")


def read_vm(
    state: State, body: bytes, content_type: str | None
) -> VmRequest | ImportRequest | CloneRequest:
    """`POST /vms` (`BackendVmsResource.add:181-271`): a VM from the Blank template, a
    configuration to import, or a clone of a snapshot."""
    vm = parse_body(body, "vm", content_type=content_type)
    assert vm is not None
    cluster = vm.find("cluster")
    if cluster is None or not (cluster.get("id") or _text(cluster, "name") is not None):
        raise incomplete("Vm", ["cluster.id|name"], "add")
    configuration = vm.find("initialization/configuration")
    if configuration is not None:
        missing = [
            f"initialization.configuration.{name}"
            for name in ("type", "data")
            if _text(configuration, name) is None
        ]
        if missing:
            raise incomplete("Vm", missing, "add")
        return ImportRequest(
            configuration=_text(configuration, "data") or "",
            cluster_id=cluster.get("id") or _cluster_id(state, vm),  # an id is not looked up
            regenerate_ids=bool(_flag(vm.find("initialization"), "regenerate_ids")),
            name=_text(vm, "name"),
            description=_text(vm, "description"),
            memory=_int(vm, "memory"),
        )
    name = _text(vm, "name")
    if name is None:
        raise incomplete("Vm", ["name"], "add")
    snapshot = vm.find("snapshots/snapshot")
    if snapshot is not None:
        if not snapshot.get("id"):
            raise incomplete("Snapshot", ["id"], "validateSnapshotExistence")
        return _clone(state, vm, snapshot.get("id") or "", name)
    template = vm.find("template")
    if template is None or not (template.get("id") or _text(template, "name") is not None):
        raise incomplete("Vm", ["template.id|name"], "add")
    cluster_id = _cluster_id(state, vm)
    by_id = template.get("id")
    if (by_id and by_id != BLANK.id) or (not by_id and _text(template, "name") != BLANK.name):
        raise not_found("GetVmTemplate")  # lookupTemplate: only Blank exists here
    topology = vm.find("cpu/topology")
    policy = vm.find("memory_policy")
    return VmRequest(
        name=name,
        cluster_id=cluster_id,
        vm_id=vm.get("id") or None,
        memory=_int(vm, "memory"),
        memory_guaranteed=_int(policy, "guaranteed"),
        memory_max=_int(policy, "max"),
        sockets=_int(topology, "sockets"),
        cores=_int(topology, "cores"),
        threads=_int(topology, "threads"),
        description=_text(vm, "description"),
        comment=_text(vm, "comment"),
        type=_text(vm, "type"),
        os=_text(vm.find("os"), "type"),
        delete_protected=bool(_flag(vm, "delete_protected")),
        stateless=bool(_flag(vm, "stateless")),
    )


def _clone(state: State, vm: ET.Element, snapshot_id: str, name: str) -> CloneRequest:
    """`createVmFromSnapshot:340-360`: the cluster is looked up (404), then the snapshot's
    configuration (`GetVmConfigurationBySnapshot`; none: 404 `Entity not found: `); a
    cluster named without an id leaves the configuration's (`VmBaseMapper` maps an id)."""
    _cluster_id(state, vm)
    if snapshot_id not in state.snapshots:
        raise not_found("")
    cluster = vm.find("cluster")
    return CloneRequest(
        snapshot_id=snapshot_id,
        name=name,
        cluster_id=cluster.get("id") if cluster is not None else None,
        description=_text(vm, "description"),
        comment=_text(vm, "comment"),
        memory=_int(vm, "memory"),
    )


def read_nic(body: bytes, content_type: str | None) -> NicRequest:
    """`POST /vms/{vm}/nics` (`BackendVmNicsResource.add`: `name` is mandatory)."""
    nic = parse_body(body, "nic", content_type=content_type)
    assert nic is not None
    name = _text(nic, "name")
    if name is None:
        raise incomplete("Nic", ["name"], "add")
    profile = nic.find("vnic_profile")
    return NicRequest(
        name=name,
        vnic_profile_id=profile.get("id") if profile is not None else None,
        mac=_text(nic.find("mac"), "address") or None,
        interface=_text(nic, "interface") or "virtio",
        description=_text(nic, "description") or "",
        linked=_flag(nic, "linked") is not False,
        plugged=_flag(nic, "plugged") is not False,
    )


def read_event(body: bytes, content_type: str | None) -> EventRequest:
    """`POST /events` (`BackendEventsResource.add:62-67`)."""
    event = parse_body(body, "event", content_type=content_type)
    assert event is not None
    values = {
        "origin": _text(event, "origin"),
        "severity": _text(event, "severity"),
        "customId": _text(event, "custom_id"),
        "description": _text(event, "description"),
    }
    missing = [name for name, value in values.items() if value is None]
    if missing:
        raise incomplete("Event", missing, "add")

    def link(name: str) -> str | None:
        found = event.find(name)
        return found.get("id") or None if found is not None else None

    return EventRequest(
        origin=values["origin"] or "",
        severity=values["severity"] or "normal",
        custom_id=int(values["customId"] or 0),
        description=values["description"] or "",
        vm_id=link("vm"),
        host_id=link("host"),
        storage_domain_id=link("storage_domain"),
        cluster_id=link("cluster"),
        data_center_id=link("data_center"),
        template_id=link("template"),
        flood_rate=_int(event, "flood_rate"),
        custom_data=_text(event, "custom_data"),
        correlation_id=_text(event, "correlation_id"),
    )
