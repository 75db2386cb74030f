"""The journal records every exchange, and its assertions explain themselves when they fail."""

from __future__ import annotations

import base64

import pytest
from werkzeug.test import Client

from fakeovirt import FakeOvirt, TransitionPolicy, faults
from fakeovirt.web.journal import full_pattern, path_matches

AUTH = {"Authorization": "Basic " + base64.b64encode(b"admin@internal:fakeovirt").decode()}
API = "/ovirt-engine/api"


@pytest.fixture
def client(fake: FakeOvirt) -> Client:
    return fake.client()


def start_backup(fake: FakeOvirt, client: Client, vm: str = "vm-up") -> str:
    disk = fake.vm(vm).attachments[0].disk_id
    body = f'<backup><disks><disk id="{disk}"/></disks></backup>'
    response = client.post(f"{API}/vms/{fake.vm(vm).id}/backups", data=body, headers=AUTH)
    assert response.status_code == 201
    return str(response.headers["Location"]).rsplit("/", 1)[-1]


def test_an_exchange_keeps_request_answer_user_and_endpoint(
    fake: FakeOvirt, client: Client
) -> None:
    client.get(f"{API}/vms?search=name%3Dvm-up", headers=AUTH)
    (exchange,) = fake.journal.entries
    assert (exchange.method, exchange.path, exchange.query) == (
        "GET",
        API + "/vms",
        "search=name%3Dvm-up",
    )
    assert (exchange.status, exchange.user, exchange.endpoint) == (
        200,
        "admin@internal",
        "vms.collection",
    )
    assert b"<name>vm-up</name>" in exchange.response_body


def test_paths_are_globs_relative_to_the_api_unless_absolute() -> None:
    assert full_pattern("/vms/*/backups") == "/ovirt-engine/api/vms/*/backups"
    assert full_pattern("/") == "/ovirt-engine/api"
    assert full_pattern("/images/*") == "/images/*"
    assert full_pattern("/ovirt-engine/sso/*") == "/ovirt-engine/sso/*"
    assert path_matches("/vms/", "/ovirt-engine/api/vms")
    assert not path_matches("/vms/*/backups", "/ovirt-engine/api/vms/x/backups/y")


def test_assert_request_made_counts_matching_requests(fake: FakeOvirt, client: Client) -> None:
    backup = start_backup(fake, client)
    found = fake.journal.assert_request_made("POST /vms/*/backups", status=201)
    assert found[0].response_body.count(backup.encode()) >= 1
    fake.journal.assert_request_made("GET /vms/*/backups", count=0)
    fake.journal.assert_request_made("/vms/*", count=None)


def test_a_missed_request_is_explained_with_the_similar_ones(
    fake: FakeOvirt, client: Client
) -> None:
    start_backup(fake, client)
    with pytest.raises(AssertionError) as missed:
        fake.journal.assert_request_made("POST /vms/*/backups/*/finalize")
    text = str(missed.value)
    assert (
        "expected 1 request(s) matching POST /ovirt-engine/api/vms/*/backups/*/finalize, found 0"
        in text
    )
    assert "similar requests:" in text
    assert "POST /ovirt-engine/api/vms/" in text and "path does not match" in text
    assert "journal (1 requests):" in text


def test_a_wrong_count_says_how_many_were_found(fake: FakeOvirt, client: Client) -> None:
    client.get(API + "/vms", headers=AUTH)
    client.get(API + "/vms", headers=AUTH)
    with pytest.raises(AssertionError, match=r"expected 1 request\(s\) matching GET .*, found 2"):
        fake.journal.assert_request_made("GET /vms")


def test_assert_no_request(fake: FakeOvirt, client: Client) -> None:
    client.get(API + "/hosts", headers=AUTH)
    fake.journal.assert_no_request("DELETE")
    with pytest.raises(AssertionError):
        fake.journal.assert_no_request("GET /hosts")


def test_assert_in_order_allows_requests_in_between(fake: FakeOvirt, client: Client) -> None:
    vm = fake.vm("vm-up").id
    backup = start_backup(fake, client)
    client.get(API + "/vms", headers=AUTH)
    client.get(f"{API}/vms/{vm}/backups/{backup}", headers=AUTH)
    client.post(f"{API}/vms/{vm}/backups/{backup}/finalize", data="<action/>", headers=AUTH)
    fake.journal.assert_in_order(
        "POST /vms/*/backups", "GET /vms/*/backups/*", "POST /vms/*/backups/*/finalize"
    )


def test_an_order_violation_shows_what_matched_and_what_is_missing(
    fake: FakeOvirt, client: Client
) -> None:
    backup = start_backup(fake, client)
    client.get(f"{API}/vms/{fake.vm('vm-up').id}/backups/{backup}", headers=AUTH)
    with pytest.raises(AssertionError) as wrong:
        fake.journal.assert_in_order("GET /vms/*/backups/*", "POST /vms/*/backups")
    text = str(wrong.value)
    assert "no POST /ovirt-engine/api/vms/*/backups after #2" in text
    assert "ok   GET /ovirt-engine/api/vms/*/backups/*  (#2 GET" in text
    assert "MISS POST /ovirt-engine/api/vms/*/backups" in text


def test_query_and_status_narrow_a_search(fake: FakeOvirt, client: Client) -> None:
    client.get(API + "/vms?max=1", headers=AUTH)
    client.get(API + "/vms?max=-1", headers=AUTH)  # the engine's search refuses it: 400
    assert [e.query for e in fake.journal.requests("GET /vms", status=400)] == ["max=-1"]
    assert [e.status for e in fake.journal.requests("GET /vms", query="max=1")] == [200]
    assert len(fake.journal.requests()) == 2


def test_unrouted_lists_paths_and_methods_nothing_serves(fake: FakeOvirt, client: Client) -> None:
    client.get(API + "/vms/no-such-vm", headers=AUTH)  # a known endpoint, an unknown id
    client.get(API + "/vms/x/watchdogs", headers=AUTH)
    client.delete(API + "/vms", headers=AUTH)
    client.get("/elsewhere")
    unrouted = [(e.method, e.path, e.status) for e in fake.journal.unrouted()]
    assert unrouted == [
        ("GET", API + "/vms/x/watchdogs", 404),
        ("DELETE", API + "/vms", 405),
        ("GET", "/elsewhere", 404),
    ]


def test_a_line_shows_faults_and_dropped_connections(fake: FakeOvirt, client: Client) -> None:
    fake.inject(faults.drop_connection(path="/vms", times=1))
    with pytest.raises(ConnectionResetError):
        client.get(API + "/vms", headers=AUTH)
    assert fake.journal.format() == "#1 GET /ovirt-engine/api/vms -> dropped [drop_connection]"


def test_history_tells_when_a_backup_reached_each_phase(fake: FakeOvirt, client: Client) -> None:
    fake.policy = TransitionPolicy.after_seconds(3)
    backup = start_backup(fake, client)
    fake.advance(10)
    assert fake.history(backup) == [("initializing", 0.0), ("starting", 3.0), ("ready", 6.0)]


def test_events_are_oldest_first_and_filter_by_code(fake: FakeOvirt, client: Client) -> None:
    backup = start_backup(fake, client)
    events = fake.events()
    assert [e.index for e in events] == list(range(1, len(events) + 1))
    assert {10790, 45} <= {e.code for e in events}
    (started,) = fake.events(code=10790)
    assert backup in started.subjects
