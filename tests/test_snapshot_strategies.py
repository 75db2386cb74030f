"""The snapshot strategies keep their promises against the engine and over raw HTTP."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from fakeovirt import FakeOvirt
from fakeovirt import strategies as fst
from fakeovirt.core.errors import EngineError
from fakeovirt.core.snapshots import SnapshotRequest
from fakeovirt.web.parse import parse_snapshot

DISKS = ("1d4b1c5e-0000-4000-8000-000000000001", "1d4b1c5e-0000-4000-8000-000000000002")
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def vm_up_disks(fake: FakeOvirt) -> tuple[str, ...]:
    return tuple(fake.disk(a).id for a in ("vm-up-disk1", "vm-up-disk2"))


@SETTINGS
@given(request=fst.snapshot_requests(disk_ids=DISKS))
def test_a_request_survives_its_http_body(request: SnapshotRequest) -> None:
    parsed = parse_snapshot(fst.snapshot_request_http(request))
    assert parsed == request


def test_valid_requests_are_taken_and_invalid_ones_refused_as_promised() -> None:
    fake = FakeOvirt()
    disks = vm_up_disks(fake)

    @SETTINGS
    @given(request=fst.snapshot_requests(disk_ids=disks))
    def taken(request: SnapshotRequest) -> None:
        fake.reset()
        snapshot = fake.engine.create_snapshot(fake.vm("vm-up").id, request)
        assert snapshot.status == "ok"
        assert sorted(snapshot.images) == sorted(
            disks if request.disk_ids is None else request.disk_ids
        )

    @SETTINGS
    @given(invalid=fst.invalid_snapshot_requests(disk_ids=disks))
    def refused(invalid: fst.InvalidSnapshotRequest) -> None:
        fake.reset()
        try:
            fake.engine.create_snapshot(fake.vm("vm-up").id, invalid.request)
        except EngineError as error:
            assert (error.status, error.detail) == (invalid.status, invalid.detail)
        else:
            raise AssertionError(f"{invalid} was taken")
        assert len(fake.snapshots("vm-up")) == 1

    taken()
    refused()
