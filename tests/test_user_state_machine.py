"""What a user writes: contract tests from our public strategies and state machine only.

The served fake (HTTPS, real SDK) is reset before every example by the machine itself.
"""

from __future__ import annotations

from collections.abc import Sequence

import ovirtsdk4 as sdk
import ovirtsdk4.types as types
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from fakeovirt import FakeOvirt, TransitionPolicy
from fakeovirt.stateful import (
    ApiFault,
    BackupApiMachine,
    BackupInfo,
    CheckpointInfo,
)
from fakeovirt.stateful_sdk import SdkBackupMachine
from fakeovirt.strategies import backup_requests, guest_workloads

CONTRACT = settings(
    max_examples=200,
    stateful_step_count=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


class CountingSdkMachine(SdkBackupMachine):
    """The SDK machine, counting the examples it ran (one machine per example)."""

    examples = 0

    def connect(self) -> None:
        type(self).examples += 1
        super().connect()


@pytest.mark.parametrize(
    "policy",
    [TransitionPolicy.after_reads(1), TransitionPolicy.immediate()],
    ids=["after_reads(1)", "immediate"],
)
def test_the_real_sdk_keeps_the_backup_contract_for_200_examples(
    fake: FakeOvirt, policy: TransitionPolicy
) -> None:
    fake.engine.policy = policy
    CountingSdkMachine.examples = 0
    CountingSdkMachine.run(fake, settings=CONTRACT)
    assert CountingSdkMachine.examples >= 200


class ReadyTooSoon(SdkBackupMachine):
    """A broken client that reports every unfinished backup as ready."""

    def get_backup(self, vm_id: str, backup_id: str) -> BackupInfo:
        info = super().get_backup(vm_id, backup_id)
        if info.phase in ("initializing", "starting"):
            return BackupInfo(info.id, "ready", info.from_checkpoint_id, "cp")
        return info


class SwallowsFaults(SdkBackupMachine):
    """A broken client that hides the engine's refusal to start a second backup."""

    def start_backup(
        self,
        vm_id: str,
        disk_ids: Sequence[str],
        *,
        from_checkpoint_id: str | None,
        use_active: bool,
        require_consistency: bool,
    ) -> BackupInfo:
        try:
            return super().start_backup(
                vm_id,
                disk_ids,
                from_checkpoint_id=from_checkpoint_id,
                use_active=use_active,
                require_consistency=require_consistency,
            )
        except ApiFault as fault:
            if fault.status != 409:
                raise
            return BackupInfo("made-up", "initializing", from_checkpoint_id)


@pytest.mark.parametrize("machine", [ReadyTooSoon, SwallowsFaults])
def test_the_contract_catches_a_client_that_misreports_the_engine(
    fake: FakeOvirt, machine: type[SdkBackupMachine]
) -> None:
    fake.engine.policy = TransitionPolicy.after_reads(1)
    quick = settings(CONTRACT, max_examples=300, print_blob=False, report_multiple_bugs=False)
    with pytest.raises(AssertionError):
        machine.run(fake, settings=quick)


def test_an_unimplemented_client_method_says_which(fake: FakeOvirt) -> None:
    with pytest.raises(NotImplementedError):
        BackupApiMachine.run(fake, settings=settings(max_examples=5, deadline=None))


def test_checkpoint_info_defaults_to_a_root() -> None:
    assert CheckpointInfo("c1").parent_id is None


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_incremental_backup_marks_exactly_what_the_guest_wrote(
    fake: FakeOvirt, data: st.DataObject
) -> None:
    """A user-style property: after a full backup and a workload, an incremental backup of
    the written disks is incremental for every disk that was in the checkpoint."""
    fake.reset()
    vm = fake.vm("vm-up")
    disk_ids = [a.disk_id for a in vm.attachments]
    sizes = {d: fake.engine.disk(d).provisioned_size for d in disk_ids}
    connection = sdk.Connection(**fake.connection_kwargs())
    try:
        backups = connection.system_service().vms_service().vm_service(vm.id).backups_service()
        full_request = data.draw(backup_requests(disk_ids=disk_ids), label="full")
        full = backups.add(
            types.Backup(disks=[types.Disk(id=d) for d in full_request.disk_ids or ()])
        )
        backups.backup_service(full.id).finalize()
        for write in data.draw(guest_workloads(disks=sizes), label="workload"):
            write.apply(fake)
        inc_request = data.draw(
            backup_requests(disk_ids=disk_ids, checkpoint_ids=[full.to_checkpoint_id]),
            label="incremental",
        )
        inc = backups.add(
            types.Backup(
                disks=[types.Disk(id=d) for d in inc_request.disk_ids or ()],
                from_checkpoint_id=inc_request.from_checkpoint_id,
            )
        )
        modes = {d.id: d.backup_mode for d in backups.backup_service(inc.id).disks_service().list()}
        for disk_id, mode in modes.items():
            in_checkpoint = disk_id in (full_request.disk_ids or ())
            incremental = in_checkpoint and inc_request.from_checkpoint_id is not None
            assert (mode == types.DiskBackupMode.INCREMENTAL) == incremental, (disk_id, mode)
    finally:
        connection.close()


def test_strategies_reject_bad_arguments_at_draw_time() -> None:
    with pytest.raises(InvalidArgument):
        guest_workloads(disks={}).validate()
