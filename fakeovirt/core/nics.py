"""Networks, vNIC profiles and VM network interfaces: what a restore touches of the network.

Rules of this file:
- every data center has the management network `ovirtmgmt` and a vNIC profile of the same
  name, as an engine's setup creates them; their ids derive from the data center's, so
  adding them never shifts the ids a scenario's seed gives;
- MAC addresses come from the engine's default pool range, `56:6f:…`, in order;
- `add_nic` validates in `AddVmInterfaceCommand.validate` order
  (`BLL/network/vm/AddVmInterfaceCommand.java:93-155`) and changes nothing when it refuses.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from . import messages as msg
from .model import DataCenter, Network, Nic, Vm, VmStatus, VnicProfile
from .state import State
from .translate import Command, refuse

__all__ = [
    "ADD_NIC",
    "INTERFACES",
    "MANAGEMENT_NETWORK",
    "NicRequest",
    "add_default_networks",
    "add_nic",
    "allocate_mac",
    "interface_type",
    "profile_network",
]

MANAGEMENT_NETWORK = "ovirtmgmt"
ADD_NIC = Command("AddVmInterface", "add", "Interface")
# NicInterface -> the engine's VmInterfaceType (value, description) (`VmInterfaceType.java`)
INTERFACES = {
    "rtl8139_virtio": (0, "Dual mode rtl8139, VirtIO"),
    "rtl8139": (1, "rtl8139"),
    "e1000": (2, "e1000"),
    "virtio": (3, "VirtIO"),
    "spapr_vlan": (4, "sPAPR VLAN"),
    "pci_passthrough": (5, "PCI Passthrough"),
    "e1000e": (6, "e1000e"),
}
_NAMESPACE = uuid.UUID("5f1e0d6a-0000-4000-8000-0000fa4e0f7e")


@dataclass(frozen=True)
class NicRequest:
    """A parsed `POST /vms/{vm}/nics` (or a NIC of an imported configuration)."""

    name: str
    vnic_profile_id: str | None = None
    mac: str | None = None
    interface: str = "virtio"
    description: str = ""
    linked: bool = True
    plugged: bool = True


def add_default_networks(state: State, dc: DataCenter) -> None:
    """The management network and its profile, as every engine data center has them."""
    network = Network(
        id=str(uuid.uuid5(_NAMESPACE, f"{dc.id}/network/{MANAGEMENT_NETWORK}")),
        name=MANAGEMENT_NETWORK,
        data_center_id=dc.id,
        description="Management Network",
    )
    profile = VnicProfile(
        id=str(uuid.uuid5(_NAMESPACE, f"{network.id}/vnicprofile/{MANAGEMENT_NETWORK}")),
        name=MANAGEMENT_NETWORK,
        network_id=network.id,
    )
    state.networks[network.id] = network
    state.vnic_profiles[profile.id] = profile


def allocate_mac(state: State) -> str:
    """The pool's next address."""
    number = state.next_mac
    state.next_mac += 1
    return "56:6f:" + ":".join(f"{(number >> s) & 0xFF:02x}" for s in (24, 16, 8, 0))


def interface_type(interface: str) -> tuple[int, str]:
    """The engine's VmInterfaceType value and description of a NIC interface."""
    return INTERFACES.get(interface, INTERFACES["virtio"])


def profile_network(state: State, profile_id: str | None) -> Network | None:
    profile = state.vnic_profiles.get(profile_id or "")
    return state.networks.get(profile.network_id) if profile else None


def vm_data_center(state: State, vm: Vm) -> str | None:
    cluster = state.clusters.get(vm.cluster_id)
    return cluster.data_center_id if cluster else None


def add_nic(state: State, vm_id: str, request: NicRequest, user: str) -> Nic:
    """`POST /vms/{vm}/nics` (AddVmInterface)."""
    vm = state.vms.get(vm_id)
    if vm is None:
        raise refuse(ADD_NIC, msg.VM_NOT_FOUND)
    if vm.status not in (VmStatus.UP, VmStatus.DOWN, VmStatus.IMAGE_LOCKED):
        raise refuse(ADD_NIC, msg.NIC_VM_STATUS)
    if any(nic.name == request.name for nic in vm.nics):
        raise refuse(ADD_NIC, msg.NIC_NAME_IN_USE)
    if request.vnic_profile_id is not None:
        if request.vnic_profile_id not in state.vnic_profiles:
            raise refuse(ADD_NIC, msg.VNIC_PROFILE_NOT_EXISTS)
        network = profile_network(state, request.vnic_profile_id)
        if network is None or network.data_center_id != vm_data_center(state, vm):
            raise refuse(ADD_NIC, msg.NETWORK_NOT_IN_CLUSTER)
    if request.mac is not None:
        holder = mac_holder(state, request.mac)
        if holder is not None:
            raise refuse(ADD_NIC, msg.MAC_ADDRESS_IN_USE, MacAddress=request.mac, VmName=holder)
    nic = Nic(
        id=state.ids.new(),
        name=request.name,
        vm_id=vm.id,
        mac=request.mac or allocate_mac(state),
        vnic_profile_id=request.vnic_profile_id,
        interface=request.interface,
        linked=request.linked,
        plugged=request.plugged,
        description=request.description,
    )
    vm.nics.append(nic)
    vm.generation += 1
    state.log(
        "nic_added",
        msg.EVENT_ADD_NIC.format(
            nic=nic.name, interface=interface_type(nic.interface)[1], vm=vm.name, user=user
        ),
        user=user,
        vm=vm,
        subjects=(nic.id,),
    )
    return nic


def mac_holder(state: State, mac: str) -> str | None:
    """The name of a VM whose NIC has `mac` (the default pool allows no duplicates)."""
    wanted = mac.lower()
    for vm in state.vms.values():
        if any(nic.mac.lower() == wanted for nic in vm.nics):
            return vm.name
    return None
