"""Rendering networks, vNIC profiles and a VM's NICs as oVirt v4 elements
(`restapi/types/NetworkMapper.java`, `VnicProfileMapper.java:69-114`, `NicMapper.java`)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from fakeovirt.core.model import Network, Nic, VnicProfile
from fakeovirt.core.state import State
from fakeovirt.web.follow import Follow
from fakeovirt.web.xmlout import collection, entity, nested, reference

from .inventory import href, render_data_center, vm_ref

__all__ = ["render_network", "render_nic", "render_vnic_profile"]


def render_network(state: State, network: Network, follow: Follow) -> ET.Element:
    dc = state.data_centers.get(network.data_center_id)
    data_center = (
        render_data_center(state, dc, {})
        if dc is not None and "data_center" in follow
        else reference(
            "data_center", network.data_center_id, href("datacenters", network.data_center_id)
        )
    )
    profiles = None
    rels = [("vnicprofiles", href("networks", network.id, "vnicprofiles"))]
    if "vnic_profiles" in follow:
        profiles = collection(
            "vnic_profiles",
            (
                render_vnic_profile(state, p, follow["vnic_profiles"])
                for p in state.vnic_profiles.values()
                if p.network_id == network.id
            ),
        )
        rels = []
    usages = ET.Element("usages")
    ET.SubElement(usages, "usage").text = "vm"
    if network.name == "ovirtmgmt":
        ET.SubElement(usages, "usage").text = "management"
    return entity(
        "network",
        network.id,
        href("networks", network.id),
        attributes={
            "description": network.description or None,
            "mtu": network.mtu,
            "name": network.name,
            "required": True,
            "stp": False,
            "usages": usages,
        },
        links={"data_center": data_center, "vnic_profiles": profiles},
        rels=rels,
    )


def render_vnic_profile(state: State, profile: VnicProfile, follow: Follow) -> ET.Element:
    network = state.networks.get(profile.network_id)
    return entity(
        "vnic_profile",
        profile.id,
        href("vnicprofiles", profile.id),
        attributes={
            "description": profile.description or None,
            "name": profile.name,
            "pass_through": nested(
                "pass_through", {"mode": "enabled" if profile.pass_through else "disabled"}
            ),
            "port_mirroring": profile.port_mirroring,
        },
        links={
            "network": (
                render_network(state, network, follow["network"])
                if network is not None and "network" in follow
                else reference("network", profile.network_id, href("networks", profile.network_id))
            )
        },
    )


def render_nic(state: State, nic: Nic, follow: Follow) -> ET.Element:
    profile = state.vnic_profiles.get(nic.vnic_profile_id or "")
    if profile is not None and "vnic_profile" in follow:
        profile_element: ET.Element | None = render_vnic_profile(
            state, profile, follow["vnic_profile"]
        )
    elif nic.vnic_profile_id is not None:
        profile_element = reference(
            "vnic_profile", nic.vnic_profile_id, href("vnicprofiles", nic.vnic_profile_id)
        )
    else:
        profile_element = None
    return entity(
        "nic",
        nic.id,
        href("vms", nic.vm_id, "nics", nic.id),
        attributes={
            "description": nic.description or None,
            "interface": nic.interface,
            "linked": nic.linked,
            "mac": nested("mac", {"address": nic.mac}),
            "name": nic.name,
            "plugged": nic.plugged,
        },
        links={"vm": vm_ref(state, nic.vm_id, follow.get("vm")), "vnic_profile": profile_element},
    )
