"""Every number a user can give has a bound, enforced alike in Python and over HTTP.

Fault parameters (docs/faults.md), transition policies, clock moves; and the engine's own
rule that an `inactivity_timeout` of zero or less disables the inactivity check
(ovirt-engine `TransferDiskImageCommand.java:1017-1026`, `clientInactivityTimeout > 0 && ...`;
engine-fidelity.md §4.1).
"""

from __future__ import annotations

import base64
from typing import Any

import pytest
from ovirtsdk4 import types

from fakeovirt import FakeOvirt, TransitionPolicy, faults
from fakeovirt.faults import MAX_COUNT, MAX_LATENCY, Fault
from fakeovirt.injection import MAX_RULES, FaultSet

AUTH = {"Authorization": "Basic " + base64.b64encode(b"admin@internal:fakeovirt").decode()}
NAN = float("nan")


# -- fault parameters ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("make", "complaint"),
    [
        (lambda: faults.latency(MAX_LATENCY + 1), "at most 300.0"),
        (lambda: faults.latency(-1), "latency seconds must be >= 0"),
        (lambda: faults.latency(NAN), "latency seconds must be >= 0"),
        (lambda: faults.latency("5"), "seconds must be a number"),  # type: ignore[arg-type]
        (lambda: faults.http_error(503, probability=NAN), "probability must be between 0 and 1"),
        (lambda: faults.http_error(503, probability=1.5), "probability must be between 0 and 1"),
        (lambda: faults.http_error(503, times=-1), "times must be >= 0"),
        (lambda: faults.http_error(503, after=MAX_COUNT + 1), "after must be >= 0 and at most"),
        (lambda: faults.http_error(503, times=True), "times must be an integer"),
        (lambda: faults.http_error(503, seed=1 << 64), "seed must be within"),
        (lambda: faults.http_error(503, method="GET /"), "method must be an HTTP method"),
        (lambda: faults.http_error(503, path="/vms\x00"), "path must be at most 1000 printable"),
        (lambda: faults.http_error(503, detail="x" * 1001), "detail must be at most 1000"),
        (lambda: faults.http_error(600), "status must be 400..599"),
    ],
)
def test_a_fault_out_of_bounds_is_refused_by_its_constructor(make: Any, complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        make()


def test_the_bounds_themselves_are_accepted() -> None:
    assert faults.latency(MAX_LATENCY).seconds == MAX_LATENCY
    assert faults.http_error(503, times=MAX_COUNT, after=0, probability=0.0).times == MAX_COUNT


@pytest.mark.parametrize(
    "rule",
    [
        {"fault": "latency", "seconds": 1e9},
        {"fault": "latency", "seconds": 301},
        {"fault": "drop_connection", "probability": 2},
        {"fault": "drop_connection", "times": -1},
        {"fault": "http_error", "status": 503, "detail": "\u0000"},
    ],
)
def test_the_control_plane_refuses_the_same_faults(fake: FakeOvirt, rule: dict[str, Any]) -> None:
    answer = fake.client().post("/fakeovirt/faults", json=rule, headers=AUTH)
    assert answer.status_code == 400 and answer.json is not None
    assert answer.json["error"] == "bad_request"
    assert fake.faults.rules == []


def test_latencies_add_up_to_at_most_the_bound() -> None:
    slept: list[float] = []
    fake = FakeOvirt()
    fake.faults = FaultSet(fake.engine, sleep=slept.append)
    fake.app.faults = fake.faults
    fake.inject(*[faults.latency(MAX_LATENCY, path="/vms")] * 3)
    fake.client().get("/ovirt-engine/api/vms", headers=AUTH)
    assert slept == [MAX_LATENCY]


def test_at_most_so_many_rules_at_a_time(fake: FakeOvirt) -> None:
    fake.inject(*[faults.http_error(503, path="/nothing")] * (MAX_RULES - 1))
    with pytest.raises(ValueError, match=f"at most {MAX_RULES} fault rules"):
        fake.inject(faults.http_error(503), faults.http_error(503))
    assert len(fake.faults.rules) == MAX_RULES - 1, "a refused batch adds none of its rules"
    fake.faults.clear()


def test_a_fault_round_trips_through_its_dict_form_at_the_bounds() -> None:
    fault = faults.latency(MAX_LATENCY, times=MAX_COUNT, probability=1.0)
    assert Fault.from_dict(fault.to_dict()) == fault


# -- policies -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("data", "complaint"),
    [
        ({"hold": 5}, "hold must be a list"),
        ({"reads": [1]}, "reads must be an integer"),
        ({"reads": 1.5}, "reads must be an integer"),
        ({"reads": True}, "reads must be an integer"),
        ({"seconds": 1e300}, "seconds must be >= 0 and at most 86400"),
        ({"seconds": "2"}, "seconds must be a number"),
        ({"mode": "immediate", "seconds": 2}, "an immediate policy takes no seconds"),
        ({"mode": "reads", "seconds": 2}, "a reads policy takes no seconds"),
        ([1, 2], "a policy is a mapping"),
        ({1: 2}, "unknown policy keys: 1"),
    ],
)
def test_a_bad_policy_is_refused(data: Any, complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        TransitionPolicy.from_dict(data)


def test_without_a_mode_the_count_names_it() -> None:
    assert TransitionPolicy.from_dict({"reads": 2}) == TransitionPolicy.after_reads(2)
    assert TransitionPolicy.from_dict({"seconds": 2}) == TransitionPolicy.after_seconds(2.0)


def test_a_policy_cannot_wait_beyond_a_day_or_count_nan() -> None:
    with pytest.raises(ValueError, match="at most 86400"):
        TransitionPolicy.after_seconds(86_401)
    with pytest.raises(ValueError, match="seconds must be >= 0"):
        TransitionPolicy.after_seconds(NAN)
    with pytest.raises(ValueError, match="invalid policy"):
        TransitionPolicy.parse("seconds:inf")


# -- the clock --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "move", [{"advance": 1e300}, {"advance": 3e11}, {"set": "9000-01-01T00:00:01+00:00"}]
)
def test_the_clock_stops_before_date_arithmetic_could_overflow(
    fake: FakeOvirt, move: dict[str, Any]
) -> None:
    now = fake.clock.now()
    answer = fake.client().post("/fakeovirt/clock", json=move, headers=AUTH)
    assert answer.status_code == 400 and answer.json is not None
    assert "cannot pass 9000-01-01" in answer.json["detail"]
    assert fake.clock.now() == now


# -- the engine's inactivity timeout ---------------------------------------------------------
def start_download(connection: Any, fake: FakeOvirt, timeout: int) -> Any:
    transfers = connection.system_service().image_transfers_service()
    transfer = transfers.add(
        types.ImageTransfer(
            disk=types.Disk(id=fake.disk("vm-down-disk1").id),
            direction=types.ImageTransferDirection.DOWNLOAD,
            inactivity_timeout=timeout,
        )
    )
    service = transfers.image_transfer_service(transfer.id)
    assert service.get().phase == types.ImageTransferPhase.TRANSFERRING
    return service


@pytest.mark.parametrize("timeout", [0, -1])
def test_an_inactivity_timeout_of_zero_or_less_disables_the_check(
    fake: FakeOvirt, connection: Any, timeout: int
) -> None:
    service = start_download(connection, fake, timeout)
    fake.clock.advance(7 * 86_400)
    assert service.get().phase == types.ImageTransferPhase.TRANSFERRING


def test_a_positive_inactivity_timeout_ends_an_idle_transfer(
    fake: FakeOvirt, connection: Any
) -> None:
    service = start_download(connection, fake, 30)
    fake.clock.advance(31)
    assert service.get().phase != types.ImageTransferPhase.TRANSFERRING
