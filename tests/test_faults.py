"""Each named fault, provoked through the plugin (marker or `inject`), as the real SDK sees it."""

from __future__ import annotations

import base64
import random
import re
import ssl
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET

import ovirtsdk4 as sdk
import ovirtsdk4.types as types
import pytest
from werkzeug.test import Client, EnvironBuilder
from werkzeug.wrappers import Request, Response

from fakeovirt import FakeOvirt, faults
from fakeovirt.faults import Fault
from fakeovirt.injection import FaultSet

Backup = types.BackupPhase
Transfer = types.ImageTransferPhase


# -- a backup client's moves, as users write them ------------------------------------------
def vm_id(fake: FakeOvirt, name: str = "vm-up") -> str:
    return fake.vm(name).id


def backups(connection: sdk.Connection, vm: str) -> sdk.services.VmBackupsService:
    return connection.system_service().vms_service().vm_service(vm).backups_service()


def backup_of_all_disks(
    connection: sdk.Connection, vm: str, checkpoint: str | None = None
) -> types.Backup:
    vm_service = connection.system_service().vms_service().vm_service(vm)
    disks = [types.Disk(id=a.disk.id) for a in vm_service.disk_attachments_service().list()]
    return types.Backup(disks=disks, from_checkpoint_id=checkpoint)


def add_backup(
    connection: sdk.Connection, vm: str, checkpoint: str | None = None, **query: bool
) -> types.Backup:
    return backups(connection, vm).add(backup_of_all_disks(connection, vm, checkpoint), **query)


def poll(connection: sdk.Connection, vm: str, backup_id: str, *, polls: int = 10) -> types.Backup:
    """Read the backup until it is ready or finished (the policy moves it, not the wall clock)."""
    service = backups(connection, vm).backup_service(backup_id)
    backup = service.get()
    for _ in range(polls):
        if backup.phase in (Backup.READY, Backup.SUCCEEDED, Backup.FAILED):
            break
        backup = service.get()
    return backup


def finalize(connection: sdk.Connection, vm: str, backup_id: str) -> types.Backup:
    backups(connection, vm).backup_service(backup_id).finalize()
    return poll(connection, vm, backup_id)


def full_backup_checkpoint(connection: sdk.Connection, vm: str) -> str:
    backup = poll(connection, vm, add_backup(connection, vm).id)
    assert backup.phase == Backup.READY
    finalize(connection, vm, backup.id)
    return str(backup.to_checkpoint_id)


def start_download(connection: sdk.Connection, fake: FakeOvirt) -> types.ImageTransfer:
    vm = vm_id(fake)
    backup = poll(connection, vm, add_backup(connection, vm).id)
    transfer = (
        connection.system_service()
        .image_transfers_service()
        .add(
            types.ImageTransfer(
                disk=types.Disk(id=fake.disk("vm-up-disk1").id),
                backup=types.Backup(id=backup.id),
                direction=types.ImageTransferDirection.DOWNLOAD,
                format=types.DiskFormat.RAW,
            )
        )
    )
    assert transfer.phase == Transfer.TRANSFERRING
    return transfer


def transfer_service(
    connection: sdk.Connection, transfer_id: str
) -> sdk.services.ImageTransferService:
    return connection.system_service().image_transfers_service().image_transfer_service(transfer_id)


# -- guest freeze ----------------------------------------------------------------------
@pytest.mark.fakeovirt(faults=[faults.freeze_fails(vm="vm-up", times=1)])
def test_freeze_failure_fails_a_backup_that_requires_consistency(
    fakeovirt: FakeOvirt, fakeovirt_connection: sdk.Connection
) -> None:
    vm = vm_id(fakeovirt)
    failed = poll(
        fakeovirt_connection, vm, add_backup(fakeovirt_connection, vm, require_consistency=True).id
    )
    assert failed.phase == Backup.FAILED
    assert fakeovirt.events(code=10792), "the engine logs the failed backup"
    again = poll(
        fakeovirt_connection, vm, add_backup(fakeovirt_connection, vm, require_consistency=True).id
    )
    assert again.phase == Backup.READY, "times=1: the next backup freezes fine"


@pytest.mark.fakeovirt(faults=[faults.freeze_fails(vm="vm-up")])
def test_freeze_failure_only_warns_without_require_consistency(
    fakeovirt: FakeOvirt, fakeovirt_connection: sdk.Connection
) -> None:
    vm = vm_id(fakeovirt)
    backup = poll(fakeovirt_connection, vm, add_backup(fakeovirt_connection, vm).id)
    assert backup.phase == Backup.READY
    assert [e.severity for e in fakeovirt.events(code=10764)] == ["warning"]


@pytest.mark.fakeovirt(policy="reads:1", faults=[faults.freeze_fails(vm="vm-up", times=1)])
def test_freeze_failure_reaches_a_live_backup_that_freezes_on_a_later_read(
    fakeovirt: FakeOvirt, fakeovirt_connection: sdk.Connection
) -> None:
    vm = vm_id(fakeovirt)
    added = add_backup(fakeovirt_connection, vm, use_active=True, require_consistency=True)
    assert added.phase == Backup.INITIALIZING
    assert poll(fakeovirt_connection, vm, added.id).phase == Backup.FAILED
    assert fakeovirt.vm("vm-up").guest.freeze_fails is False, "the flag is put back afterwards"


# -- a backup failing at a phase ------------------------------------------------------------
@pytest.mark.fakeovirt(faults=[faults.backup_fails_at("starting", vm="vm-up")])
def test_backup_fails_at_starting(
    fakeovirt: FakeOvirt, fakeovirt_connection: sdk.Connection
) -> None:
    vm = vm_id(fakeovirt)
    backup = add_backup(fakeovirt_connection, vm)
    assert poll(fakeovirt_connection, vm, backup.id).phase == Backup.FAILED
    assert [phase for phase, _ in fakeovirt.history(backup.id)] == [
        "initializing",
        "starting",
        "failed",
    ]


@pytest.mark.fakeovirt(faults=[faults.backup_fails_at("finalizing", times=1)])
def test_backup_fails_at_finalizing_after_being_ready(
    fakeovirt: FakeOvirt, fakeovirt_connection: sdk.Connection
) -> None:
    vm = vm_id(fakeovirt)
    backup = poll(fakeovirt_connection, vm, add_backup(fakeovirt_connection, vm).id)
    assert backup.phase == Backup.READY
    assert finalize(fakeovirt_connection, vm, backup.id).phase == Backup.FAILED
    assert fakeovirt.vm("vm-up").id not in {
        c.vm_id for c in fakeovirt.engine.state.checkpoints.values()
    }


@pytest.mark.fakeovirt(policy="seconds:1")
def test_backup_fails_at_spares_other_backups_that_move_meanwhile(
    fakeovirt: FakeOvirt, fakeovirt_connection: sdk.Connection
) -> None:
    other, vm = vm_id(fakeovirt, "vm-down"), vm_id(fakeovirt)
    other_backup = add_backup(fakeovirt_connection, other)
    request = backup_of_all_disks(fakeovirt_connection, vm)
    fakeovirt.clock.advance(2)  # the other backup is due to leave starting; nothing ticked yet
    with fakeovirt.inject(faults.backup_fails_at("starting", vm="vm-up")):
        failing = backups(fakeovirt_connection, vm).add(request)
    fakeovirt.advance(2)
    other_service = backups(fakeovirt_connection, other).backup_service(other_backup.id)
    assert other_service.get().phase == Backup.READY
    assert backups(fakeovirt_connection, vm).backup_service(failing.id).get().phase == Backup.FAILED


# -- image transfers paused or cancelled by the engine -------------------------------------
@pytest.mark.fakeovirt(faults=[faults.transfer_paused(times=1)])
def test_transfer_paused_by_the_system_can_be_resumed(
    fakeovirt: FakeOvirt, fakeovirt_connection: sdk.Connection
) -> None:
    transfer = start_download(fakeovirt_connection, fakeovirt)
    service = transfer_service(fakeovirt_connection, transfer.id)
    assert service.get().phase == Transfer.PAUSED_SYSTEM
    service.resume()
    assert service.get().phase == Transfer.TRANSFERRING


@pytest.mark.fakeovirt(faults=[faults.transfer_cancelled()])
def test_transfer_cancelled_by_the_system_ends_in_failure(
    fakeovirt: FakeOvirt, fakeovirt_connection: sdk.Connection
) -> None:
    transfer = start_download(fakeovirt_connection, fakeovirt)
    assert (
        transfer_service(fakeovirt_connection, transfer.id).get().phase == Transfer.FINISHED_FAILURE
    )
    assert fakeovirt.events(code=1034), "the engine logs the failed transfer"


@pytest.mark.fakeovirt(faults=[faults.transfer_cancelled(path="/images/*")])
def test_transfer_cancelled_while_the_client_reads_data_denies_the_ticket(
    fakeovirt: FakeOvirt, fakeovirt_connection: sdk.Connection
) -> None:
    transfer = start_download(fakeovirt_connection, fakeovirt)
    context = ssl.create_default_context(cafile=fakeovirt.ca_file)
    request = urllib.request.Request(transfer.transfer_url, method="OPTIONS")
    with pytest.raises(urllib.error.HTTPError) as denied:
        urllib.request.urlopen(request, context=context)
    assert denied.value.code == 403
    assert (
        transfer_service(fakeovirt_connection, transfer.id).get().phase == Transfer.FINISHED_FAILURE
    )


# -- checkpoints ---------------------------------------------------------------------------
@pytest.mark.fakeovirt(faults=[faults.checkpoint_invalid(vm="vm-up")])
def test_invalid_checkpoint_refuses_the_incremental_backup(
    fakeovirt: FakeOvirt, fakeovirt_connection: sdk.Connection
) -> None:
    vm = vm_id(fakeovirt)
    checkpoint = full_backup_checkpoint(fakeovirt_connection, vm)
    with pytest.raises(sdk.Error) as refused:
        add_backup(fakeovirt_connection, vm, checkpoint)
    assert refused.value.code == 400
    assert "is invalid and should be removed" in str(refused.value)
    checkpoints = (
        fakeovirt_connection.system_service().vms_service().vm_service(vm).checkpoints_service()
    )
    assert [c.state for c in checkpoints.list()] == [types.CheckpointState.INVALID]


# -- a 404 on the first read after create -----------------------------------------------------
@pytest.mark.fakeovirt(faults=[faults.not_found_after_create()])
def test_first_read_after_create_is_404_then_the_backup_is_there(
    fakeovirt: FakeOvirt, fakeovirt_connection: sdk.Connection
) -> None:
    vm = vm_id(fakeovirt)
    backup = add_backup(fakeovirt_connection, vm)
    service = backups(fakeovirt_connection, vm).backup_service(backup.id)
    with pytest.raises(sdk.NotFoundError):
        service.get()
    assert service.get().id == backup.id


@pytest.mark.fakeovirt(faults=[faults.not_found_after_create(path="/imagetransfers")])
def test_first_read_of_a_new_transfer_is_404(
    fakeovirt: FakeOvirt, fakeovirt_connection: sdk.Connection
) -> None:
    transfer = start_download(fakeovirt_connection, fakeovirt)
    service = transfer_service(fakeovirt_connection, transfer.id)
    with pytest.raises(sdk.NotFoundError):
        service.get()
    assert service.get().phase == Transfer.TRANSFERRING


# -- HTTP errors, latency, dropped connections -------------------------------------------------
@pytest.mark.fakeovirt(
    faults=[faults.http_error(503, method="POST", path="/vms/*/backups/*/finalize", times=1)]
)
def test_5xx_fault_reaches_the_sdk_with_the_engine_fault_body(
    fakeovirt: FakeOvirt, fakeovirt_connection: sdk.Connection
) -> None:
    vm = vm_id(fakeovirt)
    backup = poll(fakeovirt_connection, vm, add_backup(fakeovirt_connection, vm).id)
    service = backups(fakeovirt_connection, vm).backup_service(backup.id)
    with pytest.raises(sdk.Error) as failed:
        service.finalize()
    assert failed.value.code == 503
    assert failed.value.fault is not None and "503" in failed.value.fault.detail
    assert finalize(fakeovirt_connection, vm, backup.id).phase == Backup.SUCCEEDED


@pytest.mark.fakeovirt(
    faults=[faults.http_error(502, handled=True, method="POST", path="/vms/*/backups", times=1)]
)
def test_handled_5xx_fault_hides_a_backup_the_engine_did_start(
    fakeovirt: FakeOvirt, fakeovirt_connection: sdk.Connection
) -> None:
    vm = vm_id(fakeovirt)
    with pytest.raises(sdk.Error) as failed:
        add_backup(fakeovirt_connection, vm)
    assert failed.value.code == 502
    assert [b.phase for b in backups(fakeovirt_connection, vm).list()] == [Backup.READY]


@pytest.mark.fakeovirt(faults=[faults.latency(0.05, path="/vms")])
def test_latency_delays_the_answer(fakeovirt_connection: sdk.Connection) -> None:
    vms = fakeovirt_connection.system_service().vms_service()
    started = time.monotonic()
    assert vms.list()
    assert time.monotonic() - started >= 0.05


@pytest.mark.fakeovirt(faults=[faults.drop_connection(path="/vms", times=1)])
def test_dropped_connection_raises_a_curl_error_in_the_sdk(
    fakeovirt: FakeOvirt, fakeovirt_connection: sdk.Connection
) -> None:
    vms = fakeovirt_connection.system_service().vms_service()
    with pytest.raises(sdk.Error, match="Failed to read response"):
        vms.list()
    assert vms.list(), "the SDK reconnects and the next call is answered"
    dropped = fakeovirt.journal.assert_request_made("GET /vms", status=0)
    assert dropped[0].faults == ("drop_connection",)


@pytest.mark.fakeovirt(
    faults=[faults.drop_connection(handled=True, method="POST", path="/vms/*/backups/*/finalize")]
)
def test_handled_drop_loses_the_answer_of_a_finalize_that_happened(
    fakeovirt: FakeOvirt, fakeovirt_connection: sdk.Connection
) -> None:
    vm = vm_id(fakeovirt)
    backup = poll(fakeovirt_connection, vm, add_backup(fakeovirt_connection, vm).id)
    with pytest.raises(sdk.Error):
        backups(fakeovirt_connection, vm).backup_service(backup.id).finalize()
    assert poll(fakeovirt_connection, vm, backup.id).phase == Backup.SUCCEEDED


# -- how rules match, count and scope -----------------------------------------------------
AUTH = {"Authorization": "Basic " + base64.b64encode(b"admin@internal:fakeovirt").decode()}
API = "/ovirt-engine/api"


def statuses(client: Client, path: str, n: int) -> list[int]:
    return [client.get(API + path, headers=AUTH).status_code for _ in range(n)]


def test_after_lets_matches_through_and_times_limits_firings(fake: FakeOvirt) -> None:
    fake.inject(faults.http_error(500, path="/vms", after=1, times=2))
    assert statuses(fake.client(), "/vms", 5) == [200, 500, 500, 200, 200]


def test_probability_draws_from_the_seeded_generator(fake: FakeOvirt) -> None:
    draws = random.Random(7)
    expected = [500 if draws.random() < 0.5 else 200 for _ in range(20)]
    assert {200, 500} <= set(expected)
    fake.inject(faults.http_error(500, path="/vms", probability=0.5, seed=7))
    assert statuses(fake.client(), "/vms", 20) == expected
    fake.reset()
    fake.inject(faults.http_error(500, path="/vms", probability=0.5, seed=7))
    assert statuses(fake.client(), "/vms", 20) == expected, "the same seed, the same answers"


def test_the_first_rule_that_fires_decides_the_answer(fake: FakeOvirt) -> None:
    fake.inject(
        faults.http_error(503, path="/vms", times=1),
        faults.http_error(502, path="/vms", times=1),
    )
    assert statuses(fake.client(), "/vms", 3) == [503, 502, 200]


def test_latencies_add_up_without_shadowing_the_rule_that_answers(fake: FakeOvirt) -> None:
    slept: list[float] = []
    rules = FaultSet(fake.engine, sleep=slept.append)
    rules.add(faults.latency(0.01), faults.latency(0.02, path="/vms"), faults.http_error(503))
    environ = EnvironBuilder(path=API + "/vms", headers=AUTH).get_environ()
    response = rules(Request(environ), lambda: Response("never", 200))
    assert (response.status_code, slept) == (503, [pytest.approx(0.03)])
    assert environ["fakeovirt.faults"] == ["latency", "latency", "http_error"]


def test_vm_narrows_a_rule_to_one_vm_by_name(fake: FakeOvirt) -> None:
    fake.inject(faults.http_error(500, vm="vm-up"))
    client = fake.client()
    assert statuses(client, f"/vms/{fake.vm('vm-up').id}", 1) == [500]
    assert statuses(client, f"/vms/{fake.vm('vm-down').id}", 1) == [200]
    assert statuses(client, "/vms", 1) == [200]


def test_inject_as_a_context_manager_scopes_the_rules(fake: FakeOvirt) -> None:
    client = fake.client()
    with fake.inject(faults.http_error(503, path="/vms")) as injection:
        assert statuses(client, "/vms", 1) == [503]
    assert statuses(client, "/vms", 1) == [200]
    assert injection.fired == 1


def test_reset_removes_every_rule(fake: FakeOvirt) -> None:
    fake.inject(faults.http_error(503))
    fake.reset()
    assert fake.faults.rules == []
    assert statuses(fake.client(), "/vms", 1) == [200]


def test_a_rule_whose_effect_could_not_happen_does_not_count(fake: FakeOvirt) -> None:
    injection = fake.inject(faults.freeze_fails(vm="vm-up", times=1))
    client = fake.client()
    url = f"{API}/vms/{fake.vm('vm-up').id}/backups?require_consistency=true"
    refused = client.post(url, data="<backup><disks/></backup>", headers=AUTH)
    assert refused.status_code == 400
    assert injection.fired == 0
    disk = fake.disk("vm-up-disk1").id
    body = f'<backup><disks><disk id="{disk}"/></disks></backup>'
    added = client.post(url, data=body, headers=AUTH)
    assert b"<phase>failed</phase>" in added.data
    assert injection.fired == 1


def test_imageio_paths_get_imageio_shaped_errors(fake: FakeOvirt) -> None:
    fake.inject(faults.http_error(503, path="/images/*"))
    response = fake.client().get("/images/some-ticket")
    assert response.status_code == 503
    assert response.content_type.startswith("text/plain")


def test_the_control_plane_is_never_faulted(fake: FakeOvirt) -> None:
    fake.inject(faults.http_error(503, path="/fakeovirt/*"), faults.http_error(503))
    assert fake.client().get("/fakeovirt/clock", headers=AUTH).status_code == 200


def test_a_fault_answers_as_the_engine_does(fake: FakeOvirt) -> None:
    fake.inject(faults.http_error(409, "Cannot backup VM. Locked.", path="/vms"))
    response = fake.client().get(API + "/vms", headers=AUTH)
    assert response.content_type == "application/xml"
    assert b"<detail>[Cannot backup VM. Locked.]</detail>" in response.data


def test_a_fault_round_trips_through_its_dict_form() -> None:
    fault = faults.http_error(503, "busy", method="POST", path="/vms/*/backups", times=2, seed=3)
    assert fault.to_dict() == {
        "fault": "http_error",
        "method": "POST",
        "path": "/vms/*/backups",
        "times": 2,
        "seed": 3,
        "status": 503,
        "detail": "busy",
    }
    assert Fault.from_dict(fault.to_dict()) == fault


@pytest.mark.parametrize(
    ("spec", "complaint"),
    [
        ({"fault": "meteor"}, "unknown fault 'meteor'"),
        ({"status": 500}, 'needs "fault"'),
        ({"fault": "http_error", "colour": 1}, "unknown fault keys: colour"),
        ({"fault": "http_error", "status": "500"}, "'status' must be int"),
        ({"fault": "http_error", "status": 200}, "status must be 400..599"),
        ({"fault": "latency"}, "latency needs seconds"),
        ({"fault": "latency", "seconds": 1, "status": 500}, "latency takes no status"),
        ({"fault": "backup_fails_at", "phase": "ready"}, "can fail at initializing"),
        ({"fault": "drop_connection", "probability": 2}, "between 0 and 1"),
        ({"fault": "drop_connection", "times": True}, "'times' must be int"),
    ],
)
def test_a_bad_fault_is_refused_with_a_clear_message(
    spec: dict[str, object], complaint: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(complaint)):
        Fault.from_dict(spec)


def test_a_freeze_fault_waits_for_a_vm_that_is_up(fake: FakeOvirt) -> None:
    injection = fake.inject(faults.freeze_fails(times=1))
    client = fake.client()
    for name in ("vm-down", "vm-up"):
        disk = fake.vm(name).attachments[0].disk_id
        body = f'<backup><disks><disk id="{disk}"/></disks></backup>'
        url = f"{API}/vms/{fake.vm(name).id}/backups?require_consistency=true"
        phase = ET.fromstring(client.post(url, data=body, headers=AUTH).data).findtext("phase")
        assert (name, phase) == (name, "ready" if name == "vm-down" else "failed")
    assert injection.fired == 1
