"""Scenarios name their inventory: data centers, clusters, storage domains, hosts; VMs and
disks refer to them by name, every reference is checked, and old scenarios build as before.

What the SDK sees is checked with the real SDK over HTTPS: the names the upstream SDK 4.6.3
examples hard-code (`examples/add_vm_disk.py`, `vm_backup.py`, `extend_disk.py`, ...) are
found the way those examples look them up.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import ovirtsdk4 as sdk
import pytest
from ovirtsdk4 import types

from fakeovirt import (
    DEMO,
    ClusterSpec,
    DataCenterSpec,
    DiskSpec,
    Engine,
    FakeOvirt,
    HostSpec,
    Scenario,
    StorageDomainSpec,
    VmSpec,
)
from fakeovirt.cli import load_scenario
from fakeovirt.core.scenario_file import MAX_FILE

ROOT = Path(__file__).resolve().parents[1]
SDK_EXAMPLES = ROOT / "docs" / "examples" / "sdk-examples.toml"
GiB = 1 << 30

LAB: dict[str, Any] = {
    "name": "lab",
    "seed": 3,
    "data_centers": [{"name": "dc-a"}, {"name": "dc-b"}],
    "clusters": [{"name": "c-a", "data_center": "dc-a"}, {"name": "c-b", "data_center": "dc-b"}],
    "storage_domains": [
        {"name": "iso-a", "type": "iso", "data_center": "dc-a"},
        {"name": "nfs-a", "data_center": "dc-a", "available": 5 * GiB, "used": GiB},
        {"name": "san-b", "storage": "iscsi", "data_center": "dc-b", "committed": 7 * GiB},
        {"name": "nfs-b", "data_center": "dc-b"},
    ],
    "hosts": [{"name": "h-a", "cluster": "c-a"}, {"name": "h-b1", "cluster": "c-b"}, "h-b2"],
    "vms": [
        {"name": "web", "disks": [{"alias": "web-os"}]},
        {
            "name": "db",
            "cluster": "c-b",
            "host": "h-b1",
            "disks": [{"alias": "db-os"}, {"alias": "db-data", "storage_domain": "nfs-b"}],
        },
        {"name": "cold", "status": "down", "cluster": "c-b", "disks": []},
    ],
}


def by_name(store: dict[str, Any]) -> dict[str, Any]:
    return {item.name: item for item in store.values()}


# -- the inventory an engine is built with --------------------------------------------------
def test_named_inventory_is_built_with_its_references() -> None:
    state = Engine(Scenario.from_dict(LAB)).state
    dcs, clusters = by_name(state.data_centers), by_name(state.clusters)
    domains, hosts, vms = by_name(state.storage_domains), by_name(state.hosts), by_name(state.vms)
    assert clusters["c-b"].data_center_id == dcs["dc-b"].id
    assert (domains["san-b"].storage_type, domains["san-b"].committed) == ("iscsi", 7 * GiB)
    assert (domains["nfs-a"].available, domains["nfs-a"].used) == (5 * GiB, GiB)
    assert domains["iso-a"].type == "iso" and not domains["iso-a"].master
    assert [n for n, d in domains.items() if d.master] == ["nfs-a", "san-b"]  # first data/DC
    assert hosts["h-b2"].cluster_id == clusters["c-a"].id  # a bare name: the first cluster
    assert vms["web"].cluster_id == clusters["c-a"].id and vms["web"].host_id == hosts["h-a"].id
    assert vms["db"].host_id == hosts["h-b1"].id and vms["cold"].host_id is None
    disks = {d.alias: d for d in state.disks.values()}
    assert disks["web-os"].storage_domain_id == domains["nfs-a"].id  # not the iso domain
    assert disks["db-os"].storage_domain_id == domains["san-b"].id  # the VM's own DC
    assert disks["db-data"].storage_domain_id == domains["nfs-b"].id


def test_the_sdk_sees_the_inventory_with_its_storage(fakeovirt_factory: Any) -> None:
    fake = fakeovirt_factory(scenario=Scenario.from_dict(LAB))
    with sdk.Connection(**fake.connection_kwargs()) as connection:
        system = connection.system_service()
        (san,) = system.storage_domains_service().list(search="name=san-b")
        assert (san.type, san.storage.type) == (
            types.StorageDomainType.DATA,
            types.StorageType.ISCSI,
        )
        assert (san.available, san.used, san.committed) == (1 << 40, 64 * GiB, 7 * GiB)
        (iso,) = system.storage_domains_service().list(search="name=iso-a")
        assert (iso.type, iso.storage.type, iso.storage.path) == (
            types.StorageDomainType.ISO,
            types.StorageType.NFS,
            "/exports/iso-a",
        )
        (cluster,) = system.clusters_service().list(search="name=c-b")
        (dc,) = system.data_centers_service().list(search="name=dc-b")
        assert cluster.data_center.id == dc.id
        (host,) = system.hosts_service().list(search="name=h-b1")
        assert host.cluster.id == cluster.id
        (vm,) = system.vms_service().list(search="name=db")
        assert (vm.cluster.id, vm.host.id) == (cluster.id, host.id)
        disks = system.vms_service().vm_service(vm.id).disk_attachments_service().list()
        domain_ids = {connection.follow_link(a.disk).storage_domains[0].id for a in disks}
        assert domain_ids == {
            san.id,
            system.storage_domains_service().list(search="name=nfs-b")[0].id,
        }


def test_the_sdk_examples_scenario_has_every_name_the_examples_look_up(
    fakeovirt_factory: Any,
) -> None:
    fake = fakeovirt_factory(scenario=Scenario.load(SDK_EXAMPLES))
    with sdk.Connection(**fake.connection_kwargs()) as connection:
        system = connection.system_service()
        lookups = {  # service: the names the examples search for
            system.vms_service(): ["myvm", "myagent"],
            system.disks_service(): ["mydisk"],
            system.hosts_service(): ["myhost"],
            system.clusters_service(): ["mycluster"],
            system.data_centers_service(): ["mydc"],
            system.storage_domains_service(): ["mydata", "myiso", "myexport", "bs-scsi-012"],
        }
        for service, names in lookups.items():
            for name in names:
                assert [x.name for x in service.list(search=f"name={name}")] == [name]
        assert [c.name for c in system.clusters_service().list(search="mycluster")] == [
            "mycluster"  # import_vm.py searches by a bare word
        ]
        (myvm,) = system.vms_service().list(search="name=myvm")
        (mydisk,) = system.disks_service().list(search="name=mydisk")
        attachments = system.vms_service().vm_service(myvm.id).disk_attachments_service().list()
        assert [a.disk.id for a in attachments] == [mydisk.id]  # deactivate_disk_attachment.py
        (mydata,) = system.storage_domains_service().list(search="name=mydata")
        assert mydisk.storage_domains[0].id == mydata.id
        assert myvm.host.id == system.hosts_service().list(search="name=myhost")[0].id


def test_fakeovirt_serve_loads_the_sdk_examples_scenario() -> None:
    """What `fakeovirt serve --scenario docs/examples/sdk-examples.toml` serves: the file read
    by the command's own loader (`fakeovirt.cli.load_scenario`), served over HTTPS to the SDK.
    The command itself, with a scenario file, runs as a process in test_cli.py."""
    scenario = load_scenario(str(SDK_EXAMPLES))
    with FakeOvirt(scenario) as fake, sdk.Connection(**fake.connection_kwargs()) as connection:
        vms = connection.system_service().vms_service().list()
        assert sorted(vm.name for vm in vms) == ["myagent", "myvm"]


# -- old scenarios keep working, with the same ids -----------------------------------------
def test_an_implicit_inventory_equals_the_explicit_default() -> None:
    vms = (VmSpec("a", disks=(DiskSpec("a-1"),)),)
    implicit = Scenario(vms=vms, seed=9)
    explicit = Scenario(
        vms=vms,
        seed=9,
        data_centers=(DataCenterSpec("Default"),),
        clusters=(ClusterSpec("Default", "Default"),),
        storage_domains=(StorageDomainSpec("data"),),
        hosts=(HostSpec("host-1", "Default"),),
    )
    implicit_state, explicit_state = Engine(implicit).state, Engine(explicit).state
    for store in ("data_centers", "clusters", "storage_domains", "hosts", "vms", "disks"):
        assert list(getattr(implicit_state, store)) == list(getattr(explicit_state, store))


def test_the_demo_keeps_its_ids() -> None:
    """Ids users may have recorded: the demo's first data center and first VM, seed 0."""
    state = Engine(DEMO).state
    assert next(iter(state.data_centers)) == "e3e70682-c209-4cac-a29f-6fbed82c07cd"
    assert next(iter(state.vms)) == "e443df78-9558-467f-9ba9-1faf7a024204"
    assert [d.name for d in state.storage_domains.values()] == ["data"]
    assert [(h.name, h.address) for h in state.hosts.values()] == [
        ("host-1", "host-1.fakeovirt.test")
    ]


def test_the_documented_scenario_file_still_loads() -> None:
    scenario = Scenario.load(ROOT / "docs" / "examples" / "scenario.toml")
    assert [vm.name for vm in scenario.vms] == ["db1", "web1"]
    assert [c.name for c in scenario.clusters] == ["Default"]


# -- refusals: each names what is wrong, and nothing is built ------------------------------
def with_vm(**vm: Any) -> dict[str, Any]:
    return {"vms": [{"name": "a", **vm}]}


REFUSED = [
    (with_vm(cluster="nope"), "vm a: no cluster named nope (there is Default)"),
    (with_vm(disks=[{"alias": "d", "storage_domain": "nope"}]), "no storage domain named nope"),
    (
        {"storage_domains": [{"name": "i", "type": "iso"}], **with_vm(disks=[{"alias": "d"}])},
        "data center Default has no data storage domain",
    ),
    (
        {
            "storage_domains": [{"name": "d"}, {"name": "i", "type": "iso"}],
            **with_vm(disks=[{"alias": "x", "storage_domain": "i"}]),
        },
        "storage domain i is an iso domain",
    ),
    (
        {
            "data_centers": [{"name": "a"}, {"name": "b"}],
            "storage_domains": [{"name": "d"}, {"name": "e", "data_center": "b"}],
            **with_vm(disks=[{"alias": "x", "storage_domain": "e"}]),
        },
        "storage domain e is in data center b, the VM in a",
    ),
    ({"storage_domains": [{"name": "i", "type": "iso", "storage": "iscsi"}]}, "needs file storage"),
    ({"storage_domains": [{"name": "l", "storage": "localfs"}]}, "localfs storage belongs"),
    ({"storage_domains": [{"name": "d", "type": "cinder"}]}, "type must be one of data, iso"),
    ({"storage_domains": [{"name": "d", "available": -1}]}, "available must be >= 0"),
    ({"hosts": [{"name": "h", "cluster": "nope"}]}, "host h: no cluster named nope"),
    (
        {
            "clusters": [{"name": "x"}, {"name": "y"}],
            "hosts": [{"name": "h", "cluster": "y"}],
            **with_vm(host="h"),
        },
        "host h is not in cluster x",
    ),
    (with_vm(status="down", host="host-1"), "a VM that is down runs on no host"),
    ({"vms": [{"name": "a"}, {"name": "a"}]}, "two VMs are named a"),
    ({"clusters": [{"name": "c"}, {"name": "c"}]}, "two clusters are named c"),
    ({"clusters": [{"name": "c" * 41}]}, "use 1 to 40 letters"),
    (with_vm(name="a b"), "vm name 'a b'"),
    ({"vms": [{"name": "a", "colour": "red"}]}, "malformed vms[0]: unknown key 'colour'"),
    ({"storage_domains": [{"name": "d", "size": 1}]}, "malformed storage_domains[0]: unknown key"),
    ({"seed": [1]}, "seed must be an integer"),
    ({"hosts": 5}, "malformed hosts: expected a list"),
    ({"vms": {"name": "a"}}, "malformed vms: expected a list"),
    (with_vm(disks=[{"alias": "d", "size": -1}]), "size must be a positive multiple of 65536"),
    (with_vm(disks=[{"alias": "d", "size": 1 << 60}]), "at most 70368744177664"),
    (with_vm(disks=[{"alias": "d", "seeded_blocks": 16385}]), "seeded_blocks must be at most"),
    (with_vm(disks=[{"alias": f"d{i}"} for i in range(65)]), "at most 64 disks"),
    (with_vm(freeze_fails="yes"), "freeze_fails must be true or false"),
    ({"policy": {"hold": 5}}, "policy: hold must be a list"),
    ({"name": "x\n"}, "its name must be 1 to 255 printable characters"),
]


@pytest.mark.parametrize(("data", "complaint"), REFUSED)
def test_a_bad_scenario_is_refused_naming_what_is_wrong(
    data: dict[str, Any], complaint: str
) -> None:
    with pytest.raises(ValueError, match="scenario ") as refused:
        Scenario.from_dict(data)
    assert complaint in str(refused.value)


def test_a_refused_scenario_over_http_leaves_the_engine_as_it_was(fake: FakeOvirt) -> None:
    client = fake.client()
    auth = {"Authorization": "Basic YWRtaW5AaW50ZXJuYWw6ZmFrZW92aXJ0"}
    fake.guest_write("vm-up-disk1", 0, b"kept")
    scenario, state = fake.engine.scenario, fake.engine.state
    bad = with_vm(disks=[{"alias": "d", "size": -1}])
    answer = client.post("/fakeovirt/scenario", json={"name": "other", **bad}, headers=auth)
    assert answer.status_code == 400 and answer.json is not None
    assert answer.json["error"] == "bad_request"
    assert fake.engine.scenario is scenario and fake.engine.state is state
    assert fake.disk("vm-up-disk1").content.read(0, 4) == b"kept"


# -- scenario files: only regular files of bounded size are read ----------------------------
def test_a_fifo_a_directory_and_a_device_are_refused_unread(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.toml")
    (tmp_path / "dir.toml").mkdir()
    (tmp_path / "zero.toml").symlink_to("/dev/zero")
    for name in ("pipe.toml", "dir.toml", "zero.toml"):
        with pytest.raises(ValueError, match="not a regular file"):
            Scenario.named(str(tmp_path / name))


def test_an_oversize_file_is_refused_unread(tmp_path: Path) -> None:
    with open(tmp_path / "big.toml", "wb") as big:
        big.truncate(MAX_FILE + 1)
    with pytest.raises(ValueError, match=f"larger than {MAX_FILE} bytes"):
        Scenario.named(str(tmp_path / "big.toml"))


@pytest.mark.parametrize(
    ("name", "content", "complaint"),
    [
        ("none.toml", None, "no such file"),
        ("latin.toml", b"name = '\xe9'", "not UTF-8 text"),
        ("broken.toml", b"name = = 1", "not valid TOML"),
        ("deep.json", b"[" * 100_000, "nested too deeply"),
        ("list.json", b"[1]", "malformed the scenario: expected a table"),
    ],
)
def test_an_unreadable_file_is_a_clear_error(
    tmp_path: Path, name: str, content: bytes | None, complaint: str
) -> None:
    if content is not None:
        (tmp_path / name).write_bytes(content)
    with pytest.raises(ValueError, match=complaint):
        Scenario.named(str(tmp_path / name))


# -- the scale scenario -----------------------------------------------------------------------
def test_a_scale_scenario_spreads_vms_over_clusters_hosts_and_domains() -> None:
    state = Engine(Scenario.named("scale:vms=1000,disks=2,clusters=4,domains=3,hosts=8")).state
    assert (len(state.vms), len(state.disks)) == (1000, 2000)
    assert (len(state.clusters), len(state.storage_domains), len(state.hosts)) == (4, 3, 8)
    per_cluster = {c: sum(v.cluster_id == c for v in state.vms.values()) for c in state.clusters}
    assert set(per_cluster.values()) == {250}
    per_host = {h: sum(v.host_id == h for v in state.vms.values()) for h in state.hosts}
    assert set(per_host.values()) == {125}
    assert all(
        state.hosts[v.host_id].cluster_id == v.cluster_id for v in state.vms.values() if v.host_id
    )
    per_domain = {
        d: sum(k.storage_domain_id == d for k in state.disks.values())
        for d in state.storage_domains
    }
    assert sorted(per_domain.values()) == [666, 667, 667]
    assert all(d.content.stored_blocks == 0 for d in state.disks.values())
    assert {d.provisioned_size for d in state.disks.values()} == {GiB}


def test_a_scale_scenario_is_deterministic_per_seed() -> None:
    first = Engine(Scenario.named("scale:vms=50,seed=3")).state
    again = Engine(Scenario.named("scale:vms=50,seed=3")).state
    other = Engine(Scenario.named("scale:vms=50,seed=4")).state
    assert list(first.vms) == list(again.vms) != list(other.vms)


@pytest.mark.fakeovirt(scenario="scale:vms=120,disks=2,clusters=3,size=64M,seeded=1")
def test_the_marker_serves_a_scale_scenario_to_the_sdk(fake: FakeOvirt, connection: Any) -> None:
    vms = connection.system_service().vms_service().list(search="name=vm-12*")
    assert sorted(vm.name for vm in vms) == ["vm-12", "vm-120"]
    disk = fake.disk("vm-120-disk2")
    assert (disk.provisioned_size, disk.content.stored_blocks) == (64 << 20, 1)


def test_the_control_plane_resets_to_a_scale_scenario(fake: FakeOvirt) -> None:
    auth = {"Authorization": "Basic YWRtaW5AaW50ZXJuYWw6ZmFrZW92aXJ0"}
    answer = fake.client().post(
        "/fakeovirt/reset", json={"scenario": "scale:vms=300"}, headers=auth
    )
    assert answer.status_code == 200 and answer.json is not None
    assert answer.json["scenario"] == "scale:vms=300"
    assert len(fake.engine.state.vms) == 300


@pytest.mark.parametrize(
    ("name", "complaint"),
    [
        ("scale:vms=-1", "vms must be a number in 0..100000"),
        ("scale:vms=100001", "vms must be a number in 0..100000"),
        ("scale:vms=10,vms=2", "vms is given twice"),
        ("scale:colour=red", "is not one of vms, disks"),
        ("scale:vms=10,clusters=4,hosts=2", "each cluster needs a host"),
        ("scale:vms=100000,disks=3", "at most 200000 disks"),
        ("scale:vms=100,seeded=200", "16384 seeded blocks"),
        ("scale:vms=1,size=1000", "size must be a multiple of 65536"),
        ("scale:vms=1,size=1X", "size must be a number"),
    ],
)
def test_a_bad_scale_name_is_a_clear_error(name: str, complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        Scenario.named(name)


def test_a_failed_build_leaves_the_engine_and_its_fault_rules_as_they_were(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The engine builds the new state before it replaces anything, and the app resets its
    journal and fault rules only once the engine is rebuilt."""
    from fakeovirt.core import engine as engine_module

    fake = FakeOvirt()
    fake.inject({"fault": "http_error", "status": 503, "path": "/nothing"})
    scenario, state = fake.engine.scenario, fake.engine.state

    def failing_build(*args: Any) -> Any:
        raise RuntimeError("the build failed")

    monkeypatch.setattr(engine_module, "build_state", failing_build)
    with pytest.raises(RuntimeError):
        fake.reset(Scenario(name="other"))
    assert fake.engine.scenario is scenario and fake.engine.state is state
    assert len(fake.faults.rules) == 1


def test_a_path_with_a_nul_byte_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="cannot open it"):
        Scenario.named("bad\x00.toml")


def test_a_reset_with_a_bad_fault_changes_nothing(fake: FakeOvirt) -> None:
    state = fake.engine.state
    with pytest.raises(ValueError, match="unknown fault 'meteor'"):
        fake.reset("empty", faults=[{"fault": "meteor"}])
    assert fake.engine.state is state and fake.engine.scenario.name == "demo"
