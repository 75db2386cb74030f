"""`max`, `search` (with `page` and `sortby`), `case_sensitive` and `from` as the engine reads
them (`RESTAPI/util/ParametersHelper.java`, `BackendResource.getBackendCollection`,
`AbstractBackendCollectionResource`, `bll/SearchQuery.java`; `docs/wire.md`)."""

from __future__ import annotations

import ovirtsdk4 as sdk
import ovirtsdk4.types as types
import pytest

from fakeovirt import FakeOvirt
from tests import sdkflow
from tests.rawhttp import XML, call

ALL_VMS = ["vm-down", "vm-mixed", "vm-nofreeze", "vm-paused", "vm-up"]  # by name, as the engine


def start_backups(connection: sdk.Connection, fake: FakeOvirt, *vms: str) -> None:
    for vm in vms:
        vm_id = fake.vm(vm).id
        sdkflow.start_backup(connection, vm_id, sdkflow.vm_disks(connection, vm_id))


# -- max on plain lists ----------------------------------------------------------------------


def test_max_minus_one_on_a_plain_list_is_no_limit(fake: FakeOvirt) -> None:
    vm = fake.vm("vm-up").id
    reply = call(fake, "GET", f"/vms/{vm}/diskattachments?max=-1", None, XML)
    assert reply.status == 200
    assert len(reply.xml()) == 2


@pytest.mark.parametrize("value", ["x", "1.5", "99999999999", ""])
def test_a_max_java_cannot_parse_is_ignored(fake: FakeOvirt, value: str) -> None:
    """`getIntegerParameter` logs the `NumberFormatException` and uses the default."""
    vm = fake.vm("vm-up").id
    reply = call(fake, "GET", f"/vms/{vm}/diskattachments?max={value}", None, XML)
    assert reply.status == 200
    assert len(reply.xml()) == 2
    assert call(fake, "GET", f"/vms?max={value}", None, XML).status == 200


def test_another_negative_max_on_a_plain_list_is_the_engines_500(fake: FakeOvirt) -> None:
    """`results.subList(0, -3)` throws `IllegalArgumentException`: `handleError` answers 500."""
    reply = call(fake, "GET", "/imagetransfers?max=-3", None, XML)
    assert reply.status == 500
    assert reply.fault() == ("Operation Failed", "fromIndex(0) > toIndex(-3)")


def test_max_cuts_a_plain_list(fake: FakeOvirt, connection: sdk.Connection) -> None:
    start_backups(connection, fake, "vm-up")
    checkpoints = connection.system_service().vms_service().vm_service(fake.vm("vm-up").id)
    assert checkpoints.checkpoints_service().list(max=0) == []


# -- max on search-backed lists ----------------------------------------------------------------


@pytest.mark.parametrize("path", ["/vms", "/hosts", "/storagedomains", "/events", "/clusters"])
def test_a_negative_max_on_a_search_backed_list_is_the_searchs_400(
    fake: FakeOvirt, path: str
) -> None:
    """`SearchQuery.initQueryData` throws on a negative max count; the query fails."""
    reply = call(fake, "GET", f"{path}?max=-1", None, XML)
    assert reply.status == 400
    assert reply.fault() == ("Operation Failed", "Illegal max count value for query : -1")


def test_max_zero_is_an_empty_list(connection: sdk.Connection) -> None:
    assert connection.system_service().vms_service().list(max=0) == []


# -- /disks: a query, intersected with the search when there is one ------------------------------


def test_disks_without_search_take_max_minus_one_as_no_limit(fake: FakeOvirt) -> None:
    reply = call(fake, "GET", "/disks?max=-1", None, XML)
    assert reply.status == 200
    assert len(reply.xml()) == 7


def test_disks_with_search_fail_on_a_negative_max(fake: FakeOvirt) -> None:
    """`results.subList(0, max <= size ? max : size)` with max -1: an uncaught exception."""
    reply = call(fake, "GET", "/disks?search=name%3Dvm-up*&max=-1", None, XML)
    assert reply.status == 500
    assert reply.fault() == ("Operation Failed", "fromIndex(0) > toIndex(-1)")


def test_disks_with_search_run_it_without_max_so_page_two_is_empty(
    connection: sdk.Connection,
) -> None:
    disks = connection.system_service().disks_service()
    assert [d.alias for d in disks.list(search="page 1", max=2)] == [
        "vm-down-disk1",
        "vm-mixed-disk1",
    ]
    assert disks.list(search="page 2", max=2) == []


# -- page and sortby ---------------------------------------------------------------------------


def test_pages_walk_the_vms_in_name_order(connection: sdk.Connection) -> None:
    """What the SDK's examples/page_vms.py does, with pages of two."""
    vms = connection.system_service().vms_service()
    seen, page = [], 1
    while batch := vms.list(search=f"page {page}", max=2):
        seen.append([vm.name for vm in batch])
        page += 1
    assert seen == [["vm-down", "vm-mixed"], ["vm-nofreeze", "vm-paused"], ["vm-up"]]


def test_without_max_there_is_only_a_first_page(connection: sdk.Connection) -> None:
    vms = connection.system_service().vms_service()
    assert [vm.name for vm in vms.list(search="page 1")] == ALL_VMS
    assert vms.list(search="page 2") == []


def test_sortby_orders_and_the_default_order_breaks_ties(connection: sdk.Connection) -> None:
    vms = connection.system_service().vms_service()
    by_name = [vm.name for vm in vms.list(search="sortby name desc")]
    assert by_name == ALL_VMS[::-1]
    by_status = [vm.name for vm in vms.list(search="sortby status")]
    # VMStatus order: Down(0), Up(1), Paused(4); names ascending within one status.
    assert by_status == ["vm-down", "vm-mixed", "vm-nofreeze", "vm-up", "vm-paused"]


def test_sortby_and_page_combine(connection: sdk.Connection) -> None:
    vms = connection.system_service().vms_service()
    assert [vm.name for vm in vms.list(search="status=up sortby name desc page 2", max=2)] == [
        "vm-mixed"
    ]


# -- what the engine's search cannot run: 200 and nothing ----------------------------------------


@pytest.mark.parametrize(
    "search",
    [
        "colour=red",  # unknown field
        "name>vm",  # a relation a string field does not take
        "status=powering_up",  # the REST spelling, not the engine's enum name (PoweringUp)
        "name=vm-up and",  # a dangling connective
        "page x",  # a page that is no number
        "sortby colour",  # an unknown sort field
        "name='vm-up'",  # a quote the engine refuses
        "vm up",  # free text twice on one object
    ],
)
def test_a_search_the_engine_cannot_run_answers_an_empty_list(
    connection: sdk.Connection, search: str
) -> None:
    """`SearchQuery` records the syntax error and returns nothing; the query succeeds."""
    assert connection.system_service().vms_service().list(search=search) == []


def test_case_sensitive_search_uses_like(connection: sdk.Connection) -> None:
    vms = connection.system_service().vms_service()
    assert [vm.name for vm in vms.list(search="name=VM-UP")] == ["vm-up"]
    assert vms.list(search="name=VM-UP", case_sensitive=True) == []


def test_plain_lists_do_not_read_search(fake: FakeOvirt, connection: sdk.Connection) -> None:
    start_backups(connection, fake, "vm-up")
    service = connection.system_service().vms_service().vm_service(fake.vm("vm-up").id)
    assert len(service.backups_service().list(search="colour=red")) == 1


def test_an_unreadable_from_is_ignored(fake: FakeOvirt, connection: sdk.Connection) -> None:
    start_backups(connection, fake, "vm-up")
    every = call(fake, "GET", "/events", None, XML).xml()
    reply = call(fake, "GET", "/events?from=soon", None, XML)
    assert reply.status == 200
    assert len(reply.xml()) == len(every) > 0


def test_events_search_by_type_and_vm_name(fake: FakeOvirt, connection: sdk.Connection) -> None:
    start_backups(connection, fake, "vm-up", "vm-down")
    events = connection.system_service().events_service()
    found = events.list(search="type=10790 and vm.name=vm-down")
    assert [(e.code, e.vm.id) for e in found] == [(10790, fake.vm("vm-down").id)]
    assert {e.severity for e in events.list(search="severity=normal")} == {types.LogSeverity.NORMAL}
