"""What a user writes: contract tests from our public strategies and state machine only.

The served fake (HTTPS, real SDK) is reset before every example by the machine itself. The
planted client bugs are in tests/mutants and tests/test_contract_mutants.py.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import ClassVar

import ovirtsdk4 as sdk
import ovirtsdk4.types as types
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from fakeovirt import FakeOvirt, TransitionPolicy
from fakeovirt.stateful import (
    DEFAULT_SETTINGS,
    BackupApiMachine,
    BackupInfo,
    CheckpointInfo,
    ContractCoverage,
    ContractViolation,
)
from fakeovirt.stateful_sdk import ImageioBackupMachine, SdkBackupMachine
from fakeovirt.strategies import backup_requests, guest_workloads
from tests.examples.test_contract_own_client import RawHttpMachine

# The default settings with a fixed seed, so that CI runs the same examples every time.
FIXED = settings(DEFAULT_SETTINGS, derandomize=True, database=None, print_blob=False)
# Situations every run reaches (docs/contract.md gives how often each comes up).
API_SITUATIONS = {
    "incremental backup from an older checkpoint",
    "checkpoint removed from the middle of a chain",
    "finalize before ready",
    "chains on several VMs",
}


def test_the_default_settings_reach_deep_chains_every_path_and_the_api_situations(
    fake: FakeOvirt,
) -> None:
    """What docs/contract.md promises of the default settings, with a client that passes
    (the SDK and this client also pass with random seeds in tests/examples)."""
    coverage = ContractCoverage()
    RawHttpMachine.run(fake, settings=FIXED, coverage=coverage)
    assert coverage.examples >= DEFAULT_SETTINGS.max_examples
    assert coverage.share_at_least(3) >= 0.5, coverage.report()
    assert set(coverage.paths) == {"snapshot", "live", "cold"}, coverage.report()
    assert set(coverage.situations) >= API_SITUATIONS, coverage.report()


class NewestFirst(RawHttpMachine):  # type: ignore[misc]
    """Chain order: lists checkpoints newest first (the bug tests/mutants/api.py plants in the
    SDK machine, which the mutation suite catches), in the raw HTTP client of tests/examples.
    The report is the machine's whatever the client; in-process calls keep the ~200 replays
    of the shrinking cheap."""

    def list_checkpoints(self, vm_id: str) -> list[CheckpointInfo]:
        return list(reversed(super().list_checkpoints(vm_id)))


def test_a_violation_reads_as_a_short_program_and_the_client_calls(fake: FakeOvirt) -> None:
    """The default settings on a fixed seed shrink a violation to the program that shows it
    (docs/contract.md, "Reading a failure"), and its message ends with the client calls."""
    with pytest.raises(ContractViolation) as caught:
        NewestFirst.run(fake, settings=FIXED)
    message = str(caught.value)
    assert message.startswith("the client lists [checkpoint-2, checkpoint-1]; the chain is ")
    assert "What happened in this example, oldest first:" in message
    assert "list_checkpoints(vm-up) -> [checkpoint-2, checkpoint-1]" in message
    program = "\n".join(getattr(caught.value, "__notes__", []))
    steps = [line for line in program.splitlines() if line.startswith("state.")]
    assert steps[0].startswith("state.start_with(")
    assert steps[-1] == "state.teardown()"
    assert len(steps) <= 4, program  # the history, one rule that lists the chain, the end
    assert re.search(r"state\.(read_chain|back_up_incremental)\(.*vm='vm-up'", program), program


def test_run_uses_the_settings_it_is_given(fake: FakeOvirt) -> None:
    coverage = ContractCoverage()
    RawHttpMachine.run(fake, settings=settings(FIXED, max_examples=3), coverage=coverage)
    assert 3 <= coverage.examples < DEFAULT_SETTINGS.max_examples  # and a discarded one or so


def test_the_machine_puts_the_fakes_policy_back(fake: FakeOvirt) -> None:
    fake.policy = "reads:3"
    RawHttpMachine.run(fake, settings=settings(FIXED, max_examples=3))
    assert fake.policy == TransitionPolicy.after_reads(3)


class KeepsThePolicy(RawHttpMachine):  # type: ignore[misc]
    """With `policies = None` the machine runs under the fake's own policy."""

    policies = None
    seen: ClassVar[set[TransitionPolicy]] = set()

    def get_backup(self, vm_id: str, backup_id: str) -> BackupInfo:
        type(self).seen.add(self.fake.policy)
        return super().get_backup(vm_id, backup_id)


def test_a_machine_without_policies_keeps_the_fakes_own(fake: FakeOvirt) -> None:
    fake.policy = "reads:2"
    KeepsThePolicy.run(fake, settings=settings(FIXED, max_examples=5))
    assert KeepsThePolicy.seen == {TransitionPolicy.after_reads(2)}


class CountsConnections(SdkBackupMachine):
    """The SDK machine, counting the SDK connections it opens and closes."""

    opened: ClassVar[list[object]] = []
    closed: ClassVar[list[object]] = []
    used: ClassVar[set[int]] = set()

    def _open_connection(self) -> object:
        connection = super()._open_connection()
        close = connection.close

        def counted_close(*args: object, **kwargs: object) -> None:
            type(self).closed.append(connection)
            close(*args, **kwargs)

        connection.close = counted_close
        type(self).opened.append(connection)
        return connection

    def connect(self) -> None:
        super().connect()
        type(self).used.add(id(self.connection))


def test_the_sdk_machine_logs_in_once_per_run_and_out_at_its_end(fake: FakeOvirt) -> None:
    """One SDK connection (one SSO login) serves every example of a run, as a tool keeps its
    connection across backups (the fake's reset keeps tokens); the run's end closes it."""
    coverage = ContractCoverage()
    CountsConnections.run(fake, settings=settings(FIXED, max_examples=3), coverage=coverage)
    assert coverage.examples >= 3
    assert len(CountsConnections.opened) == len(CountsConnections.used) == 1
    assert CountsConnections.closed == CountsConnections.opened


class CrashesOnFinalize(SdkBackupMachine):
    """A client that raises its own error, not an ApiFault."""

    def finalize_backup(self, vm_id: str, backup_id: str) -> None:
        raise RuntimeError("lost the connection")


def test_a_client_error_is_a_violation_naming_the_call(fake: FakeOvirt) -> None:
    with pytest.raises(ContractViolation, match=r"finalize_backup\(.*\) raised RuntimeError"):
        CrashesOnFinalize.run(fake, settings=settings(FIXED, phases=[Phase.generate]))


def test_the_data_contract_is_on_only_with_both_data_methods() -> None:
    class DownloadsOnly(SdkBackupMachine):
        def download_backup(
            self, vm_id: str, backup_id: str, disk_ids: Sequence[str]
        ) -> Mapping[str, str] | None:
            return None

    assert not SdkBackupMachine.has_data_path()
    assert not DownloadsOnly.has_data_path()
    assert ImageioBackupMachine.has_data_path()


def test_a_scenario_without_disks_is_refused_with_a_clear_error(fake: FakeOvirt) -> None:
    fake.reset("empty")
    with pytest.raises(ValueError, match="needs a scenario with a VM that has a disk"):
        SdkBackupMachine.run(fake, settings=settings(FIXED, max_examples=1))


def test_an_unimplemented_client_method_says_which(fake: FakeOvirt) -> None:
    with pytest.raises(NotImplementedError):
        BackupApiMachine.run(
            fake, settings=settings(FIXED, max_examples=5, report_multiple_bugs=False)
        )


def test_checkpoint_info_defaults_to_a_root() -> None:
    assert CheckpointInfo("c1").parent_id is None


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_incremental_backup_marks_exactly_what_the_guest_wrote(
    fake: FakeOvirt, connection: sdk.Connection, data: st.DataObject
) -> None:
    """A user-style property: after a full backup and a workload, an incremental backup of
    the written disks is incremental for every disk that was in the checkpoint. One SDK
    connection serves every example, as in a user's test: the reset keeps its login."""
    fake.reset()
    vm = fake.vm("vm-up")
    disk_ids = [a.disk_id for a in vm.attachments]
    sizes = {d: fake.engine.disk(d).provisioned_size for d in disk_ids}
    backups = connection.system_service().vms_service().vm_service(vm.id).backups_service()
    full_request = data.draw(backup_requests(disk_ids=disk_ids), label="full")
    full = backups.add(types.Backup(disks=[types.Disk(id=d) for d in full_request.disk_ids or ()]))
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


def test_strategies_reject_bad_arguments_at_draw_time() -> None:
    with pytest.raises(InvalidArgument):
        guest_workloads(disks={}).validate()
