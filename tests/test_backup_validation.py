"""`POST /vms/{vm}/backups` refusals: behaviour.md section 3, row by row, in each profile's order.

Each case sets up one faulty request. Every case is checked twice under both profiles: it is
refused with the engine's status and exact text, and the refusal changes nothing (no backup,
checkpoint, event, lock, snapshot or job). Where the `engine` profile answers otherwise the
case says so (`Refusal` per profile): its order is StartVmBackupCommand.validate()'s
(oVirt/ovirt-engine `backend/manager/modules/bll/.../storage/backup/StartVmBackupCommand.java:
130-230`), after the command's in-memory locks (`:740-748`, `HybridBackupCommand.java:209-218`,
taken first by `CommandBase.java:819-825`), and a query flag that is not a boolean is ignored
(`restapi/util/ParametersHelper.java:137-154`).
"""

from __future__ import annotations

import base64
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import astuple, dataclass
from typing import Any

import ovirtsdk4 as sdk
import ovirtsdk4.types as types
import pytest

from fakeovirt import FakeOvirt

from .profiles import active, both_profiles

Send = Callable[[], tuple[int, str]]


@dataclass(frozen=True)
class Refusal:
    """What the engine answers: the status and the fault detail without its brackets."""

    status: int
    detail: str


ACCEPTED = Refusal(201, "")  # not refused at all
Expected = Refusal | dict[str, Refusal]  # the same on both profiles, or per profile name
Case = Callable[[FakeOvirt, sdk.Connection], tuple[Send, Expected]]
CASES: dict[str, Case] = {}


def case(function: Case) -> Case:
    CASES[function.__name__.removeprefix("case_")] = function
    return function


# -- how a request is sent -------------------------------------------------------------------
def unbracketed(detail: str) -> str:
    assert detail.startswith("[") and detail.endswith("]"), detail
    return detail[1:-1]


def via_sdk(call: Callable[[], object]) -> Send:
    def send() -> tuple[int, str]:
        try:
            call()
        except sdk.Error as error:
            return error.code, unbracketed(error.fault.detail)
        return ACCEPTED.status, ACCEPTED.detail

    return send


def add(connection: sdk.Connection, vm_id: str, backup: types.Backup, **kwargs: Any) -> Send:
    service = connection.system_service().vms_service().vm_service(vm_id).backups_service()
    return via_sdk(lambda: service.add(backup, **kwargs))


def via_http(fake: FakeOvirt, vm_id: str, body: bytes) -> Send:
    """A body the SDK would never send, POSTed with HTTP Basic credentials."""

    def send() -> tuple[int, str]:
        credentials = base64.b64encode(f"{fake.username}:{fake.password}".encode()).decode()
        response = fake.client().post(
            f"/ovirt-engine/api/vms/{vm_id}/backups",
            data=body,
            headers={"Authorization": f"Basic {credentials}", "Content-Type": "application/xml"},
        )
        assert response.content_type == "application/xml"
        detail = ET.fromstring(response.data).findtext("detail") or ""
        return response.status_code, unbracketed(detail)

    return send


def disks(fake: FakeOvirt, *aliases: str) -> list[types.Disk]:
    return [types.Disk(id=fake.disk(alias).id) for alias in aliases]


def vm_up(fake: FakeOvirt) -> str:
    return fake.vm("vm-up").id


def checkpoint_of_a_finished_backup(fake: FakeOvirt, connection: sdk.Connection) -> str:
    service = connection.system_service().vms_service().vm_service(vm_up(fake)).backups_service()
    backup = service.add(types.Backup(disks=disks(fake, "vm-up-disk1")))
    service.backup_service(backup.id).finalize()
    assert backup.to_checkpoint_id is not None
    return str(backup.to_checkpoint_id)


def a_running_backup(fake: FakeOvirt, connection: sdk.Connection) -> str:
    service = connection.system_service().vms_service().vm_service(vm_up(fake)).backups_service()
    return str(service.add(types.Backup(disks=disks(fake, "vm-up-disk1"))).id)


LONG = "x" * 1025
NO_DISKS = "Cannot backup VM. The backup must name at least one disk in <disks>."
DURING_BACKUP = "Cannot backup VM. The VM is during a backup operation."
VM_STATUS = "Cannot backup VM. The Virtual Machine should be in Up or Down status."
TOO_LONG = (
    "Cannot backup VM. The VM backup description shouldn't contain more than 1024 characters."
)


def not_exist(*ids: str) -> str:
    return f"Cannot backup VM. The following disk(s) ID(s) does not exist: {', '.join(ids)}."


def not_active(vm: str, *ids: str) -> str:
    return f"Cannot backup VM. The following disks are not active on VM {vm}: {', '.join(ids)}"


def locked(*aliases: str) -> str:
    return (
        f"Cannot backup VM: The following disks are locked: {', '.join(aliases)}. "
        "Please try again in a few minutes."
    )


def bad_flag(name: str, value: str) -> str:
    return f"Invalid value '{value}' for parameter '{name}': expected true or false"


DISK_IS_LOCKED = "Cannot backup VM: Disk is locked. Please try again later."  # a lock's message


def being_transferred(alias: str) -> str:
    return f"Cannot backup VM. Disk {alias} is being transferred."


def per_profile(documented: Refusal, engine: Refusal) -> dict[str, Refusal]:
    return {"documented": documented, "engine": engine}


# -- one case per row of behaviour.md section 3 ----------------------------------------------
@case
def case_unknown_vm(fake: FakeOvirt, connection: sdk.Connection) -> tuple[Send, Expected]:
    send = add(connection, "no-such-vm", types.Backup(disks=disks(fake, "vm-up-disk1")))
    return send, Refusal(404, "Entity not found: VM no-such-vm")


@case
def case_body_not_a_backup(fake: FakeOvirt, connection: sdk.Connection) -> tuple[Send, Expected]:
    send = via_http(fake, vm_up(fake), b"<vm><name>x</name></vm>")
    return send, Refusal(400, "Invalid request body: expected a <backup> document, got <vm>")


@case
def case_no_disks_element(fake: FakeOvirt, connection: sdk.Connection) -> tuple[Send, Expected]:
    return add(connection, vm_up(fake), types.Backup(description="x")), Refusal(400, NO_DISKS)


@case
def case_empty_disks(fake: FakeOvirt, connection: sdk.Connection) -> tuple[Send, Expected]:
    return add(connection, vm_up(fake), types.Backup(disks=[])), Refusal(400, NO_DISKS)


@case
def case_unknown_disks(fake: FakeOvirt, connection: sdk.Connection) -> tuple[Send, Expected]:
    backup = types.Backup(
        disks=[types.Disk(id="ghost-1"), *disks(fake, "vm-up-disk1"), types.Disk(id="ghost-2")]
    )
    return add(connection, vm_up(fake), backup), Refusal(400, not_exist("ghost-1", "ghost-2"))


@case
def case_disk_of_another_vm(fake: FakeOvirt, connection: sdk.Connection) -> tuple[Send, Expected]:
    other = fake.disk("vm-down-disk1").id
    backup = types.Backup(disks=disks(fake, "vm-up-disk1", "vm-down-disk1"))
    return add(connection, vm_up(fake), backup), Refusal(409, not_active("vm-up", other))


@case
def case_unplugged_disk(fake: FakeOvirt, connection: sdk.Connection) -> tuple[Send, Expected]:
    with fake.lock:
        attachment = fake.vm("vm-up").attachments[1]
        attachment.active = False
    backup = types.Backup(disks=disks(fake, "vm-up-disk1", "vm-up-disk2"))
    refusal = Refusal(409, not_active("vm-up", attachment.disk_id))
    return add(connection, vm_up(fake), backup), refusal


@case
def case_locked_disk(fake: FakeOvirt, connection: sdk.Connection) -> tuple[Send, Expected]:
    with fake.lock:
        fake.disk("vm-up-disk2").status = "locked"
    backup = types.Backup(disks=disks(fake, "vm-up-disk1", "vm-up-disk2"))
    return add(connection, vm_up(fake), backup), Refusal(409, locked("vm-up-disk2"))


@case
def case_unknown_checkpoint(fake: FakeOvirt, connection: sdk.Connection) -> tuple[Send, Expected]:
    backup = types.Backup(disks=disks(fake, "vm-up-disk1"), from_checkpoint_id="no-such-cp")
    refusal = Refusal(400, "Cannot backup VM. Checkpoint ID no-such-cp doesn't exist.")
    return add(connection, vm_up(fake), backup), refusal


@case
def case_invalid_checkpoint(fake: FakeOvirt, connection: sdk.Connection) -> tuple[Send, Expected]:
    checkpoint = checkpoint_of_a_finished_backup(fake, connection)
    with fake.lock:
        fake.engine.invalidate_checkpoints(vm_up(fake))
    backup = types.Backup(disks=disks(fake, "vm-up-disk1"), from_checkpoint_id=checkpoint)
    refusal = Refusal(
        400, f"Cannot backup VM. Checkpoint ID {checkpoint} is invalid and should be removed."
    )
    return add(connection, vm_up(fake), backup), refusal


@case
def case_vm_paused(fake: FakeOvirt, connection: sdk.Connection) -> tuple[Send, Expected]:
    backup = types.Backup(disks=disks(fake, "vm-paused-disk1"))
    return add(connection, fake.vm("vm-paused").id, backup), Refusal(409, VM_STATUS)


@case
def case_unfinished_backup(fake: FakeOvirt, connection: sdk.Connection) -> tuple[Send, Expected]:
    a_running_backup(fake, connection)
    backup = types.Backup(disks=disks(fake, "vm-up-disk2"))
    refusal = per_profile(Refusal(409, DURING_BACKUP), Refusal(409, DISK_IS_LOCKED))
    return add(connection, vm_up(fake), backup), refusal


@case
def case_description_too_long(fake: FakeOvirt, connection: sdk.Connection) -> tuple[Send, Expected]:
    backup = types.Backup(disks=disks(fake, "vm-up-disk1"), description=LONG)
    return add(connection, vm_up(fake), backup), Refusal(400, TOO_LONG)


@case
def case_client_id_exists(fake: FakeOvirt, connection: sdk.Connection) -> tuple[Send, Expected]:
    taken = a_running_backup(fake, connection)
    backup = types.Backup(id=taken, disks=disks(fake, "vm-down-disk1"))
    refusal = Refusal(400, f"Cannot backup VM. The specified VM backup ID {taken} already exists.")
    return add(connection, fake.vm("vm-down").id, backup), refusal


def flag_case(name: str) -> Case:
    def flag(fake: FakeOvirt, connection: sdk.Connection) -> tuple[Send, Expected]:
        backup = types.Backup(disks=disks(fake, "vm-up-disk1"))
        send = add(connection, vm_up(fake), backup, query={name: "maybe"})
        return send, per_profile(Refusal(400, bad_flag(name, "maybe")), ACCEPTED)

    return flag


for _flag in ("require_consistency", "use_active", "legacy"):
    CASES[f"bad_{_flag}_flag"] = flag_case(_flag)


# -- two faults at once: the earlier row answers ---------------------------------------------
@case
def case_disks_locked_by_an_active_path_backup(
    fake: FakeOvirt, connection: sdk.Connection
) -> tuple[Send, Expected]:
    service = connection.system_service().vms_service().vm_service(vm_up(fake)).backups_service()
    service.add(types.Backup(disks=disks(fake, "vm-up-disk1", "vm-up-disk2")), **active())
    backup = types.Backup(disks=disks(fake, "vm-up-disk1", "vm-up-disk2"))
    refusal = per_profile(
        Refusal(409, locked("vm-up-disk1", "vm-up-disk2")), Refusal(409, DISK_IS_LOCKED)
    )
    return add(connection, vm_up(fake), backup), refusal


@case
def case_the_same_disk_while_an_active_path_backup_runs(
    fake: FakeOvirt, connection: sdk.Connection
) -> tuple[Send, Expected]:
    """engine: the running legacy backup holds the VM lock, whose message answers."""
    service = connection.system_service().vms_service().vm_service(vm_up(fake)).backups_service()
    service.add(types.Backup(disks=disks(fake, "vm-up-disk1")), **active())
    backup = types.Backup(disks=disks(fake, "vm-up-disk1"))
    refusal = per_profile(Refusal(409, locked("vm-up-disk1")), Refusal(409, DURING_BACKUP))
    return add(connection, vm_up(fake), backup, **active()), refusal


@case
def case_a_disk_being_downloaded(
    fake: FakeOvirt, connection: sdk.Connection
) -> tuple[Send, Expected]:
    """engine: a plain transfer holds locks on its disk and on the disk's VMs until it
    finishes (TransferDiskImageCommand.java:451-492, :1445-1448)."""
    transfers = connection.system_service().image_transfers_service()
    transfers.add(
        types.ImageTransfer(
            disk=types.Disk(id=fake.disk("vm-down-disk1").id),
            direction=types.ImageTransferDirection.DOWNLOAD,
        )
    )
    backup = types.Backup(disks=disks(fake, "vm-down-disk1"))
    refusal = per_profile(
        Refusal(409, locked("vm-down-disk1")), Refusal(409, being_transferred("vm-down-disk1"))
    )
    return add(connection, fake.vm("vm-down").id, backup), refusal


@case
def case_a_lock_before_an_unknown_disk(
    fake: FakeOvirt, connection: sdk.Connection
) -> tuple[Send, Expected]:
    a_running_backup(fake, connection)
    backup = types.Backup(disks=[types.Disk(id="ghost")])
    refusal = per_profile(Refusal(400, not_exist("ghost")), Refusal(409, DISK_IS_LOCKED))
    return add(connection, vm_up(fake), backup), refusal


@case
def case_unknown_disk_before_vm_status(
    fake: FakeOvirt, connection: sdk.Connection
) -> tuple[Send, Expected]:
    backup = types.Backup(disks=[types.Disk(id="ghost")])
    return add(connection, fake.vm("vm-paused").id, backup), Refusal(400, not_exist("ghost"))


@case
def case_inactive_disk_before_locked_disk(
    fake: FakeOvirt, connection: sdk.Connection
) -> tuple[Send, Expected]:
    with fake.lock:
        fake.disk("vm-up-disk1").status = "locked"
    other = fake.disk("vm-down-disk1").id
    backup = types.Backup(disks=disks(fake, "vm-up-disk1", "vm-down-disk1"))
    refusal = per_profile(
        Refusal(409, not_active("vm-up", other)), Refusal(409, locked("vm-up-disk1"))
    )
    return add(connection, vm_up(fake), backup), refusal


@case
def case_locked_disk_before_unknown_checkpoint(
    fake: FakeOvirt, connection: sdk.Connection
) -> tuple[Send, Expected]:
    with fake.lock:
        fake.disk("vm-up-disk1").status = "locked"
    backup = types.Backup(disks=disks(fake, "vm-up-disk1"), from_checkpoint_id="no-such-cp")
    return add(connection, vm_up(fake), backup), Refusal(409, locked("vm-up-disk1"))


@case
def case_unknown_checkpoint_before_vm_status(
    fake: FakeOvirt, connection: sdk.Connection
) -> tuple[Send, Expected]:
    backup = types.Backup(disks=disks(fake, "vm-paused-disk1"), from_checkpoint_id="nope")
    refusal = Refusal(400, "Cannot backup VM. Checkpoint ID nope doesn't exist.")
    return add(connection, fake.vm("vm-paused").id, backup), refusal


@case
def case_vm_status_before_unfinished_backup(
    fake: FakeOvirt, connection: sdk.Connection
) -> tuple[Send, Expected]:
    a_running_backup(fake, connection)
    with fake.lock:
        fake.engine.set_vm_status(vm_up(fake), "paused")
    backup = types.Backup(disks=disks(fake, "vm-up-disk2"))
    refusal = per_profile(Refusal(409, VM_STATUS), Refusal(409, DISK_IS_LOCKED))
    return add(connection, vm_up(fake), backup), refusal


@case
def case_unfinished_backup_before_long_description(
    fake: FakeOvirt, connection: sdk.Connection
) -> tuple[Send, Expected]:
    a_running_backup(fake, connection)
    backup = types.Backup(disks=disks(fake, "vm-up-disk2"), description=LONG)
    refusal = per_profile(Refusal(409, DURING_BACKUP), Refusal(409, DISK_IS_LOCKED))
    return add(connection, vm_up(fake), backup), refusal


@case
def case_long_description_before_existing_id(
    fake: FakeOvirt, connection: sdk.Connection
) -> tuple[Send, Expected]:
    taken = a_running_backup(fake, connection)
    backup = types.Backup(id=taken, disks=disks(fake, "vm-down-disk1"), description=LONG)
    return add(connection, fake.vm("vm-down").id, backup), Refusal(400, TOO_LONG)


@case
def case_existing_id_before_bad_flag(
    fake: FakeOvirt, connection: sdk.Connection
) -> tuple[Send, Expected]:
    taken = a_running_backup(fake, connection)
    backup = types.Backup(id=taken, disks=disks(fake, "vm-down-disk1"))
    send = add(connection, fake.vm("vm-down").id, backup, query={"use_active": "maybe"})
    refusal = Refusal(400, f"Cannot backup VM. The specified VM backup ID {taken} already exists.")
    return send, refusal


# -- the checks --------------------------------------------------------------------------------
def fingerprint(fake: FakeOvirt) -> dict[str, object]:
    """Everything a backup request could touch."""
    with fake.lock:
        state = fake.engine.state
        return {
            "backups": {
                b.id: (b.phase, b.modified, b.to_checkpoint_id, b.snapshot_id, b.progress.reads)
                for b in state.backups.values()
            },
            "checkpoints": {
                c.id: (c.parent_id, c.state, tuple(c.disk_ids)) for c in state.checkpoints.values()
            },
            "events": len(state.events),
            "disks": {d.id: d.status for d in state.disks.values()},
            "snapshots": {s.id: (s.vm_id, s.status) for s in state.snapshots.values()},
            "jobs": {j.id: j.status for j in state.jobs.values()},
            "vms": {v.id: v.status for v in state.vms.values()},
        }


def expected_under(profile: str, expected: Expected) -> Refusal:
    return expected[profile] if isinstance(expected, dict) else expected


@both_profiles
@pytest.mark.parametrize("name", CASES)
def test_refused_with_the_engine_status_and_text(
    name: str, profile: str, fake: FakeOvirt, connection: sdk.Connection
) -> None:
    send, expected = CASES[name](fake, connection)
    assert send() == astuple(expected_under(profile, expected))


@both_profiles
@pytest.mark.parametrize("name", CASES)
def test_a_refused_request_changes_nothing(
    name: str, profile: str, fake: FakeOvirt, connection: sdk.Connection
) -> None:
    send, expected = CASES[name](fake, connection)
    if expected_under(profile, expected) == ACCEPTED:
        pytest.skip("accepted under this profile")
    before = fingerprint(fake)
    send()
    assert fingerprint(fake) == before


# -- the boundaries that are accepted --------------------------------------------------------
def test_a_description_of_exactly_1024_characters_is_accepted(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    service = connection.system_service().vms_service().vm_service(vm_up(fake)).backups_service()
    backup = service.add(types.Backup(disks=disks(fake, "vm-up-disk1"), description="y" * 1024))
    assert backup.description == "y" * 1024


def test_a_client_chosen_id_is_kept(fake: FakeOvirt, connection: sdk.Connection) -> None:
    chosen = "9b1f5e4e-1111-4c3a-9d2b-6a8e0f1c2d3e"
    service = connection.system_service().vms_service().vm_service(vm_up(fake)).backups_service()
    backup = service.add(types.Backup(id=chosen, disks=disks(fake, "vm-up-disk1")))
    assert backup.id == chosen
    assert service.backup_service(chosen).get().id == chosen


def test_a_repeated_disk_is_backed_up_once(fake: FakeOvirt, connection: sdk.Connection) -> None:
    service = connection.system_service().vms_service().vm_service(vm_up(fake)).backups_service()
    backup = service.add(types.Backup(disks=disks(fake, "vm-up-disk1", "vm-up-disk1")))
    listed = service.backup_service(backup.id).disks_service().list()
    assert [d.alias for d in listed] == ["vm-up-disk1"]


@pytest.mark.parametrize("value", ["true", "TRUE", "yes", "y", "t", "1", ""])
def test_require_consistency_accepts_the_engines_true_spellings(
    value: str, fake: FakeOvirt, connection: sdk.Connection
) -> None:
    vm = fake.vm("vm-nofreeze").id
    service = connection.system_service().vms_service().vm_service(vm).backups_service()
    backup = service.add(
        types.Backup(disks=disks(fake, "vm-nofreeze-disk1")),
        query={"require_consistency": value},
    )
    assert backup.phase == types.BackupPhase.FAILED


@pytest.mark.parametrize("value", ["false", "no", "n", "f", "0"])
def test_require_consistency_accepts_the_engines_false_spellings(
    value: str, fake: FakeOvirt, connection: sdk.Connection
) -> None:
    vm = fake.vm("vm-nofreeze").id
    service = connection.system_service().vms_service().vm_service(vm).backups_service()
    backup = service.add(
        types.Backup(disks=disks(fake, "vm-nofreeze-disk1")),
        query={"require_consistency": value},
    )
    assert backup.phase == types.BackupPhase.READY
