"""A VM created from a saved configuration: `POST /vms` with `initialization.configuration`.

Rules of this file (REST `BackendVmsResource.importVmFromConfiguration:378-408`, BLL
`exportimport/ImportVmFromConfigurationCommand.java`, `ImportVmCommand.validate:221-248,
524-600`, `ImportVmCommandBase.validate:149-242`):
- the VM takes its id (unless `regenerate_ids`), name, description, memory, CPU topology, OS
  and NICs from the OVF; the request's own members (its name, ...) win over the OVF's, and
  its cluster is the one the VM goes to;
- the OVF's disks are not created: each disk it names is attached to the new VM as the OVF
  describes it (`attemptToAttachDisksToImportedVm`), which works when a disk with that id
  exists, e.g. created by the restore with the original id; the ones that fail are named in
  event 175, else event 174 says all went well;
- NICs keep their MAC unless `regenerate_ids`; a MAC another VM uses is refused, as the
  default MAC pool allows no duplicates; a NIC's profile is found by its name on the OVF's
  network in the VM's data center, else the NIC has none;
- validation happens before anything changes; a refused import changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import messages as msg
from .attachments import AttachRequest, attach
from .errors import EngineError
from .jobs import start_job
from .model import Nic, Vm, VmStatus
from .nics import allocate_mac, mac_holder, vm_data_center
from .ovf import OvfVm, read_vm
from .state import State
from .translate import Command, refuse
from .vms import create, name_used

__all__ = ["IMPORT_VM", "ImportRequest", "engine_list", "import_vm"]

IMPORT_VM = Command("ImportVmFromConfiguration", "import", "VM")


@dataclass(frozen=True)
class ImportRequest:
    """A parsed `POST /vms` carrying a configuration of type ovf."""

    configuration: str
    cluster_id: str
    regenerate_ids: bool = False
    name: str | None = None
    description: str | None = None
    memory: int | None = None


def engine_list(items: list[str]) -> str:
    """`ReplacementUtils.replaceWith`: at most five items, each after a tab, one per line."""
    shown = [f"\t{item}" for item in items[:5]] + (["\t..."] if len(items) > 5 else [])
    return ",\n".join(shown)


def import_vm(state: State, request: ImportRequest, user: str) -> Vm:
    """ImportVmFromConfiguration; `OvfError` when the configuration cannot be read."""
    parsed = read_vm(request.configuration)
    cluster = state.clusters.get(request.cluster_id)
    if cluster is None:
        raise refuse(IMPORT_VM, msg.CLUSTER_CAN_NOT_BE_EMPTY)
    name = request.name or parsed.name
    if not request.regenerate_ids:
        taken = [nic.name for nic in parsed.nics if nic.mac and mac_holder(state, nic.mac)]
        if taken:
            variable = "ACTION_TYPE_FAILED_CANNOT_ADD_IFACE_DUE_TO_MAC_DUPLICATES_LIST"
            raise refuse(IMPORT_VM, msg.IMPORT_MAC_DUPLICATES, **{variable: engine_list(taken)})
        existing = state.vms.get(parsed.vm_id)
        if existing is not None:
            raise refuse(IMPORT_VM, msg.IMPORT_VM_EXISTS, VmName=existing.name)
    if name_used(state, name, cluster.data_center_id):
        raise refuse(IMPORT_VM, msg.IMPORT_VM_NAME_EXISTS)
    vm = _vm(state, parsed, request, name)
    create(state, vm)
    vm.nics = _nics(state, vm, parsed, request.regenerate_ids)
    start_job(
        state,
        msg.JOB_IMPORT_VM.format(vm=vm.name, cluster=cluster.name),
        user,
        ended=True,
    )
    failed = []
    for disk in parsed.disks:
        wanted = AttachRequest(
            disk_id=disk.disk_id,
            active=disk.plugged,
            bootable=disk.bootable,
            interface=disk.interface,
            read_only=disk.read_only,
            pass_discard=disk.pass_discard,
        )
        try:
            attach(state, vm.id, wanted, user)
        except EngineError:
            failed.append(disk.alias)
    if failed:
        state.log(
            "vm_imported_attach_failed",
            msg.EVENT_IMPORT_ATTACH_FAILED.format(vm=vm.name, disks=",".join(failed)),
            user=user,
            vm=vm,
        )
    else:
        state.log(
            "vm_imported",
            msg.EVENT_IMPORT_FROM_CONFIGURATION.format(vm=vm.name),
            user=user,
            vm=vm,
        )
    return vm


def _vm(state: State, parsed: OvfVm, request: ImportRequest, name: str) -> Vm:
    return Vm(
        id=state.ids.new() if request.regenerate_ids else parsed.vm_id,
        name=name,
        status=VmStatus.DOWN,
        cluster_id=request.cluster_id,
        host_id=None,
        created=state.now(),
        memory=request.memory or parsed.memory,
        description=request.description if request.description is not None else parsed.description,
        comment=parsed.comment,
        type=parsed.vm_type,
        os=parsed.os,
        cpu_sockets=parsed.sockets,
        cpu_cores=parsed.cores,
        cpu_threads=parsed.threads,
        memory_guaranteed=parsed.memory_guaranteed,
        memory_max=parsed.memory_max,
    )


def _nics(state: State, vm: Vm, parsed: OvfVm, regenerate: bool) -> list[Nic]:
    data_center = vm_data_center(state, vm)
    nics = []
    for found in parsed.nics:
        profile_id = None
        for profile in state.vnic_profiles.values():
            network = state.networks.get(profile.network_id)
            if (
                network is not None
                and network.data_center_id == data_center
                and profile.name == found.profile
                and network.name == found.network
            ):
                profile_id = profile.id
                break
        nics.append(
            Nic(
                id=found.nic_id if found.nic_id and not regenerate else state.ids.new(),
                name=found.name,
                vm_id=vm.id,
                mac=found.mac if found.mac and not regenerate else allocate_mac(state),
                vnic_profile_id=profile_id,
                interface=found.interface,
                linked=found.linked,
                plugged=found.plugged,
            )
        )
    return nics
