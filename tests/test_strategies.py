"""fakeovirt.strategies: valid by construction, checked against the XSD and the engine."""

from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import xmlschema
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from fakeovirt import FakeOvirt, ManualClock
from fakeovirt import strategies as fst
from fakeovirt.core import messages as msg
from fakeovirt.core.backups import BackupRequest
from fakeovirt.core.content import BLOCK_SIZE
from fakeovirt.core.scenario import Scenario
from fakeovirt.web.parse import parse_backup
from fakeovirt.web.schema import schema, schema_path
from tests.hypothesis_profiles import EXISTS, examples

ELEMENTS = sorted(schema().elements)
FIXTURE_SETTINGS = settings(
    deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@cache
def oracle() -> xmlschema.XMLSchema10:
    """A second, independent parse of the XSD (read when first needed, not at collection:
    every xdist worker collects this module). Built without checking `api.xsd` against the
    XSD meta-schema, as `schema()` is (0.03 s, not 0.25 s): that check is
    tests/test_schema_file.py's, and a valid schema's components are the same either way."""
    return xmlschema.XMLSchema10(str(schema_path()), validation="skip")


def _template(text: str) -> re.Pattern[str]:
    parts = re.split(r"\{[a-z]+\}", text)
    return re.compile(".*".join(re.escape(p) for p in parts), re.DOTALL)


DOCUMENTED = [
    _template(getattr(msg, name))
    for name in msg.__all__
    if not name.startswith(("EVENT", "JOB")) and isinstance(getattr(msg, name), str)
]


@pytest.fixture(scope="module")
def local() -> Iterator[FakeOvirt]:
    """An unserved fake (in-process client only), strict about its own answers."""
    fake = FakeOvirt(strict=True, clock=ManualClock())
    yield fake
    assert not fake.errors, fake.errors[0].traceback


def _basic(fake: FakeOvirt) -> dict[str, str]:
    token = base64.b64encode(f"{fake.username}:{fake.password}".encode()).decode()
    return {"Authorization": f"Basic {token}", "Content-Type": "application/xml"}


# -- XML documents from the XSD ---------------------------------------------------------
@pytest.mark.parametrize("element", ELEMENTS)
@settings(max_examples=examples(5), deadline=None)
@given(data=st.data())
def test_every_generated_document_validates_against_the_schema(
    element: str, data: st.DataObject
) -> None:
    document = data.draw(fst.xml_documents(element))
    root = ET.fromstring(document)
    assert root.tag == element
    errors = [str(e.reason) for e in oracle().iter_errors(root)]
    assert not errors, errors


def test_backup_documents_reach_disks_nested_below_the_root() -> None:
    found = find(
        fst.xml_elements("backup"), lambda e: e.find("disks/disk") is not None, settings=EXISTS
    )
    assert found.find("disks/disk") is not None


def test_the_schema_wide_strategy_is_built_once_per_arguments() -> None:
    """A test that calls `xml_elements` in its body on every example must not have hypothesis
    build and check the schema's whole tree of strategies each time (seconds per test)."""
    uuids = st.uuids().map(str)
    first = fst.xml_elements("backup", ids={"disk": uuids})
    again = fst.xml_elements("backup", ids={"disk": uuids})
    other = fst.xml_elements("backup", ids={"disk": st.uuids().map(str)})
    built = [s.wrapped_strategy for s in (first, again, other)]  # type: ignore[attr-defined]
    assert built[0] is built[1]
    assert built[2] is not built[0]
    assert first is again, "one strategy object per arguments: hypothesis checks it once"
    assert fst.xml_documents("backup") is fst.xml_documents("backup")


def test_request_and_workload_strategies_are_built_once_per_arguments() -> None:
    """Tests ask for these in their body on every example (the ids of the inventory they
    reset): equal arguments give the same strategy, which hypothesis checks only once."""
    sizes = {"d1": BLOCK_SIZE, "d2": 2 * BLOCK_SIZE}
    pairs = [
        (lambda ids: fst.disk_requests(storage_domain_ids=ids), ["s1"], ["s2"]),
        (lambda ids: fst.invalid_disk_requests(storage_domain_ids=ids), ["s1"], ["s2"]),
        (lambda ids: fst.vm_requests(cluster_ids=ids), ["c1"], ["c2"]),
        (lambda ids: fst.invalid_vm_requests(cluster_ids=ids), ["c1"], ["c2"]),
        (lambda ids: fst.backup_requests(disk_ids=ids), ["d1"], ["d2"]),
        (lambda ids: fst.invalid_backup_requests(disk_ids=ids), ["d1"], ["d2"]),
        (lambda d: fst.guest_writes(disks=d), sizes, {"d1": BLOCK_SIZE}),
        (lambda d: fst.guest_workloads(disks=d), sizes, {"d1": BLOCK_SIZE}),
    ]
    for make, args, other in pairs:
        assert make(args) is make(type(args)(args))
        assert make(other) is not make(args)


def test_unbounded_members_repeat_up_to_max_occurs() -> None:
    found = find(
        fst.xml_elements("backups", max_occurs=3, max_depth=1),
        lambda e: len(e) >= 3,
        settings=EXISTS,
    )
    assert len(found) == 3


@settings(max_examples=examples(20), deadline=None)
@given(st.integers(0, 2), st.data())
def test_max_depth_bounds_the_nesting(max_depth: int, data: st.DataObject) -> None:
    root = data.draw(fst.xml_elements("vm", max_depth=max_depth))

    def depth(element: ET.Element) -> int:
        return 1 + max((depth(child) for child in element), default=-1)

    assert depth(root) <= max_depth


@settings(max_examples=40, deadline=None)
@given(fst.xml_elements("backup", ids={"disk": st.just("D")}, texts={"description": st.just("T")}))
def test_ids_and_texts_override_what_is_drawn_per_element(root: ET.Element) -> None:
    assert {d.get("id") for d in root.iter("disk")} <= {"D", None}
    assert {d.text for d in root.iter("description")} <= {"T"}


def test_enumerations_are_drawn_from_the_schema_values() -> None:
    """One search until all three phases were drawn (not one search per phase, each drawing
    the others again on its way)."""
    wanted = {"initializing", "ready", "succeeded"}
    seen: set[str | None] = set()

    def all_seen(element: ET.Element) -> bool:
        seen.add(element.findtext("phase"))
        return wanted <= seen

    find(fst.xml_elements("backup", max_depth=1), all_seen, settings=EXISTS)
    assert wanted <= seen


def _simple_types() -> list[Any]:
    """Every atomic simple type of the schema: element values, attributes, simple content."""
    found: dict[int, Any] = {}
    seen: set[int] = set()

    def walk(xsd_type: Any) -> None:
        if id(xsd_type) in seen:
            return
        seen.add(id(xsd_type))
        if xsd_type.is_simple():
            found[id(xsd_type)] = xsd_type
            return
        for attribute in xsd_type.attributes.values():
            found[id(attribute.type)] = attribute.type
        if xsd_type.has_simple_content():
            found[id(xsd_type.content)] = xsd_type.content
        elif hasattr(content := xsd_type.content, "iter_elements"):
            for element in content.iter_elements():
                walk(element.type)

    for element in schema().elements.values():
        walk(element.type)
    return [t for t in found.values() if not (t.is_list() or t.is_union())]


def test_the_value_check_of_the_strategies_is_xmlschemas_is_valid() -> None:
    """Drawn simple values are filtered by xmlschema's own decoding with one reused context
    (`_xsd_strategies._Valid`), not `is_valid`'s fresh one per value: both answer alike on
    every simple type of the schema, for its values and lexical forms at the edges of each."""
    from fakeovirt._xsd_strategies import _Valid

    edges = [
        *("", " ", "0", "-1", "01", " 7\n", "1.50", "2147483648", "9223372036854775808"),
        *("true", "TRUE", "2026-01-01T00:00:00Z", "2026-13-01T00:00:00", "up", "ready"),
        *("12a", "\u0663", "x" * 300),
    ]
    types = _simple_types()
    assert len(types) >= 30
    for xsd_type in types:
        check = _Valid(xsd_type)
        for value in [*edges, *map(str, xsd_type.enumeration or ())]:
            assert check(value) == xsd_type.is_valid(value), (xsd_type, value)


CUSTOM_XSD = """<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <xs:simpleType name="Code"><xs:restriction base="xs:string">
    <xs:pattern value="[A-Z]{2}-[0-9]{1,3}"/></xs:restriction></xs:simpleType>
  <xs:simpleType name="Small"><xs:restriction base="xs:int">
    <xs:minInclusive value="3"/><xs:maxExclusive value="9"/></xs:restriction></xs:simpleType>
  <xs:simpleType name="Short"><xs:restriction base="xs:string">
    <xs:minLength value="2"/><xs:maxLength value="4"/></xs:restriction></xs:simpleType>
  <xs:element name="r"><xs:complexType>
    <xs:choice minOccurs="1" maxOccurs="3">
      <xs:element name="code" type="Code"/><xs:element name="small" type="Small"/>
      <xs:element name="short" type="Short"/><xs:element name="day" type="xs:date"/>
    </xs:choice>
    <xs:attribute name="n" type="xs:unsignedByte" use="required"/>
  </xs:complexType></xs:element>
  <xs:element name="any"><xs:complexType><xs:sequence><xs:any/></xs:sequence>
  </xs:complexType></xs:element>
</xs:schema>"""


@pytest.fixture(scope="module")
def custom_xsd(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("xsd") / "custom.xsd"
    path.write_text(CUSTOM_XSD)
    return path


def test_patterns_bounds_lengths_and_choices_of_another_schema_hold(custom_xsd: Path) -> None:
    oracle = xmlschema.XMLSchema10(str(custom_xsd))

    @settings(max_examples=60, deadline=None)
    @given(fst.xml_elements("r", schema=custom_xsd))
    def check(root: ET.Element) -> None:
        assert oracle.is_valid(root), ET.tostring(root)
        assert root.get("n") is not None and 1 <= len(root) <= 3

    check()


def test_unsupported_constructs_raise_invalid_argument(custom_xsd: Path) -> None:
    with pytest.raises(InvalidArgument, match="xs:any"):
        fst.xml_elements("any", schema=custom_xsd).validate()


@pytest.mark.parametrize(
    ("strategy", "message"),
    [
        (fst.xml_elements("nope"), "no global element 'nope'"),
        (fst.xml_documents("vm", max_depth=-1), "max_depth"),
        (fst.xml_elements("vm", max_occurs=0), "max_occurs"),
        (fst.scenarios(min_vms=3, max_vms=1), "max_vms"),
        (fst.vm_specs(statuses=("running",)), "statuses"),
        (fst.vm_specs(statuses=()), "statuses"),
        (fst.disk_specs(min_blocks=0), "min_blocks"),
        (fst.disk_specs(formats=("vmdk",)), "formats"),
        (fst.backup_requests(disk_ids=()), "disk_ids"),
        (fst.backup_requests(disk_ids=["a"], min_disks=2), "min_disks"),
        (fst.backup_requests(disk_ids=["a"], incremental=True), "checkpoint"),
        (fst.guest_writes(disks={}), "disks"),
        (fst.guest_writes(disks={"a": BLOCK_SIZE}, max_length=0), "max_length"),
        (fst.guest_workloads(disks={"a": BLOCK_SIZE}, min_size=-1), "min_size"),
    ],
)
def test_bad_arguments_raise_invalid_argument_when_drawn(
    strategy: st.SearchStrategy[object], message: str
) -> None:
    with pytest.raises(InvalidArgument, match=message):
        strategy.validate()


# -- the engine answers generated documents ---------------------------------------------
def _check_answer(status: int, body: bytes) -> ET.Element:
    root = ET.fromstring(body)
    if status == 201:
        assert root.tag == "backup" and root.get("id")
        return root
    assert status in (400, 404, 409), body
    assert root.tag == "fault"
    detail = root.findtext("detail") or ""
    assert detail.startswith("[") and detail.endswith("]")
    assert any(p.fullmatch(detail[1:-1]) for p in DOCUMENTED), detail
    return root


@cache
def _backup_documents(disk_ids: tuple[str, ...]) -> st.SearchStrategy[bytes]:
    """Backup documents naming the demo's disks or unknown ones; built once (the demo's ids
    are the same after every reset), as a test would hold it in a module constant."""
    return fst.xml_documents(
        "backup",
        ids={
            "disk": st.sampled_from(disk_ids) | st.uuids().map(str),
            "backup": st.uuids().map(str),
        },
        texts={"from_checkpoint_id": st.uuids().map(str)},
    )


@settings(max_examples=examples(40), deadline=None)
@given(data=st.data())
def test_the_engine_answers_generated_backup_documents_with_a_backup_or_a_documented_fault(
    local: FakeOvirt, data: st.DataObject
) -> None:
    local.reset("demo")
    with local.lock:
        vm_ids = sorted(local.engine.state.vms)
        disk_ids = sorted(local.engine.state.disks)
    document = data.draw(_backup_documents(tuple(disk_ids)))
    vm = data.draw(st.sampled_from(vm_ids) | st.just("no-such-vm"), label="vm")
    flags = data.draw(
        st.dictionaries(
            st.sampled_from(["use_active", "require_consistency", "legacy"]),
            st.sampled_from(["true", "false", "maybe", ""]),
        ),
        label="query",
    )
    response = local.client().post(
        f"/ovirt-engine/api/vms/{vm}/backups",
        data=document,
        query_string=flags,
        headers=_basic(local),
    )
    _check_answer(response.status_code, response.data)
    assert not local.errors


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_generated_backup_requests_are_answered_with_a_backup_or_a_documented_fault(
    local: FakeOvirt, data: st.DataObject
) -> None:
    local.reset("demo")
    with local.lock:
        vm = data.draw(st.sampled_from(list(local.engine.state.vms.values())), label="vm")
        disk_ids = [a.disk_id for a in vm.attachments]
    request = data.draw(fst.backup_requests(disk_ids=disk_ids))
    body, query = fst.backup_request_http(request)
    response = local.client().post(
        f"/ovirt-engine/api/vms/{vm.id}/backups?{query}", data=body, headers=_basic(local)
    )
    root = _check_answer(response.status_code, response.data)
    if vm.status.value in ("up", "down") and all(a.active for a in vm.attachments):
        assert response.status_code == 201, root.findtext("detail")


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_invalid_backup_requests_get_exactly_the_predicted_fault(
    local: FakeOvirt, data: st.DataObject
) -> None:
    local.reset("demo")
    vm = local.vm("vm-up")
    invalid = data.draw(fst.invalid_backup_requests(disk_ids=[a.disk_id for a in vm.attachments]))
    body, query = fst.backup_request_http(invalid.request)
    response = local.client().post(
        f"/ovirt-engine/api/vms/{vm.id}/backups?{query}", data=body, headers=_basic(local)
    )
    assert response.status_code == invalid.status
    assert ET.fromstring(response.data).findtext("detail") == f"[{invalid.detail}]"
    with local.lock:
        assert not local.engine.state.backups, "a refused request changes nothing"


@settings(max_examples=100, deadline=None)
@given(fst.backup_requests(disk_ids=["d1", "d2", "d3"], checkpoint_ids=["c1"]))
def test_backup_request_http_parses_back_to_the_same_request(request: BackupRequest) -> None:
    body, query = fst.backup_request_http(request)
    params = dict(p.split("=", 1) for p in query.split("&"))
    assert parse_backup(body, params) == request


def test_incremental_requests_name_a_checkpoint_of_the_chain(local: FakeOvirt) -> None:
    local.reset("demo")
    vm = local.vm("vm-up")
    disk_ids = [a.disk_id for a in vm.attachments]
    with local.lock:
        full = local.engine.start_backup(vm.id, BackupRequest(disk_ids=tuple(disk_ids)))
        local.engine.finalize_backup(vm.id, full.id)
        chain = [c.id for c in local.engine.checkpoints(vm.id)]

    @settings(max_examples=30, deadline=None)
    @given(fst.backup_requests(disk_ids=disk_ids, checkpoint_ids=chain, incremental=True))
    def check(request: BackupRequest) -> None:
        assert request.from_checkpoint_id in chain
        with local.lock:
            backup = local.engine.start_backup(vm.id, replace(request, backup_id=None))
            assert set(backup.backup_modes.values()) == {"incremental"}
            local.engine.finalize_backup(vm.id, backup.id)
            local.engine.remove_checkpoint(vm.id, backup.to_checkpoint_id or "")

    check()


# -- inventories and guest writes -----------------------------------------------------------
@settings(max_examples=60, deadline=None)
@given(fst.scenarios(max_vms=3, statuses=("up", "down")))
def test_scenarios_build_engines_with_unique_names(scenario: Scenario) -> None:
    fake = FakeOvirt(scenario)
    names = [vm.name for vm in fake.engine]
    aliases = [d.alias for vm in scenario.vms for d in vm.disks]
    assert sorted(names) == sorted(vm.name for vm in scenario.vms)
    assert len(set(names)) == len(names) and len(set(aliases)) == len(aliases)
    for spec in (d for vm in scenario.vms for d in vm.disks):
        disk = fake.disk(spec.alias)
        assert disk.provisioned_size == spec.size and spec.size % BLOCK_SIZE == 0
        assert spec.format == "cow" or spec.backup == "none"
    assert {vm.status.value for vm in fake.engine} <= {"up", "down"}


@FIXTURE_SETTINGS
@given(st.data())
def test_guest_workloads_stay_inside_the_disks_and_make_them_dirty(
    local: FakeOvirt, data: st.DataObject
) -> None:
    local.reset("demo")
    disks = {
        d.alias: d.provisioned_size for d in (local.disk("vm-up-disk1"), local.disk("vm-up-disk2"))
    }
    workload = data.draw(fst.guest_workloads(disks=disks, min_size=1, max_size=4))
    before = {alias: local.disk(alias).content.generation for alias in disks}
    for write in workload:
        assert write.offset >= 0 and write.offset + len(write.data) <= disks[write.disk]
        write.apply(local)
    for alias in {w.disk for w in workload}:
        assert local.disk(alias).content.generation > before[alias]
    last = workload[-1]
    assert local.disk(last.disk).content.read(last.offset, len(last.data)) == last.data
