"""The engine's JSON: `Accept: application/json` answers the same document in Jackson's form
(`RESTAPI/json/CustomObjectMapperFactory.java` over the JAXB classes and `api.xjb`
adapters): integers and booleans as strings, dates as epoch milliseconds, repeated members
as arrays under the singular name, `href`/`id` as members, no root name. JSON bodies are
read into the same document. Raw HTTPS, as a non-SDK client would call."""

from __future__ import annotations

import base64
import json
import re
import xml.etree.ElementTree as ET
from datetime import datetime
from typing import Any

import ovirtsdk4 as sdk
import ovirtsdk4.types as types

from fakeovirt import FakeOvirt
from fakeovirt.web.routes import API_MAP
from tests import sdkflow
from tests.rawhttp import API, JSON, XML, Reply, call

USAGE = "For correct usage, see: {origin}/ovirt-engine/apidoc#services/{service}/methods/add"
ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d:\d\d|Z)")
DECIMALS = {"datum"}  # the only xs:decimal member fakeovirt serves
ATTRIBUTES = {"id", "href", "rel"}


def get_json(fake: FakeOvirt, path: str) -> Any:
    reply = call(fake, "GET", path, None, {"Accept": "application/json"})
    assert reply.status == 200, reply.body
    return reply.json()


def test_a_vm_in_json(fake: FakeOvirt) -> None:
    vm = fake.vm("vm-up")
    data = get_json(fake, f"/vms/{vm.id}")
    assert data["id"] == vm.id
    assert data["href"] == f"{API}/vms/{vm.id}"
    assert data["name"] == "vm-up"
    assert data["memory"] == str(vm.memory)  # xs:long through the IntegerParser adapter
    assert data["status"] == "up"
    assert data["creation_time"] == int(vm.created.timestamp() * 1000)
    assert data["cluster"] == {"href": f"{API}/clusters/{vm.cluster_id}", "id": vm.cluster_id}
    assert {"href": f"{API}/vms/{vm.id}/permissions", "rel": "permissions"} in data["link"]
    assert "vm" not in data  # no root name


def test_a_collection_is_an_array_under_the_singular_name(fake: FakeOvirt) -> None:
    data = get_json(fake, "/vms?search=name%3Dvm-up")
    assert list(data) == ["vm"]
    assert [vm["name"] for vm in data["vm"]] == ["vm-up"]


def test_an_empty_collection_is_an_empty_object(fake: FakeOvirt) -> None:
    """Jackson's `NON_NULL` omits the never-created list (engine-fidelity §1.3)."""
    assert get_json(fake, f"/vms/{fake.vm('vm-up').id}/backups") == {}


def test_a_transfer_has_string_booleans_and_integers_and_actions(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    vm_id = fake.vm("vm-up").id
    backup = sdkflow.start_backup(connection, vm_id, sdkflow.vm_disks(connection, vm_id))
    disk_id = fake.vm("vm-up").attachments[0].disk_id
    transfer = sdkflow.create_transfer(
        connection, disk_id, types.ImageTransferDirection.DOWNLOAD, backup_id=backup.id
    )
    data = get_json(fake, f"/imagetransfers/{transfer.id}")
    assert (data["active"], data["shallow"]) == ("true", "false")
    assert data["inactivity_timeout"] == "120"
    assert data["phase"] == "transferring"
    rels = [link["rel"] for link in data["actions"]["link"]]
    assert rels == ["cancel", "extend", "finalize", "pause", "resume"]


def test_an_inlined_list_keeps_its_wrapper(fake: FakeOvirt, connection: sdk.Connection) -> None:
    vm_id = fake.vm("vm-down").id
    backup = sdkflow.start_backup(connection, vm_id, sdkflow.vm_disks(connection, vm_id))
    data = get_json(fake, f"/vms/{vm_id}/backups/{backup.id}?follow=disks")
    assert list(data["disks"]) == ["disk"]
    assert [d["alias"] for d in data["disks"]["disk"]] == ["vm-down-disk1"]
    assert data["disks"]["disk"][0]["storage_domains"]["storage_domain"][0]["id"]


def test_a_fault_and_an_action_reply_in_json(fake: FakeOvirt, connection: sdk.Connection) -> None:
    vm_id = fake.vm("vm-up").id
    reply = call(fake, "POST", f"/vms/{vm_id}/backups", "{}", JSON)
    assert reply.status == 400
    assert reply.content_type == "application/json"
    assert set(reply.json()) == {"reason", "detail"}
    backup = sdkflow.start_backup(connection, vm_id, sdkflow.vm_disks(connection, vm_id))
    done = call(fake, "POST", f"/vms/{vm_id}/backups/{backup.id}/finalize", "{}", JSON)
    assert (done.status, done.json()) == (200, {"status": "complete"})


def test_a_json_backup_body_is_read_like_its_xml(fake: FakeOvirt) -> None:
    vm = fake.vm("vm-up")
    disks = [{"id": a.disk_id} for a in vm.attachments]
    body = json.dumps({"description": "from json", "disks": {"disk": disks}})
    reply = call(fake, "POST", f"/vms/{vm.id}/backups", body, JSON)
    assert reply.status == 201, reply.body
    data = reply.json()
    assert data["description"] == "from json"
    assert data["phase"] == "ready"
    assert reply.content_type == "application/json"


def test_json_bodies_take_numbers_and_booleans_as_values(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """Jackson coerces JSON numbers and booleans into the adapters' strings."""
    vm_id = fake.vm("vm-up").id
    backup = sdkflow.start_backup(connection, vm_id, sdkflow.vm_disks(connection, vm_id))
    body = json.dumps(
        {
            "disk": {"id": fake.vm("vm-up").attachments[0].disk_id},
            "backup": {"id": backup.id},
            "direction": "download",
            "format": "raw",
            "inactivity_timeout": 90,
            "shallow": False,
        }
    )
    reply = call(fake, "POST", "/imagetransfers", body, JSON)
    assert reply.status == 201, reply.body
    assert reply.json()["inactivity_timeout"] == "90"


def test_malformed_json_is_the_usage_fault_in_json(fake: FakeOvirt) -> None:
    """`JsonExceptionMapper`: 400 with `UsageFinder`'s reason and link."""
    vm_id = fake.vm("vm-up").id
    reply = call(fake, "POST", f"/vms/{vm_id}/backups", '{"disks": ', JSON)
    assert reply.status == 400
    assert reply.json() == {
        "reason": "Request syntactically incorrect.",
        "detail": USAGE.format(origin=fake.origin, service="vm_backups"),
    }


def test_an_unknown_json_member_is_the_usage_fault(fake: FakeOvirt) -> None:
    """Jackson's default `FAIL_ON_UNKNOWN_PROPERTIES` (not changed by the engine)."""
    vm = fake.vm("vm-up")
    body = json.dumps({"colour": "red", "disks": {"disk": [{"id": vm.attachments[0].disk_id}]}})
    reply = call(fake, "POST", f"/vms/{vm.id}/backups", body, JSON)
    assert reply.status == 400
    assert reply.json()["reason"] == "Request syntactically incorrect."
    assert not fake.engine.state.backups


def test_a_single_object_where_the_model_has_a_list_is_refused(fake: FakeOvirt) -> None:
    """Jackson does not accept a single value as an array unless told to."""
    vm = fake.vm("vm-up")
    body = json.dumps({"disks": {"disk": {"id": vm.attachments[0].disk_id}}})
    reply = call(fake, "POST", f"/vms/{vm.id}/backups", body, JSON)
    assert reply.status == 400
    assert reply.json()["reason"] == "Request syntactically incorrect."


def test_xml_is_the_default_and_the_accept_parameter_chooses_too(fake: FakeOvirt) -> None:
    for headers in ({}, {"Accept": "*/*"}, {"Accept": "application/xml, application/json"}):
        assert call(fake, "GET", "/", None, headers).content_type.startswith("application/xml")
    # resteasy.media.type.param.mapping=accept (the engine's web.xml)
    reply = call(fake, "GET", "/?accept=application/json", None, {})
    assert reply.content_type == "application/json"
    assert reply.json()["product_info"]["name"] == "oVirt Engine"


# -- every resource, both encodings, field by field ---------------------------------------------


def xml_canon(element: ET.Element) -> Any:
    """An XML element as the comparison sees it: attributes as values, child elements as
    lists by tag, leaves as text (dates as epoch ms, decimals as numbers), empty as ""."""
    if not len(element) and not element.attrib:
        text = element.text or ""
        if element.tag in DECIMALS:
            return float(text)
        if ISO.fullmatch(text):
            return round(datetime.fromisoformat(text).timestamp() * 1000)
        return text
    canon: dict[str, Any] = dict(element.attrib)
    for child in element:
        canon.setdefault(child.tag, []).append(xml_canon(child))
    return canon


def json_canon(value: Any, key: str = "") -> Any:
    """A JSON value as the comparison sees it: members as lists (`id`, `href`, `rel` as
    values), decimals as floats, an empty object as ""."""
    if isinstance(value, dict):
        if not value:
            return ""
        return {
            k: v
            if k in ATTRIBUTES
            else [json_canon(i, k) for i in (v if isinstance(v, list) else [v])]
            for k, v in value.items()
        }
    if key in DECIMALS and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return value


def check_arrays(element: ET.Element, data: Any) -> None:
    """Repeated members are arrays even of one: `link`s and the items of every list."""
    for child in element:
        if child.tag == "link":
            assert isinstance(data["link"], list)
    tags = {child.tag for child in element}
    if len(tags) == 1 and f"{next(iter(tags))}s" == element.tag:
        assert isinstance(data[next(iter(tags))], list), element.tag
    grouped: dict[str, list[ET.Element]] = {}
    for child in element:
        grouped.setdefault(child.tag, []).append(child)
    for tag, children in grouped.items():
        values = data[tag] if isinstance(data[tag], list) else [data[tag]]
        for child, value in zip(children, values, strict=True):
            if len(child):
                check_arrays(child, value)


def served(href: str) -> str | None:
    path = href.split("?")[0]
    if not path.startswith(API):
        return None
    subpath = path[len(API) :] or "/"
    try:
        API_MAP.bind("fakeovirt").match(subpath, method="GET")
    except Exception:
        return None
    return subpath


def hrefs(element: ET.Element) -> set[str]:
    found = {e.get("href", "") for e in element.iter() if e.get("href")}
    return {path for href in found if (path := served(href)) is not None}


def fetch_both(fake: FakeOvirt, path: str) -> tuple[Reply, Reply]:
    """The document at `path` in both encodings, from the fake's app in process: the walk
    compares encodings over a hundred documents, a TLS handshake each is not its point (the
    other tests of this module send theirs over HTTPS)."""
    client = fake.client()
    basic = base64.b64encode(f"{fake.username}:{fake.password}".encode()).decode()
    replies = []
    for accept in (XML, {"Accept": "application/json"}):
        answer = client.get(API + path, headers={"Authorization": f"Basic {basic}", **accept})
        replies.append(Reply(answer.status_code, answer.content_type or "", answer.get_data()))
    as_xml, as_json = replies
    assert as_xml.status == as_json.status == 200, (path, as_xml.body)
    return as_xml, as_json


def test_every_resource_carries_the_same_information_in_both_encodings(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """Walk from the API root through every link and reference fakeovirt serves; compare
    the XML and the JSON of each document field by field."""
    vm_id = fake.vm("vm-up").id
    backup = sdkflow.start_backup(connection, vm_id, sdkflow.vm_disks(connection, vm_id))
    sdkflow.create_transfer(
        connection,
        fake.vm("vm-up").attachments[0].disk_id,
        types.ImageTransferDirection.DOWNLOAD,
        backup_id=backup.id,
    )
    down = fake.vm("vm-down").id
    done = sdkflow.start_backup(connection, down, sdkflow.vm_disks(connection, down))
    sdkflow.finalize_backup(connection, done)
    queue = [
        "/",
        f"/vms/{vm_id}?follow=disk_attachments.disk,snapshots,template,permissions,host.statistics",
        f"/vms/{vm_id}/backups?follow=disks,vm,host",
        "/events?max=5",
    ]
    seen: set[str] = set()
    while queue:
        path = queue.pop()
        if path in seen:
            continue
        seen.add(path)
        as_xml, as_json = fetch_both(fake, path)
        root, data = as_xml.xml(), as_json.json()
        assert json_canon(data) == xml_canon(root), path
        check_arrays(root, data)
        queue.extend(hrefs(root) - seen)
    kinds = {re.sub(r"/[0-9a-f-]{36}|/\d+$", "/{id}", p.split("?")[0]) for p in seen}
    for expected in (
        "/vms/{id}/backups/{id}/disks",
        "/vms/{id}/checkpoints/{id}",
        "/imagetransfers/{id}",
        "/hosts/{id}/statistics/{id}",
        "/vms/{id}/permissions/{id}",
        "/templates/{id}",
        "/events/{id}",
        "/jobs/{id}",
    ):
        assert expected in kinds, sorted(kinds)
