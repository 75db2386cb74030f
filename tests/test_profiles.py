"""The `engine` profile, one test per way oVirt engine 4.5 departs from the documented API.

Each test drives the real ovirtsdk4 over HTTPS (or the SDK's own `backup_vm.py`) and asserts
the engine's status and text, read in oVirt/ovirt-engine (4.5.7 = master for these files):
`RESTAPI` = `backend/manager/modules/restapi/jaxrs/src/main/java/org/ovirt/engine/api/restapi`,
`BKP` = `backend/manager/modules/bll/src/main/java/org/ovirt/engine/core/bll/storage/backup`.
Where the documented contract answers otherwise, the test shows both (`@both_profiles`).
The table of all of it is docs/fidelity.md; the switches are `fakeovirt/core/profile.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import ovirtsdk4 as sdk
import ovirtsdk4.types as types
import pytest

from fakeovirt import FakeOvirt, Scenario, TransitionPolicy
from fakeovirt.core.backups import BackupRequest
from fakeovirt.core.engine import Engine
from fakeovirt.core.errors import BadRequest
from fakeovirt.core.phases import BackupPhase
from fakeovirt.core.profile import DOCUMENTED
from fakeovirt.core.profile import ENGINE as ENGINE_PROFILE
from tests.sdkexamples import examples_dir, run_example

from .profiles import active, both_profiles, path_args

P = types.BackupPhase
ENGINE = pytest.mark.fakeovirt(profile="engine")
PER_READ = TransitionPolicy.after_reads(1)


# -- helpers ---------------------------------------------------------------------------------
def backups_service(
    connection: sdk.Connection, fake: FakeOvirt, vm: str
) -> sdk.services.VmBackupsService:
    return connection.system_service().vms_service().vm_service(fake.vm(vm).id).backups_service()


def start(
    connection: sdk.Connection, fake: FakeOvirt, vm: str, *aliases: str, **kwargs: object
) -> types.Backup:
    """POST a backup of the named disks (default: all the VM's); keyword arguments go to
    `add()`."""
    ids = [fake.disk(a).id for a in aliases] or [a.disk_id for a in fake.vm(vm).attachments]
    backup = types.Backup(disks=[types.Disk(id=i) for i in ids])
    return backups_service(connection, fake, vm).add(backup, **kwargs)


def service_of(
    connection: sdk.Connection, fake: FakeOvirt, vm: str, backup: types.Backup
) -> sdk.services.VmBackupService:
    return backups_service(connection, fake, vm).backup_service(backup.id)


def checkpoint_ids(connection: sdk.Connection, fake: FakeOvirt, vm: str) -> list[str]:
    vms = connection.system_service().vms_service()
    return [c.id for c in vms.vm_service(fake.vm(vm).id).checkpoints_service().list()]


def disk_status(connection: sdk.Connection, fake: FakeOvirt, alias: str) -> types.DiskStatus:
    disks = connection.system_service().disks_service()
    return disks.disk_service(fake.disk(alias).id).get().status


def event_codes(connection: sdk.Connection, search: str) -> list[int]:
    return [e.code for e in connection.system_service().events_service().list(search=search)]


def fault(call: Callable[[], object]) -> sdk.Error:
    with pytest.raises(sdk.Error) as caught:
        call()
    return caught.value


# -- which path: `use_active` is not read, `legacy` and the cluster level are ---------------
@both_profiles
def test_use_active_selects_the_active_path_only_on_the_documented_contract(
    profile: str, fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """engine: `use_active` occurs nowhere in ovirt-engine; `RESTAPI/resource/
    BackendVmBackupsResource.java:69-76` reads `legacy` and the cluster, so a 4.7 cluster
    takes the hybrid (snapshot) backup."""
    backup = start(connection, fake, "vm-up", use_active=True)
    if profile == "documented":
        assert (backup.snapshot, backup.host.id) == (None, fake.vm("vm-up").host_id)
        assert disk_status(connection, fake, "vm-up-disk1") == types.DiskStatus.LOCKED
    else:
        assert (backup.snapshot is not None, backup.host) == (True, None)
        assert disk_status(connection, fake, "vm-up-disk1") == types.DiskStatus.OK


@both_profiles
def test_an_empty_legacy_flag_is_false(
    profile: str, fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """`legacy` present without a value is false (`BackendVmBackupsResource.java:84-86`:
    `getBooleanParameter(..., LEGACY, false, false)`)."""
    backup = start(connection, fake, "vm-up", query={"legacy": ""})
    assert backup.snapshot is not None


OLD_CLUSTER = {
    "name": "cluster-4.6",
    "clusters": [{"name": "Default", "version": "4.6"}],
    "vms": [
        {"name": "vm-up", "status": "up", "disks": [{"alias": "vm-up-disk1", "size": 1 << 22}]}
    ],
}


@both_profiles
@pytest.mark.fakeovirt(scenario=OLD_CLUSTER)
def test_a_cluster_below_4_7_backs_up_the_active_volume_on_the_engine(
    profile: str, fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """engine: `FeatureSupported.isHybridBackupSupported` is `UseHybridBackup`, false up to
    4.6 (`packaging/dbscripts/upgrade/pre_upgrade/0000_config.sql:994-995`), so the POST
    runs `StartVmBackup` (`BackendVmBackupsResource.java:69-73`). The documented contract
    has no such rule."""
    backup = start(connection, fake, "vm-up")
    assert (backup.snapshot is None) == (profile == "engine")


# -- require_consistency reaches only the legacy path ----------------------------------------
@ENGINE
def test_require_consistency_does_not_reach_the_snapshot_path(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """`BackendVmBackupsResource.java:75`: `new VmBackupParameters(entity)`, no consistency
    flag; the snapshot's failed freeze is the warning of `CreateSnapshotForVmCommand`
    (`LiveSnapshotAllowInconsistent` defaults to true)."""
    fake.policy = PER_READ
    backup = start(connection, fake, "vm-nofreeze", require_consistency=True)
    phases = [backup.phase, service_of(connection, fake, "vm-nofreeze", backup).get().phase]
    assert phases == [P.STARTING, P.READY]
    assert event_codes(connection, "type=10764") == [10764]


@ENGINE
def test_require_consistency_fails_a_legacy_backup_whose_guest_cannot_freeze(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """`BackendVmBackupsResource.java:71` passes the flag to `StartVmBackup`, whose host
    fails the start (`BKP/StartVmBackupCommand.java:330-341`) and ends the backup failed."""
    backup = start(connection, fake, "vm-nofreeze", require_consistency=True, **active())
    assert backup.phase == P.FAILED
    assert checkpoint_ids(connection, fake, "vm-nofreeze") == []


@both_profiles
def test_a_failed_freeze_without_require_consistency_warns_only_from_a_snapshot(
    profile: str, fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """engine: the warning (10764, FAILED_TO_FREEZE_VM) is the snapshot command's; on the
    legacy live path vdsm ignores a failed freeze silently unless consistency is required
    (vdsm `lib/vdsm/virt/backup.py` start_backup)."""
    backup = start(connection, fake, "vm-nofreeze", **active())
    assert backup.phase == P.READY
    warnings = event_codes(connection, "type=10764")
    assert warnings == {"documented": [10764], "engine": []}[profile]


@ENGINE
@pytest.mark.parametrize("flag", ["require_consistency", "use_active", "legacy"])
def test_a_flag_that_is_not_a_boolean_is_ignored(
    flag: str, fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """`RESTAPI/util/ParametersHelper.java:137-154`: logged and taken as absent."""
    backup = start(connection, fake, "vm-nofreeze", query={flag: "maybe"})
    assert (backup.phase, backup.snapshot is not None) == (P.READY, True)


@ENGINE
def test_a_bad_require_consistency_on_the_legacy_path_is_not_required(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    backup = start(
        connection, fake, "vm-nofreeze", query={"legacy": "1", "require_consistency": "x"}
    )
    assert (backup.phase, backup.snapshot) == (P.READY, None)


# -- the phase in the POST reply ---------------------------------------------------------------
@ENGINE
@pytest.mark.parametrize(
    "vm, legacy, first",
    [
        ("vm-up", False, P.STARTING),
        ("vm-down", False, P.STARTING),
        ("vm-up", True, P.INITIALIZING),
        ("vm-down", True, P.INITIALIZING),
    ],
    ids=["hybrid up", "hybrid down", "legacy live", "legacy cold"],
)
def test_the_post_reply_shows_the_phase_the_engine_reached(
    vm: str, legacy: bool, first: types.BackupPhase, fake: FakeOvirt,
    connection: sdk.Connection,
) -> None:  # fmt: skip
    """Hybrid: STARTING once the snapshot is requested (`BKP/HybridBackupCommand.java:105-134`);
    legacy: CREATING_SCRATCH_DISKS (live) or ADDING_BITMAPS (cold), both `initializing`
    (`BKP/StartVmBackupCommand.java:294-299`, `VmBackupMapper.java:80-105`); the reply is
    read back after the command (`BackendVmBackupsResource.java:70-76`)."""
    fake.policy = PER_READ
    assert start(connection, fake, vm, **path_args(legacy)).phase == first


# -- when the checkpoint is made ---------------------------------------------------------------
@ENGINE
def test_a_legacy_backup_makes_its_checkpoint_at_the_post_and_shows_it_once_ready(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """`BKP/StartVmBackupCommand.java:278-290`: the checkpoint row is made in the POST, its
    id kept in the command; `to_checkpoint_id` is written once the host made it (`:390,458`)."""
    fake.policy = PER_READ
    backup = start(connection, fake, "vm-up", **active())
    made = checkpoint_ids(connection, fake, "vm-up")
    service = service_of(connection, fake, "vm-up", backup)
    starting, ready = service.get(), service.get()
    assert len(made) == 1
    assert (backup.phase, backup.to_checkpoint_id) == (P.INITIALIZING, None)
    assert (starting.phase, starting.to_checkpoint_id) == (P.STARTING, None)
    assert (ready.phase, ready.to_checkpoint_id) == (P.READY, made[0])
    vms = connection.system_service().vms_service().vm_service(fake.vm("vm-up").id)
    checkpoint = vms.checkpoints_service().checkpoint_service(made[0]).get()
    assert checkpoint.creation_date == backup.creation_date


@ENGINE
def test_a_hybrid_backup_makes_its_checkpoint_when_ready(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """`BKP/HybridBackupCommand.java:159-162`: at STARTING -> READY."""
    fake.policy = PER_READ
    backup = start(connection, fake, "vm-up")
    before = checkpoint_ids(connection, fake, "vm-up")
    ready = service_of(connection, fake, "vm-up", backup).get()
    assert (before, ready.phase) == ([], P.READY)
    assert checkpoint_ids(connection, fake, "vm-up") == [ready.to_checkpoint_id]


@both_profiles
@pytest.mark.parametrize("legacy", [False, True], ids=["default path", "legacy path"])
def test_a_backup_of_raw_disks_only(
    profile: str, legacy: bool, fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """engine: the legacy command makes no checkpoint when every disk is raw
    (`BKP/StartVmBackupCommand.java:278-290`); the hybrid one always makes one, then without
    disks (`HybridBackupCommand.java:159`)."""
    backup = start(connection, fake, "vm-mixed", "vm-mixed-raw", **path_args(legacy))
    assert backup.phase == P.READY
    no_checkpoint = profile == "engine" and legacy
    assert (backup.to_checkpoint_id is None) == no_checkpoint
    assert len(checkpoint_ids(connection, fake, "vm-mixed")) == (0 if no_checkpoint else 1)


# -- a hybrid backup's disks are listed once it is ready -----------------------------------
@both_profiles
def test_a_snapshot_path_backup_lists_its_disks(
    profile: str, fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """engine: the hybrid backup's disk rows are added at STARTING -> READY
    (`BKP/HybridBackupCommand.java:148-157`), and the list is those rows
    (`BackendVmBackupDisksResource.list`, `GetVmBackupByIdQuery`)."""
    fake.policy = PER_READ
    backup = start(connection, fake, "vm-up")
    disks = service_of(connection, fake, "vm-up", backup).disks_service()
    before = [d.alias for d in disks.list()]
    service_of(connection, fake, "vm-up", backup).get()  # the next read moves it on
    ready = service_of(connection, fake, "vm-up", backup).get(follow="disks")
    both = ["vm-up-disk1", "vm-up-disk2"]
    assert before == {"documented": both, "engine": []}[profile]
    assert (ready.phase, sorted(d.alias for d in ready.disks)) == (P.READY, both)


# -- finalize ----------------------------------------------------------------------------------
def premature(backup_id: str, phase: str) -> str:
    """`BKP/StopVmBackupCommand.java:106-108`, through the engine's translator, which
    lower-cases a message it has no key for and reads `_` as a space
    (`backend/manager/modules/utils/.../ErrorTranslatorImpl.java:136-150`)."""
    return f"[backup '{backup_id}' is in '{phase}' phase, premature backup stop was initiated.]"


@ENGINE
@pytest.mark.parametrize(
    "vm, reads, phase",
    [
        ("vm-up", 0, "creating scratch disks"),
        ("vm-up", 1, "starting"),
        ("vm-down", 0, "adding bitmaps"),
    ],
    ids=["live initializing", "live starting", "cold initializing"],
)
def test_a_premature_finalize_of_a_legacy_backup_is_400_and_still_stops_it(
    vm: str, reads: int, phase: str, fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """`StopVmBackupCommand.java:99-112`: the stop is sent, the phase becomes
    FINALIZING_FAILURE, and the execution is reported failed: no error type, so 400
    (`ErrorMessageHelper`). The command is not transactional
    (`@NonTransactiveCommandAttribute`): the stop stands, and the backup ends failed."""
    fake.policy = PER_READ
    backup = start(connection, fake, vm, **active())
    service = service_of(connection, fake, vm, backup)
    for _ in range(reads):
        service.get()
    error = fault(service.finalize)
    assert (error.code, error.fault.detail) == (400, premature(backup.id, phase))
    assert [service.get().phase, service.get().phase] == [P.FINALIZING, P.FAILED]
    assert disk_status(connection, fake, f"{vm}-disk1") == types.DiskStatus.OK
    assert event_codes(connection, backup.id)[:2] == [10792, 10795]
    assert checkpoint_ids(connection, fake, vm) == []


@ENGINE
def test_a_finalize_after_a_premature_one_names_the_engines_phase(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """`StopVmBackupCommand.java:82-92`: FINALIZING_FAILURE, as its translator says it."""
    fake.policy = PER_READ
    backup = start(connection, fake, "vm-up", **active())
    service = service_of(connection, fake, "vm-up", backup)
    fault(service.finalize)
    error = fault(service.finalize)
    assert (error.code, error.fault.detail) == (
        400,
        f"[vm '{fake.vm('vm-up').id}' backup '{backup.id}' is already in 'finalizing failure'"
        " phase, no need to stop the backup again]",
    )


@both_profiles
def test_a_premature_finalize_of_a_snapshot_path_backup_is_200(
    profile: str, fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """`StopVmBackupCommand.java:95-97`: a hybrid backup is only marked stopped; it is
    finalized once ready (`HybridBackupCommand.java:166-171`) and succeeds."""
    fake.policy = PER_READ
    backup = start(connection, fake, "vm-up")
    service = service_of(connection, fake, "vm-up", backup)
    service.finalize()
    phases = [service.get().phase for _ in range(3)]
    assert phases[-1] == P.SUCCEEDED
    assert event_codes(connection, backup.id)[0] == 10793


# -- texts that name the engine's phases -------------------------------------------------------
@both_profiles
def test_a_transfer_of_a_backup_not_ready_names_its_phase(
    profile: str, fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """engine: `TransferDiskImageCommand.java:228-231` names the backup's VmBackupPhase,
    CREATING_SCRATCH_DISKS behind a live backup's `initializing`."""
    fake.policy = PER_READ
    backup = start(connection, fake, "vm-up", **active())
    transfers = connection.system_service().image_transfers_service()
    error = fault(
        lambda: transfers.add(
            types.ImageTransfer(
                disk=types.Disk(id=fake.disk("vm-up-disk1").id),
                backup=types.Backup(id=backup.id),
                direction=types.ImageTransferDirection.DOWNLOAD,
                format=types.DiskFormat.RAW,
            )
        )
    )
    phase = {"documented": "INITIALIZING", "engine": "CREATING_SCRATCH_DISKS"}[profile]
    assert (error.code, error.fault.detail) == (
        409,
        "[Cannot transfer Virtual Disk. The VM backup is not in READY phase, backup phase is "
        f"{phase}.]",
    )


# -- events --------------------------------------------------------------------------------------
@both_profiles
def test_events_searched_by_a_backup_id(
    profile: str, fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """engine: free text matches an event's message and names; the snapshot's events (45,
    68) do not name the backup (`AuditLogMessages.properties`), so they are not found."""
    backup = start(connection, fake, "vm-up")
    service_of(connection, fake, "vm-up", backup).finalize()
    assert (
        event_codes(connection, backup.id)
        == {
            "documented": [10793, 10796, 68, 10790, 45],
            "engine": [10793, 10796, 10790],
        }[profile]
    )


# -- the SDK's own example -------------------------------------------------------------------
@both_profiles
def test_the_sdks_backup_vm_example_backs_up_and_downloads(
    profile: str, fake: FakeOvirt, tmp_path: Path
) -> None:
    """`examples/backup_vm.py full` of ovirt-engine-sdk-python, unmodified: a full backup of
    a disk of vm-up, downloaded as qcow2 with `ovirt_imageio.client` (the example sleeps a
    second per poll of a transfer or a finalize; one disk keeps it short). The documented
    profile's run is a process of its own, as a user runs the script; the engine profile's
    runs in the test process (tests/inprocess.py), which spares an interpreter start and the
    SDK's and the client's imports."""
    examples = examples_dir()
    vm = fake.vm("vm-up")
    backups = tmp_path / "backups"
    backups.mkdir()
    disk = fake.disk("vm-up-disk1")
    done = run_example(examples, "backup_vm.py", fake, tmp_path, "full", "--backup-dir",
                       str(backups), "--disk-uuid", disk.id, vm.id,
                       in_process=profile == "engine")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert len(list(backups.glob(f"*.{disk.id}.full.qcow2"))) == 1
    posts = fake.journal.requests("POST /vms/*/backups")
    assert [e.status for e in posts] == [201]
    assert fake.errors == []


# -- choosing a profile in Python ------------------------------------------------------------
def test_an_engine_keeps_its_profile_across_resets() -> None:
    engine = Engine(profile="engine")
    engine.reset()
    assert engine.profile is ENGINE_PROFILE and engine.state.profile is ENGINE_PROFILE
    engine.profile = "documented"
    engine.reset()
    assert engine.state.profile is DOCUMENTED


def test_an_unknown_profile_is_refused_and_changes_nothing() -> None:
    fake = FakeOvirt(profile="engine")
    with pytest.raises(ValueError, match="unknown profile 'strict': use one of documented, engine"):
        fake.reset(scenario="empty", profile="strict")
    assert (fake.profile.name, fake.engine.scenario.name) == ("engine", "demo")
    with pytest.raises(ValueError):
        FakeOvirt(profile="strict")


def test_a_backup_keeps_the_profile_it_started_under() -> None:
    """Only what starts after a change follows the new profile."""
    fake = FakeOvirt(profile="engine", policy=PER_READ)
    vm = fake.vm("vm-up")
    request = BackupRequest(disk_ids=tuple(a.disk_id for a in vm.attachments), legacy=True)
    backup = fake.engine.start_backup(vm.id, request)
    fake.profile = "documented"
    with pytest.raises(BadRequest, match="premature backup stop was initiated"):
        fake.engine.finalize_backup(vm.id, backup.id)
    assert backup.phase is BackupPhase.FINALIZING_FAILURE


def test_a_cluster_level_outside_the_modelled_ones_is_refused() -> None:
    """4.5 to 4.8 share the backup rules fakeovirt models (bitmaps and incremental backup from
    4.5: `FeatureSupported.isBackupModeAndBitmapsOperationsSupported`)."""
    with pytest.raises(ValueError, match=r"version must be one of 4.5, 4.6, 4.7, 4.8, got '4.4'"):
        Scenario.from_dict({"clusters": [{"name": "old", "version": "4.4"}]})


@pytest.mark.fakeovirt(scenario=OLD_CLUSTER)
def test_a_clusters_level_is_its_version(fake: FakeOvirt, connection: sdk.Connection) -> None:
    (cluster,) = connection.system_service().clusters_service().list()
    assert (cluster.version.major, cluster.version.minor) == (4, 6)
