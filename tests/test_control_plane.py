"""The control plane over raw HTTP (urllib and the CA file), as a Go or shell user drives it.

The curl examples of docs/control-plane.md are replayed here, so the doc cannot drift.
"""

from __future__ import annotations

import base64
import json
import re
import shlex
import ssl
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from fakeovirt import FakeOvirt
from fakeovirt.web.mounted.control import ROUTES

DOC = Path(__file__).resolve().parents[1] / "docs" / "control-plane.md"
BASIC = "Basic " + base64.b64encode(b"admin@internal:fakeovirt").decode()


@dataclass
class Answer:
    status: int
    body: bytes
    content_type: str

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Http:
    """A raw HTTPS client: urllib, the fake's CA file, and one Authorization header."""

    origin: str
    ca_file: str
    authorization: str = BASIC
    seen: list[tuple[str, str]] = field(default_factory=list)

    def call(
        self,
        method: str,
        path: str,
        body: bytes | str | dict[str, Any] | list[Any] | None = None,
        *,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        url = path if path.startswith("https://") else self.origin + path
        data = json.dumps(body).encode() if isinstance(body, dict | list) else body
        data = data.encode() if isinstance(data, str) else data
        kind = "application/json" if isinstance(body, dict | list) else "application/xml"
        typed = {"Content-Type": kind} if data is not None else {}
        sent = {"Authorization": self.authorization, **typed, **(headers or {})}
        request = urllib.request.Request(url, data=data, method=method, headers=sent)
        self.seen.append((method, urllib.parse.urlsplit(url).path))
        context = ssl.create_default_context(cafile=self.ca_file)
        try:
            with urllib.request.urlopen(request, context=context) as response:
                return Answer(response.status, response.read(), response.headers["Content-Type"])
        except urllib.error.HTTPError as error:
            return Answer(error.code, error.read(), error.headers["Content-Type"])

    def ok(self, method: str, path: str, body: Any = None, **kw: Any) -> Answer:
        answer = self.call(method, path, body, **kw)
        assert 200 <= answer.status < 300, (method, path, answer.status, answer.body)
        return answer


@pytest.fixture
def http(fake: FakeOvirt) -> Http:
    assert fake.ca_file is not None
    return Http(fake.origin, fake.ca_file)


# -- a full then incremental backup, with guest writes between, over raw HTTP ----------------
def xml(answer: Answer) -> ET.Element:
    assert answer.content_type.startswith("application/xml"), answer.content_type
    return ET.fromstring(answer.body)


def start_backup(http: Http, vm: str, disk: str, checkpoint: str | None = None) -> ET.Element:
    since = f"<from_checkpoint_id>{checkpoint}</from_checkpoint_id>" if checkpoint else ""
    body = f'<backup>{since}<disks><disk id="{disk}"/></disks></backup>'
    headers = {"Content-Type": "application/xml"}
    answer = http.call("POST", f"/ovirt-engine/api/vms/{vm}/backups", body, headers=headers)
    assert answer.status == 201, answer.body
    return xml(answer)


def backup_phase(http: Http, vm: str, backup: str) -> ET.Element:
    return xml(http.ok("GET", f"/ovirt-engine/api/vms/{vm}/backups/{backup}"))


def download(http: Http, disk: str, backup: str) -> tuple[str, str]:
    body = (
        "<image_transfer><direction>download</direction><format>raw</format>"
        f'<backup id="{backup}"/><disk id="{disk}"/></image_transfer>'
    )
    headers = {"Content-Type": "application/xml"}
    transfer = xml(http.ok("POST", "/ovirt-engine/api/imagetransfers", body, headers=headers))
    assert transfer.findtext("phase") == "transferring"
    return str(transfer.get("id")), str(transfer.findtext("transfer_url"))


def read(http: Http, url: str, offset: int, length: int) -> bytes:
    headers = {"Range": f"bytes={offset}-{offset + length - 1}"}
    return http.ok("GET", url, headers=headers).body


def finish(http: Http, vm: str, backup: str, transfer: str) -> None:
    http.ok("POST", f"/ovirt-engine/api/imagetransfers/{transfer}/finalize", "<action/>")
    http.ok("POST", f"/ovirt-engine/api/vms/{vm}/backups/{backup}/finalize", "<action/>")
    assert backup_phase(http, vm, backup).findtext("phase") == "succeeded"


def test_full_then_incremental_backup_driven_by_raw_http(http: Http) -> None:
    token = http.ok(
        "POST",
        "/ovirt-engine/sso/oauth/token",
        "grant_type=password&scope=ovirt-app-api&username=admin@internal&password=fakeovirt",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    ).json()["access_token"]
    http.authorization = f"Bearer {token}"
    http.ok("POST", "/fakeovirt/reset", {"scenario": "demo"})
    http.ok("PUT", "/fakeovirt/policy", {"mode": "seconds", "seconds": 5})
    vm_up = next(
        v for v in http.ok("GET", "/fakeovirt/inventory").json()["vms"] if v["name"] == "vm-up"
    )
    vm, disk = vm_up["id"], vm_up["disks"][0]["id"]

    http.ok(
        "POST", f"/fakeovirt/disks/{disk}/writes", {"offset": 0, "length": 65536, "pattern": 0xAB}
    )
    full = start_backup(http, vm, disk).get("id") or ""
    assert backup_phase(http, vm, full).findtext("phase") == "initializing"
    http.ok("POST", "/fakeovirt/clock", {"advance": 10})
    ready = backup_phase(http, vm, full)
    assert ready.findtext("phase") == "ready"
    checkpoint = ready.findtext("to_checkpoint_id") or ""
    http.ok("PUT", "/fakeovirt/policy", {"mode": "immediate"})
    first, url = download(http, disk, full)
    assert read(http, url, 0, 65536) == b"\xab" * 65536
    finish(http, vm, full, first)

    written = bytes(range(256)) * 256
    payload = {"offset": 1 << 20, "data": base64.b64encode(written).decode()}
    http.ok("POST", "/fakeovirt/disks/vm-up-disk1/writes", payload)
    http.ok("PUT", "/fakeovirt/policy", {"mode": "immediate", "hold": ["starting"]})
    incremental = start_backup(http, vm, disk, checkpoint).get("id") or ""
    assert backup_phase(http, vm, incremental).findtext("phase") == "starting"
    assert http.ok("POST", "/fakeovirt/release", {"vm": "vm-up"}).json()["phase"] == "ready"
    transfer, url = download(http, disk, incremental)
    dirty = [e for e in http.ok("GET", url + "/extents?context=dirty").json() if e["dirty"]]
    assert [(e["start"], e["length"]) for e in dirty] == [(1 << 20, 65536)]
    assert read(http, url, 1 << 20, 65536) == written
    finish(http, vm, incremental, transfer)

    entries = http.ok("GET", "/fakeovirt/journal").json()["entries"]
    calls = [(e["method"], e["path"]) for e in entries]
    backups, transfers = f"/ovirt-engine/api/vms/{vm}/backups", "/ovirt-engine/api/imagetransfers"
    api = [
        c
        for c in calls
        if c[0] == "POST" and (c[1].startswith((backups, transfers)) or "/fakeovirt/" in c[1])
    ]
    assert api == [
        ("POST", "/fakeovirt/reset"),
        ("POST", f"/fakeovirt/disks/{disk}/writes"),
        ("POST", backups),
        ("POST", "/fakeovirt/clock"),
        ("POST", transfers),
        ("POST", f"{transfers}/{first}/finalize"),
        ("POST", f"{backups}/{full}/finalize"),
        ("POST", "/fakeovirt/disks/vm-up-disk1/writes"),
        ("POST", backups),
        ("POST", "/fakeovirt/release"),
        ("POST", transfers),
        ("POST", f"{transfers}/{transfer}/finalize"),
        ("POST", f"{backups}/{incremental}/finalize"),
    ]
    events = http.ok("GET", "/fakeovirt/events").json()["events"]
    assert [e["code"] for e in events].count(10790) == 2, "two backups started"
    assert all(
        e["user"] == "admin@internal" for e in entries if e["path"].startswith("/fakeovirt/")
    )


# -- authentication, errors ----------------------------------------------------------------
def test_control_plane_needs_the_api_credentials(http: Http) -> None:
    http.authorization = ""
    answer = http.call("GET", "/fakeovirt/clock")
    assert (answer.status, answer.json()["error"]) == (401, "unauthorized")
    http.authorization = "Bearer not-a-token"
    assert http.call("GET", "/fakeovirt/clock").status == 401


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "error"),
    [
        ("POST", "/fakeovirt/clock", "{not json", 400, "bad_json"),
        ("POST", "/fakeovirt/clock", "[1]", 400, "bad_request"),
        ("POST", "/fakeovirt/clock", "", 400, "bad_request"),
        ("POST", "/fakeovirt/clock", {"advance": -1}, 400, "bad_request"),
        ("POST", "/fakeovirt/clock", {"advance": True}, 400, "bad_request"),
        (
            "POST",
            "/fakeovirt/clock",
            {"advance": 1, "set": "2027-01-01T00:00:00+00:00"},
            400,
            "bad_request",
        ),
        ("POST", "/fakeovirt/clock", {"set": "2020-01-01T00:00:00+00:00"}, 400, "bad_request"),
        ("POST", "/fakeovirt/clock", {"set": "2027-01-01T00:00:00"}, 400, "bad_request"),
        ("POST", "/fakeovirt/clock", {"set": "tomorrow"}, 400, "bad_request"),
        ("PUT", "/fakeovirt/policy", {"mode": "sometimes"}, 400, "bad_request"),
        (
            "PUT",
            "/fakeovirt/policy",
            {"mode": "immediate", "hold": ["napping"]},
            400,
            "bad_request",
        ),
        ("POST", "/fakeovirt/reset", {"scenario": "no-such-scenario"}, 400, "bad_request"),
        ("POST", "/fakeovirt/reset", {"scenario": 3}, 400, "bad_request"),
        ("POST", "/fakeovirt/scenario", {"vms": [{"disks": []}]}, 400, "bad_request"),
        (
            "POST",
            "/fakeovirt/scenario",
            {"vms": [{"name": "x", "disks": [{"alias": "d", "format": "vhd"}]}]},
            400,
            "bad_request",
        ),
        ("POST", "/fakeovirt/faults", {"fault": "meteor"}, 400, "bad_request"),
        ("POST", "/fakeovirt/faults", [{"fault": "latency"}], 400, "bad_request"),
        (
            "POST",
            "/fakeovirt/disks/vm-up-disk1/writes",
            {"offset": 0, "data": "%%%"},
            400,
            "bad_request",
        ),
        ("POST", "/fakeovirt/disks/vm-up-disk1/writes", {"offset": 0}, 400, "bad_request"),
        (
            "POST",
            "/fakeovirt/disks/vm-up-disk1/writes",
            {"offset": 0, "length": 1, "pattern": 256},
            400,
            "bad_request",
        ),
        (
            "POST",
            "/fakeovirt/disks/vm-up-disk1/writes",
            {"offset": 1 << 40, "data": "AA=="},
            400,
            "bad_request",
        ),
        (
            "POST",
            "/fakeovirt/disks/no-such-disk/writes",
            {"offset": 0, "data": "AA=="},
            404,
            "not_found",
        ),
        ("PUT", "/fakeovirt/vms/vm-up/freeze", {"fails": "yes"}, 400, "bad_request"),
        ("PUT", "/fakeovirt/vms/no-such-vm/freeze", {"fails": True}, 404, "not_found"),
        ("POST", "/fakeovirt/release", {"id": "no-such-backup"}, 404, "not_found"),
        ("POST", "/fakeovirt/release", {"vm": "vm-up"}, 409, "conflict"),
        ("POST", "/fakeovirt/release", {}, 400, "bad_request"),
        ("GET", "/fakeovirt/history/no-such-backup", None, 404, "not_found"),
        ("GET", "/fakeovirt/journal?since=x", None, 400, "bad_request"),
        ("GET", "/fakeovirt/nothing-here", None, 404, "not_found"),
        ("DELETE", "/fakeovirt/clock", None, 405, "method_not_allowed"),
    ],
)
def test_bad_input_is_a_json_4xx_never_a_500(
    fake: FakeOvirt, http: Http, method: str, path: str, body: Any, status: int, error: str
) -> None:
    answer = http.call(method, path, body)
    assert answer.content_type == "application/json"
    assert (answer.status, answer.json()["error"]) == (status, error), answer.json()
    assert answer.json()["detail"]
    assert fake.errors == []


@pytest.mark.fakeovirt(clock="system")
def test_a_system_clock_cannot_be_moved(http: Http) -> None:
    assert http.ok("GET", "/fakeovirt/clock").json()["manual"] is False
    answer = http.call("POST", "/fakeovirt/clock", {"advance": 1})
    assert (answer.status, answer.json()["error"]) == (409, "conflict")


@pytest.mark.fakeovirt(clock="system")
def test_malformed_json_is_bad_json_before_any_other_check(http: Http) -> None:
    """Before the 409 of a system clock, the 404 of an unknown disk, a missing key."""
    for path in ("/fakeovirt/clock", "/fakeovirt/disks/no-such-disk/writes", "/fakeovirt/release"):
        answer = http.call("POST", path, "{not json")
        assert (answer.status, answer.json()["error"]) == (400, "bad_json"), path


def test_reset_clears_faults_and_the_journal(fake: FakeOvirt, http: Http) -> None:
    http.ok("POST", "/fakeovirt/faults", {"fault": "http_error", "status": 503})
    assert http.call("GET", "/ovirt-engine/api/vms").status == 503
    http.ok("POST", "/fakeovirt/reset")
    assert fake.faults.rules == []
    assert [e.path for e in fake.journal.entries] == ["/fakeovirt/reset"]
    assert http.call("GET", "/ovirt-engine/api/vms").status == 200


def test_a_loaded_scenario_replaces_the_inventory(http: Http) -> None:
    scenario = {
        "name": "lab",
        "vms": [
            {
                "name": "db1",
                "status": "down",
                "disks": [{"alias": "d1", "size": 65536, "seeded_blocks": 1}],
            }
        ],
    }
    assert http.ok("POST", "/fakeovirt/scenario", scenario).json()["scenario"] == "lab"
    (vm,) = http.ok("GET", "/fakeovirt/inventory").json()["vms"]
    assert (vm["name"], vm["status"], [d["alias"] for d in vm["disks"]]) == ("db1", "down", ["d1"])


# -- the documented curl examples ---------------------------------------------------------------
def fenced_blocks(text: str) -> list[tuple[str, str]]:
    return re.findall(r"^```(\w+)\n(.*?)^```$", text, flags=re.M | re.S)


def commands(block: str) -> list[str]:
    """Shell commands, with backslash continuations and multi-line quotes joined."""
    out: list[str] = []
    pending = ""
    for line in block.splitlines():
        pending = f"{pending}\n{line}" if pending else line
        if pending.endswith("\\"):
            pending = pending[:-1]
            continue
        try:
            shlex.split(pending)
        except ValueError:  # an open quote: the command goes on
            continue
        out.append(pending.strip())
        pending = ""
    assert not pending, f"unfinished command: {pending}"
    return out


def expand(command: str, env: dict[str, str]) -> str:
    """`$NAME` and `${NAME}` outside single quotes, as the shell does."""
    parts = re.split(r"('[^']*')", command)
    names = r"\$\{(\w+)\}|\$(\w+)"
    return "".join(
        p if p.startswith("'") else re.sub(names, lambda m: env[m[1] or m[2]], p) for p in parts
    )


def curl(argv: list[str], env: dict[str, str]) -> tuple[str, str, Answer]:
    """Run a curl command line with urllib; only the options the doc uses are known."""
    assert argv[0] == "curl", argv
    method, headers, data, url = None, {}, [], None
    args = iter(argv[1:])
    for arg in args:
        if arg == "-s":
            continue
        if arg == "--cacert":
            assert next(args) == env["CA"]
        elif arg == "-u":
            headers["Authorization"] = "Basic " + base64.b64encode(next(args).encode()).decode()
        elif arg == "-H":
            name, _, value = next(args).partition(": ")
            headers[name] = value
        elif arg == "-X":
            method = next(args)
        elif arg == "-d":
            data.append(next(args))
        elif not arg.startswith("-") and url is None:
            url = arg
        else:
            raise AssertionError(f"the replayer does not know curl option {arg!r}")
    assert url is not None
    if data and "Content-Type" not in headers:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    method = method or ("POST" if data else "GET")
    http = Http(env["FAKEOVIRT"], env["CA"], headers.pop("Authorization", ""))
    answer = http.call(method, url, "&".join(data) if data else None, headers=headers)
    return method, urllib.parse.urlsplit(url).path, answer


def jq(data: Any, path: str) -> str:
    for key, index in re.findall(r"\.(\w+)|\[(\d+)\]", path):
        data = data[key] if key else data[int(index)]
    return str(data)


def like(actual: Any, expected: Any) -> bool:
    """`expected` as the doc shows it: "..." is anything, objects show some keys."""
    if expected == "...":
        return True
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            k in actual and like(actual[k], v) for k, v in expected.items()
        )
    if isinstance(expected, list):
        if expected and expected[-1] == "..." and isinstance(actual, list):
            return len(actual) >= len(expected) - 1 and all(map(like, actual, expected[:-1]))
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(map(like, actual, expected))
        )
    return bool(actual == expected)


def test_the_documented_curl_examples_work(fake: FakeOvirt) -> None:
    assert fake.ca_file is not None
    env = {"FAKEOVIRT": fake.origin, "CA": fake.ca_file}
    last: Answer | None = None
    covered: set[tuple[str, str]] = set()
    replayed = 0
    for lang, block in fenced_blocks(DOC.read_text(encoding="utf-8")):
        if lang == "json":
            assert last is not None, "a json block must follow a command"
            expected = json.loads(block)
            assert like(last.json(), expected), f"doc shows {expected}\ngot {last.json()}"
            assert (last.status >= 400) == ("error" in expected), last.status
            continue
        if lang != "sh":
            continue
        for command in commands(block):
            capture = re.fullmatch(r"(\w+)=\$\((curl .*) \| jq -r (\S+)\)", command, flags=re.S)
            line = capture[2] if capture else command
            method, path, last = curl(shlex.split(expand(line, env)), env)
            replayed += 1
            if capture:
                assert last.status < 400, last.body
                env[capture[1]] = jq(last.json(), shlex.split(capture[3])[0])
            if path.startswith("/fakeovirt/"):
                endpoint, _ = ROUTES.bind("x").match(path, method=method)
                covered.add((str(endpoint), method))
    all_routes = {
        (r.endpoint, m) for r in ROUTES.iter_rules() for m in r.methods or () if m != "HEAD"
    }
    assert covered == all_routes, f"routes without an example: {sorted(all_routes - covered)}"
    assert replayed >= 20


# -- all or nothing: what once answered 500 or half-applied a reset ---------------------------
ONCE_500 = {
    "scenario-list": ("POST", "/fakeovirt/scenario", "[]", "bad_request"),
    "scenario-hosts-number": ("POST", "/fakeovirt/scenario", {"hosts": 5}, "bad_request"),
    "scenario-seed-list": ("POST", "/fakeovirt/scenario", {"seed": [1]}, "bad_request"),
    "scenario-negative-size": (
        "POST",
        "/fakeovirt/scenario",
        {"name": "other", "vms": [{"name": "x", "disks": [{"alias": "d", "size": -1}]}]},
        "bad_request",
    ),
    "reset-to-a-directory": ("POST", "/fakeovirt/reset", {"scenario": "/"}, "bad_request"),
    "reset-to-a-device": ("POST", "/fakeovirt/reset", {"scenario": "/dev/zero"}, "bad_request"),
    "reset-bad-policy": (
        "POST",
        "/fakeovirt/reset",
        {"scenario": "empty", "policy": {"hold": 5}},
        "bad_request",
    ),
    "reset-unknown-profile": (
        "POST",
        "/fakeovirt/reset",
        {"scenario": "empty", "profile": "strict"},
        "bad_request",
    ),
    "reset-profile-number": ("POST", "/fakeovirt/reset", {"profile": 1}, "bad_request"),
    "reset-profile-then-a-bad-scenario": (
        "POST",
        "/fakeovirt/reset",
        {"scenario": "/", "profile": "engine"},
        "bad_request",
    ),
    "profile-unknown": ("PUT", "/fakeovirt/profile", {"name": "strict"}, "bad_request"),
    "profile-extra-key": ("PUT", "/fakeovirt/profile", {"name": "engine", "x": 1}, "bad_request"),
    "profile-no-name": ("PUT", "/fakeovirt/profile", {}, "bad_request"),
    "policy-hold-number": ("PUT", "/fakeovirt/policy", {"hold": 5}, "bad_request"),
    "policy-reads-list": ("PUT", "/fakeovirt/policy", {"reads": [1]}, "bad_request"),
    "policy-list": ("PUT", "/fakeovirt/policy", "[1, 2]", "bad_request"),
    "deep-body": ("POST", "/fakeovirt/scenario", "[" * 100_000 + "]" * 100_000, "bad_json"),
    "not-json-at-all": ("POST", "/fakeovirt/disks/no-such-disk/writes", "{x", "bad_json"),
}


@pytest.mark.parametrize(("method", "path", "body", "error"), ONCE_500.values(), ids=ONCE_500)
def test_a_refused_request_changes_nothing(
    fake: FakeOvirt, http: Http, method: str, path: str, body: Any, error: str
) -> None:
    """A backup, a transfer, a guest write, a fault rule and a journal are all kept."""
    fake.guest_write("vm-up-disk1", 0, b"written before")
    fake.inject({"fault": "http_error", "status": 503, "path": "/nothing"})
    vm, disk = fake.vm("vm-up"), fake.disk("vm-up-disk1")
    start_backup(http, vm.id, disk.id)
    engine = fake.engine
    before = (engine.scenario, engine.state, engine.policy, engine.profile, fake.faults.describe())
    backups, journal = dict(engine.state.backups), [e.index for e in fake.journal.entries]
    answer = http.call(method, path, body)
    assert (answer.status, answer.content_type) == (400, "application/json")
    assert answer.json()["error"] == error, answer.json()
    after = (engine.scenario, engine.state, engine.policy, engine.profile, fake.faults.describe())
    assert after == before
    assert engine.state.backups == backups and engine.scenario.name == "demo"
    assert [e.index for e in fake.journal.entries][:-1] == journal
    assert fake.disk("vm-up-disk1").content.read(0, 14) == b"written before"
    assert fake.errors == []


# -- the behaviour profile -------------------------------------------------------------------
def test_a_profile_chosen_over_http_applies_to_backups_started_afterwards(
    fake: FakeOvirt, http: Http
) -> None:
    """A running backup keeps its profile: its premature finalize answers as it started."""
    http.ok("PUT", "/fakeovirt/policy", {"mode": "reads", "reads": 1})
    vm, disk = fake.vm("vm-up"), fake.disk("vm-up-disk1")
    body = f'<backup><disks><disk id="{disk.id}"/></disks></backup>'
    path = f"/ovirt-engine/api/vms/{vm.id}/backups?legacy=true"
    documented = xml(http.ok("POST", path, body)).get("id")
    assert http.ok("PUT", "/fakeovirt/profile", {"name": "engine"}).json()["name"] == "engine"
    finalize = f"/ovirt-engine/api/vms/{vm.id}/backups/{documented}/finalize"
    assert http.call("POST", finalize, "<action/>").status == 200
    assert http.ok("POST", "/fakeovirt/reset", {"profile": "engine"}).json()["profile"] == "engine"
    engine = xml(http.ok("POST", path, body)).get("id")
    finalize = f"/ovirt-engine/api/vms/{vm.id}/backups/{engine}/finalize"
    assert http.call("POST", finalize, "<action/>").status == 400
    assert http.ok("GET", "/fakeovirt/profile").json()["switches"]["active_path_flags"] == [
        "legacy"
    ]


def test_the_inventory_lists_each_vms_snapshots_and_each_disks_volumes(
    fake: FakeOvirt, http: Http
) -> None:
    snapshot = fake.snapshot("vm-down", "nightly")
    (vm,) = [
        v for v in http.ok("GET", "/fakeovirt/inventory").json()["vms"] if v["name"] == "vm-down"
    ]
    (disk,) = vm["disks"]
    base, active = disk["volumes"]
    assert (base["parent"], base["active"], active["parent"], active["active"]) == (
        None,
        False,
        base["image_id"],
        True,
    )
    assert active["format"] == "cow" and active["status"] == "ok"
    listed = {s["description"]: s for s in vm["snapshots"]}
    assert listed["nightly"] == {
        "id": snapshot.id,
        "description": "nightly",
        "type": "regular",
        "status": "ok",
        "disks": {disk["id"]: base["image_id"]},
    }
    assert listed["Active VM"]["type"] == "active"
