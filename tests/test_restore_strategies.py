"""fakeovirt.strategies for the restore side: the disks and VMs a restore creates.

Each valid request is created by the engine exactly as asked; each invalid one gets the
predicted fault and changes nothing.
"""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from fakeovirt import FakeOvirt, ManualClock
from fakeovirt import strategies as fst
from fakeovirt.web.command_bodies import read_disk, read_vm
from fakeovirt.web.parse import parse_body
from tests.restoretools import engine_picture

API = "/ovirt-engine/api"


@pytest.fixture(scope="module")
def local() -> Iterator[FakeOvirt]:
    """An unserved fake (in-process client only), strict about its own answers."""
    fake = FakeOvirt(strict=True, clock=ManualClock())
    yield fake
    assert not fake.errors, fake.errors[0].traceback


def _headers(fake: FakeOvirt) -> dict[str, str]:
    token = base64.b64encode(f"{fake.username}:{fake.password}".encode()).decode()
    return {"Authorization": f"Basic {token}", "Content-Type": "application/xml"}


def _domains(fake: FakeOvirt) -> list[str]:
    with fake.lock:
        return sorted(
            d.id
            for d in fake.engine.state.storage_domains.values()
            if d.type == "data" and d.status == "active"
        )


def _clusters(fake: FakeOvirt) -> list[str]:
    with fake.lock:
        return sorted(fake.engine.state.clusters)


def _vm_names(fake: FakeOvirt) -> list[str]:
    with fake.lock:
        return sorted(vm.name for vm in fake.engine.state.vms.values())


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_generated_disks_are_created_as_asked(local: FakeOvirt, data: st.DataObject) -> None:
    local.reset("demo")
    request = data.draw(fst.disk_requests(storage_domain_ids=_domains(local)))
    response = local.client().post(
        f"{API}/disks", data=fst.disk_request_http(request), headers=_headers(local)
    )
    assert response.status_code == 202, response.data
    disk_id = ET.fromstring(response.data).get("id")
    with local.lock:
        disk = local.engine.state.disks[disk_id or ""]
    assert disk_id == (request.disk_id or disk_id)
    assert (disk.format, disk.sparse, disk.storage_domain_id) == (
        request.format,
        request.sparse is not False,
        request.storage_domain_id,
    )
    assert disk.backup == (request.backup or "none")
    assert disk.provisioned_size >= request.provisioned_size  # rounded up to a block


def _expect_refusal(
    local: FakeOvirt,
    collection: str,
    body: bytes,
    invalid: fst.InvalidDiskRequest | fst.InvalidVmRequest,
) -> None:
    """POST `body` to the collection: the predicted status and fault detail, nothing changed."""
    before = engine_picture(local)
    response = local.client().post(f"{API}/{collection}", data=body, headers=_headers(local))
    assert response.status_code == invalid.status
    assert ET.fromstring(response.data).findtext("detail") in (
        invalid.detail,
        f"[{invalid.detail}]",
    )
    assert engine_picture(local) == before, "a refused request changes nothing"


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_invalid_disks_get_exactly_the_predicted_fault(
    local: FakeOvirt, data: st.DataObject
) -> None:
    local.reset("demo")
    invalid = data.draw(fst.invalid_disk_requests(storage_domain_ids=_domains(local)))
    _expect_refusal(local, "disks", fst.disk_request_http(invalid.request), invalid)


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_generated_vms_are_created_as_asked(local: FakeOvirt, data: st.DataObject) -> None:
    local.reset("demo")
    request = data.draw(fst.vm_requests(cluster_ids=_clusters(local), taken_names=_vm_names(local)))
    response = local.client().post(
        f"{API}/vms", data=fst.vm_request_http(request), headers=_headers(local)
    )
    assert response.status_code == 201, response.data
    vm = local.vm(request.name)
    assert (vm.cluster_id, vm.memory, vm.status.value) == (
        request.cluster_id,
        request.memory,
        "down",
    )
    assert vm.guaranteed_memory == (request.memory_guaranteed or request.memory)
    assert vm.cpu_sockets == (request.sockets or 1)


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_invalid_vms_get_exactly_the_predicted_fault(local: FakeOvirt, data: st.DataObject) -> None:
    local.reset("demo")
    invalid = data.draw(
        fst.invalid_vm_requests(cluster_ids=_clusters(local), taken_names=_vm_names(local))
    )
    _expect_refusal(local, "vms", fst.vm_request_http(invalid.request), invalid)


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_the_bodies_parse_back_to_the_same_requests(local: FakeOvirt, data: st.DataObject) -> None:
    disk = data.draw(fst.disk_requests(storage_domain_ids=_domains(local)))
    with local.lock:
        parsed = read_disk(local.engine.state, parse_body(fst.disk_request_http(disk), "disk"))
    assert parsed == disk
    vm = data.draw(fst.vm_requests(cluster_ids=_clusters(local)))
    with local.lock:
        back = read_vm(local.engine.state, fst.vm_request_http(vm), "application/xml")
    assert back == vm


@pytest.mark.parametrize(
    "strategy",
    [
        fst.disk_requests(storage_domain_ids=[]),
        fst.disk_requests(storage_domain_ids=["sd"], formats=["qcow2"]),
        fst.disk_requests(storage_domain_ids=["sd"], min_size=2, max_size=1),
        fst.invalid_disk_requests(storage_domain_ids=[]),
        fst.vm_requests(cluster_ids=[]),
        fst.invalid_vm_requests(cluster_ids=[]),
    ],
)
def test_bad_arguments_are_invalid_argument(strategy: st.SearchStrategy[object]) -> None:
    with pytest.raises(InvalidArgument):
        strategy.validate()
