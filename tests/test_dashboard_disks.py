"""The dashboard shows the disks a restore creates (floating disks and their status); the
control plane's inventory lists them, and VMs' NICs, networks and vNIC profiles."""

from __future__ import annotations

import base64

import pytest

from fakeovirt import FakeOvirt, TransitionPolicy
from fakeovirt.core.disks import DiskRequest
from fakeovirt.core.nics import NicRequest
from tests.browser import browser_session  # noqa: F401  (a fixture)
from tests.test_dashboard import STATE, Dom, chromium, dump_dom


def add_floating_disk(fake: FakeOvirt, alias: str) -> str:
    with fake.lock:
        domain = next(d for d in fake.engine.state.storage_domains.values() if d.type == "data")
        request = DiskRequest(1 << 30, "cow", domain.id, alias=alias)
        return fake.engine.add_disk(request).id


def test_state_lists_floating_disks_with_their_status() -> None:
    fake = FakeOvirt(policy=TransitionPolicy.after_reads(1))
    disk_id = add_floating_disk(fake, "restored")
    state = fake.client().get(STATE).get_json()
    (disk,) = state["floating_disks"]
    assert disk["id"] == disk_id and disk["alias"] == "restored"
    assert (disk["status"], disk["format"], disk["size"]) == ("locked", "cow", 1 << 30)
    assert fake.client().get(STATE).get_json()["floating_disks"][0]["status"] == "locked", (
        "watching never moves the disk's creation"
    )
    with fake.lock:
        disk_shown = fake.engine.state.disks[disk_id]
        fake.engine.observe_disk(disk_shown)
        fake.engine.observe_disk(disk_shown)
    assert fake.client().get(STATE).get_json()["floating_disks"][0]["status"] == "ok"
    assert not fake.errors


@pytest.mark.usefixtures("browser_session")
def test_chromium_shows_a_floating_disk_being_created() -> None:
    binary = chromium()
    fake = FakeOvirt(policy=TransitionPolicy.after_reads(1))
    with fake.start(tls=False):
        disk_id = add_floating_disk(fake, "restored")
        dom = Dom(dump_dom(binary, fake.origin + "/fakeovirt/dashboard"))
    assert dom.find(data_disk_id=disk_id, data_status="locked")
    assert not fake.errors


def test_the_control_planes_inventory_lists_floating_disks_nics_and_networks() -> None:
    fake = FakeOvirt()
    disk_id = add_floating_disk(fake, "restored")
    with fake.lock:
        vm = fake.engine.vm_by_name("vm-up")
        profile = next(iter(fake.engine.state.vnic_profiles.values()))
        nic = fake.engine.add_nic(vm.id, NicRequest(name="nic1", vnic_profile_id=profile.id))
    token = base64.b64encode(f"{fake.username}:{fake.password}".encode()).decode()
    inventory = (
        fake.client()
        .get("/fakeovirt/inventory", headers={"Authorization": f"Basic {token}"})
        .get_json()
    )
    (floating,) = inventory["floating_disks"]
    assert (floating["id"], floating["status"], floating["sparse"]) == (disk_id, "ok", True)
    assert [n["name"] for n in inventory["networks"]] == ["ovirtmgmt"]
    assert [p["network"] for p in inventory["vnic_profiles"]] == ["ovirtmgmt"]
    (vm_up,) = (v for v in inventory["vms"] if v["name"] == "vm-up")
    assert vm_up["nics"] == [
        {"id": nic.id, "name": "nic1", "mac": nic.mac, "vnic_profile": "ovirtmgmt"}
    ]
    first = vm_up["disks"][0]
    assert (first["bootable"], first["interface"], first["status"]) == (True, "virtio_scsi", "ok")
    assert vm_up["memory"] == vm.memory
