"""Hostile input on every route family gets a prompt 4xx, and nothing else happens.

Each case of `tests/hostile.py` (REST API, SSO, imageio, control plane, dashboard; routes by
bad bodies, parameters and headers) is sent in process, and a representative subset over a
real socket to the served fake. Each must get a 4xx in its family's format, with no
traceback and no byte of a file the server can see; the engine, its fault rules and its
journal (but for the one exchange) must be exactly as before, and the server must serve the
next request.
"""

from __future__ import annotations

import base64
import contextlib
import http.client
import json
import os
import ssl
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from fakeovirt import FakeOvirt, TransferRequest
from fakeovirt.core.scenario_file import MAX_FILE

from .hostile import CANARY, CASES, FAMILY_TYPES, Case

AUTH = "Basic " + base64.b64encode(b"admin@internal:fakeovirt").decode()
STALL = 5.0  # seconds: a stall guard, far above any normal answer; not a speed claim
LEAKS = ("Traceback", 'File "/', CANARY, "root:x:0:0")


@pytest.fixture(scope="session")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A FIFO, a directory, a link to a device, an oversize file and a secret, all .toml."""
    where = tmp_path_factory.mktemp("hostile")
    os.mkfifo(where / "pipe.toml")
    (where / "dir.toml").mkdir()
    (where / "zero.toml").symlink_to("/dev/zero")
    with open(where / "big.toml", "wb") as big:
        big.truncate(MAX_FILE + 1)
    (where / "secret.toml").write_text(f"{CANARY} = = {CANARY}\n", encoding="utf-8")
    return where


@pytest.fixture
def places(fake: FakeOvirt, files: Path) -> dict[str, str]:
    """What the cases' placeholders stand for; a download transfer gives a live ticket."""
    with fake.lock:
        disk = fake.disk("vm-down-disk1")
        transfer = fake.engine.start_transfer(
            TransferRequest(disk_id=disk.id, direction="download", format="raw")
        )
        while transfer.phase.value != "transferring":
            fake.engine.transfer(transfer.id, observe=True)
    return {
        "vm": fake.vm("vm-up").id,
        "disk": fake.disk("vm-up-disk1").id,
        "sd": disk.storage_domain_id,
        "ticket": transfer.ticket,
        "files": str(files),
    }


def fill(text: str, places: dict[str, str]) -> str:
    for key, value in places.items():
        text = text.replace("{" + key + "}", value)
    return text


def fill_body(body: bytes | None, places: dict[str, str]) -> bytes | None:
    if body is None or len(body) > 1_000_000:
        return body
    for key, value in places.items():
        body = body.replace(b"{" + key.encode() + b"}", value.encode())
    return body


def headers_of(case: Case) -> dict[str, str]:
    headers = dict(case.headers)
    if case.auth:
        headers.setdefault("Authorization", AUTH)
    return headers


def snapshot(fake: FakeOvirt, *, data_plane: bool = False) -> dict[str, Any]:
    """Everything a request could change, but the journal. A data-plane request on a live
    ticket counts as client activity, as a connection to the daemon's ticket does (its
    `idle_time`, engine-fidelity.md §5.7), so `data_plane` leaves the activity time out."""
    with fake.lock:
        engine, state = fake.engine, fake.engine.state
        return {
            "scenario": engine.scenario,
            "policy": engine.policy,
            "now": engine.clock.now(),
            "inventory": [
                list(getattr(state, name))
                for name in ("data_centers", "clusters", "hosts", "storage_domains")
            ],
            "vms": {
                v.id: (
                    v.name,
                    v.status,
                    v.host_id,
                    v.guest.freeze_fails,
                    repr(v.attachments),
                    repr(v.nics),
                )
                for v in state.vms.values()
            },
            "disks": {
                d.id: (
                    d.alias,
                    d.status,
                    d.provisioned_size,
                    d.content.generation,
                    d.content.stored_blocks,
                )
                for d in state.disks.values()
            },
            "backups": {b.id: (b.phase, len(b.history)) for b in state.backups.values()},
            "checkpoints": {c.id: c.state for c in state.checkpoints.values()},
            "snapshots": sorted(state.snapshots),
            "transfers": {
                t.id: (t.phase, t.transferred, t.progress.reads)
                + (() if data_plane else (t.last_activity,))
                for t in state.transfers.values()
            },
            "jobs": sorted(state.jobs),
            "events": len(state.events),
            "faults": fake.faults.describe(),
        }


def check_answer(case: Case, status: int, content_type: str, body: bytes) -> None:
    """A 4xx (the case's own status when it names one), in the family's format, no leak."""
    text = body.decode("utf-8", "replace")
    assert 400 <= status < 500, f"{case.id}: {status} {text[:300]}"
    if case.status is not None:
        assert status == case.status, f"{case.id}: {status} {text[:300]}"
    assert content_type.startswith(FAMILY_TYPES[case.family]), (case.id, content_type)
    assert not [leak for leak in LEAKS if leak in text], text[:2000]
    if case.family == "api":
        assert ET.fromstring(body).tag == "fault"
    elif case.family == "sso":
        assert set(json.loads(body)) == {"error", "error_description"}
    elif case.family in ("control", "dashboard"):
        answer = json.loads(body)
        assert set(answer) == {"error", "detail"} and answer["detail"], answer
        assert case.error in (None, answer["error"]), (case.id, answer)


def test_there_are_enough_cases_on_every_route_family() -> None:
    families = {family: sum(c.family == family for c in CASES) for family in FAMILY_TYPES}
    assert sum(families.values()) >= 150
    assert min(families.values()) >= 8, families
    assert len({c.id for c in CASES}) == len(CASES)


# Cases found by this battery and not fixed yet: id -> reason (xfail, strict).
KNOWN: dict[str, str] = {}


def params(cases: list[Case]) -> list[Any]:
    return [
        pytest.param(c, id=c.id, marks=[pytest.mark.xfail(strict=True, reason=KNOWN[c.id])])
        if c.id in KNOWN
        else pytest.param(c, id=c.id)
        for c in cases
    ]


@pytest.mark.parametrize("case", params(CASES))
def test_hostile_input_in_process(fake: FakeOvirt, places: dict[str, str], case: Case) -> None:
    client = fake.client()
    data_plane = case.family == "imageio"
    before, exchanges = snapshot(fake, data_plane=data_plane), len(fake.journal.entries)
    started = time.monotonic()
    response = client.open(
        fill(case.path, places),
        method=case.method,
        data=fill_body(case.body, places),
        headers=headers_of(case),
    )
    body = response.get_data()
    assert time.monotonic() - started < STALL
    check_answer(case, response.status_code, response.content_type or "", body)
    assert snapshot(fake, data_plane=data_plane) == before
    assert len(fake.journal.entries) == exchanges + case.journaled
    assert client.get("/ovirt-engine/api", headers={"Authorization": AUTH}).status_code == 200
    assert fake.errors == []


SERVED = [c for c in CASES if c.served]


@pytest.mark.parametrize("case", params(SERVED))
def test_hostile_input_over_a_socket(fake: FakeOvirt, places: dict[str, str], case: Case) -> None:
    assert fake.ca_file is not None
    host, port = fake.server.origin.removeprefix("https://").rsplit(":", 1)
    context = ssl.create_default_context(cafile=fake.ca_file)
    data_plane = case.family == "imageio"
    before, exchanges = snapshot(fake, data_plane=data_plane), len(fake.journal.entries)
    status, content_type, body = send(host, int(port), context, case, places)
    check_answer(case, status, content_type, body)
    assert snapshot(fake, data_plane=data_plane) == before
    assert len(fake.journal.entries) == exchanges + case.journaled
    status, _, _ = send(
        host, int(port), context, Case("alive", "api", "GET", "/ovirt-engine/api"), places
    )
    assert status == 200
    assert fake.errors == []


def send(
    host: str, port: int, context: ssl.SSLContext, case: Case, places: dict[str, str]
) -> tuple[int, str, bytes]:
    """One request on a fresh connection; a stalled answer fails on the socket timeout."""
    connection = http.client.HTTPSConnection(host, port, context=context, timeout=STALL)
    try:
        body = fill_body(case.body, places)
        # The server may answer (413) before it reads a body it refuses: read that answer.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError, ssl.SSLError):
            connection.request(case.method, fill(case.path, places), body, headers_of(case))
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type") or "", response.read()
    finally:
        connection.close()
