"""Bad input gets a clear fault, never a 500 or an HTML page, and changes nothing: XML on the
API, JSON on SSO and the control plane (whatever the error, 413 and 500 included)."""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from werkzeug.test import Client, TestResponse

from fakeovirt import FakeOvirt
from fakeovirt.web.mounted.control import ControlPlane

AUTH = {"Authorization": "Basic " + base64.b64encode(b"admin@internal:fakeovirt").decode()}
API = "/ovirt-engine/api"


@pytest.fixture
def client(fake: FakeOvirt) -> Client:
    return fake.client()


def fault(response: TestResponse, status: int) -> str:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/xml"
    root = ET.fromstring(response.get_data())
    assert root.tag == "fault"
    detail = root.findtext("detail") or ""
    assert detail.startswith("[") and detail.endswith("]")
    return detail


def backups_url(fake: FakeOvirt) -> str:
    return f"{API}/vms/{fake.vm('vm-up').id}/backups"


def state_counts(fake: FakeOvirt) -> tuple[int, ...]:
    state = fake.engine.state
    return (
        len(state.backups),
        len(state.checkpoints),
        len(state.events),
        len(state.snapshots),
        len(state.transfers),
        sum(d.status == "locked" for d in state.disks.values()),
    )


USAGE = (
    "For correct usage, see: http://localhost/ovirt-engine/apidoc#services/{service}/methods/add"
)

# Bodies the engine's JAXB reader cannot read: 400 "Request syntactically incorrect." with a
# link to the method's documentation (RESTAPI/resource/validation/UsageFinder.java).
UNREADABLE = {
    "malformed": b"<backup><disks>",
    "billion laughs": (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        b"<backup><description>&lol2;</description></backup>"
    ),
    "external entity": (
        b'<?xml version="1.0"?><!DOCTYPE b [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b"<backup><description>&x;</description><disks><disk id='x'/></disks></backup>"
    ),
    "unknown element": b"<backup><colour>red</colour><disks><disk id='x'/></disks></backup>",
    "not xml": b"\x00\xff\xfe garbage",
    "empty": b"",
}
REFUSED = {
    "wrong root": b"<vm><name>x</name></vm>",
    "disk without id": b"<backup><disks><disk/></disks></backup>",
}
HOSTILE = {**UNREADABLE, **REFUSED}


def syntax_fault(response: TestResponse, service: str) -> None:
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.mimetype == "application/xml"
    root = ET.fromstring(response.get_data())
    assert root.findtext("reason") == "Request syntactically incorrect."
    assert root.findtext("detail") == USAGE.format(service=service)


@pytest.mark.parametrize("body", UNREADABLE.values(), ids=UNREADABLE.keys())
def test_unreadable_backup_bodies_are_the_engines_400_and_change_nothing(
    fake: FakeOvirt, client: Client, body: bytes
) -> None:
    before = state_counts(fake)
    syntax_fault(client.post(backups_url(fake), data=body, headers=AUTH), "vm_backups")
    assert state_counts(fake) == before


@pytest.mark.parametrize("body", REFUSED.values(), ids=REFUSED.keys())
def test_backup_bodies_without_what_a_backup_needs_are_400_and_change_nothing(
    fake: FakeOvirt, client: Client, body: bytes
) -> None:
    before = state_counts(fake)
    detail = fault(client.post(backups_url(fake), data=body, headers=AUTH), 400)
    assert "Invalid request body" in detail
    assert state_counts(fake) == before


def test_a_non_number_in_a_transfer_is_syntactically_incorrect(client: Client) -> None:
    """`IntegerParser` fails inside JAXB with a `NumberFormatException`: the usage fault."""
    body = b"<image_transfer><inactivity_timeout>soon</inactivity_timeout></image_transfer>"
    syntax_fault(client.post(f"{API}/imagetransfers", data=body, headers=AUTH), "image_transfers")


def test_oversize_body_is_413(fake: FakeOvirt, client: Client) -> None:
    body = b"<backup><description>" + b"x" * (9 << 20) + b"</description></backup>"
    fault(client.post(backups_url(fake), data=body, headers=AUTH), 413)


def test_unknown_path_is_an_xml_404(client: Client) -> None:
    assert "no resource" in fault(client.get(f"{API}/nothing/here", headers=AUTH), 404)
    assert "no resource" in fault(client.get("/elsewhere", headers=AUTH), 404)


def test_wrong_method_is_an_xml_405_with_allow(fake: FakeOvirt, client: Client) -> None:
    response = client.put(f"{API}/vms/{fake.vm('vm-up').id}", headers=AUTH)
    fault(response, 405)
    assert response.headers["Allow"] == "DELETE, GET, HEAD"


def test_unknown_follow_is_400_naming_the_choices(client: Client) -> None:
    detail = fault(client.get(f"{API}/vms?follow=tags", headers=AUTH), 400)
    assert "disk_attachments" in detail


def test_an_unknown_nested_follow_is_400_naming_the_choices_there(client: Client) -> None:
    """Every segment is checked, not only the first (LinkFollower follows each one)."""
    detail = fault(client.get(f"{API}/vms?follow=disk_attachments.bogus", headers=AUTH), 400)
    assert detail == (
        "[Cannot follow link 'bogus' of disk_attachment; links that can be followed: disk, vm]"
    )


def test_missing_credentials_are_an_xml_401(client: Client) -> None:
    fault(client.get(f"{API}/vms"), 401)
    fault(client.get(f"{API}/vms", headers={"Authorization": "Bearer nope"}), 401)
    fault(client.get(f"{API}/vms", headers={"Authorization": "Basic !!!"}), 401)


def test_sso_answers_json_errors(client: Client) -> None:
    response = client.post(
        "/ovirt-engine/sso/oauth/token",
        data={"grant_type": "password", "username": "admin@internal", "password": "no"},
    )
    assert response.status_code == 401
    assert response.mimetype == "application/json"
    assert response.json is not None and response.json["error"] == "access_denied"


def test_bad_ranges_on_the_data_endpoint_are_416_and_unknown_tickets_403(
    client: Client,
) -> None:
    assert client.get("/images/no-such-ticket", headers={"Range": "bytes=0-9"}).status_code == 403


def test_server_keeps_serving_after_bad_input(fake: FakeOvirt, client: Client) -> None:
    for body in HOSTILE.values():
        client.post(backups_url(fake), data=body, headers=AUTH)
    assert client.get(f"{API}/vms", headers=AUTH).status_code == 200
    assert fake.errors == []


def test_an_internal_error_on_the_control_plane_is_json(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: Any) -> Any:
        raise RuntimeError("/etc/passwd: root:x:0:0")

    monkeypatch.setattr(ControlPlane, "_clock", broken)
    fake = FakeOvirt()
    answer = fake.client().get("/fakeovirt/clock", headers=AUTH)
    assert (answer.status_code, answer.mimetype) == (500, "application/json")
    assert answer.json is not None and answer.json["error"] == "internal_error"
    assert "root:x" not in answer.get_data(as_text=True), "only the exception's type is told"
    assert [type(e.error) for e in fake.errors] == [RuntimeError]


@pytest.mark.parametrize(
    ("path", "keys"),
    [
        ("/ovirt-engine/sso/oauth/token", {"error", "error_description"}),
        ("/fakeovirt/scenario", {"error", "detail"}),
    ],
)
def test_a_body_too_large_is_refused_in_json(fake: FakeOvirt, path: str, keys: set[str]) -> None:
    answer = fake.client().post(path, data=b"x" * (9 << 20), headers=AUTH)
    assert (answer.status_code, answer.mimetype) == (413, "application/json")
    assert answer.json is not None and set(answer.json) == keys
