"""The contract machine's state, its extension points, and the checks every rule shares.

Rules of this file:
- every client call goes through `_client_call`, which logs it for the failure report;
- every check goes through `_expect`, which raises `ContractViolation` with that log;
- an answer is checked twice: against the model (what the contract allows) and, with a manual
  clock, against the engine itself (what the client should have read or sent);
- the model learns only from answers the checks accepted.
Rules live in rule groups (`rules_backups`, `rules_checkpoints`, `rules_data`), each a
subclass of `ContractMachine`; `BackupApiMachine` combines them.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from hypothesis import HealthCheck, Phase, event, target
from hypothesis import settings as Settings
from hypothesis.control import currently_in_test_context
from hypothesis.stateful import Bundle, RuleBasedStateMachine, run_state_machine_as_test

from fakeovirt.core.clock import ManualClock
from fakeovirt.core.content import ContentView, DiskContent
from fakeovirt.core.model import Backup
from fakeovirt.core.phases import BackupPath, BackupPhase, TransferPhase

from .api import ApiFault, BackupInfo, CheckpointInfo
from .coverage import ContractCoverage, ExampleStats
from .model import (
    WITH_CHECKPOINT,
    BackupModel,
    DiskModel,
    RestorePoint,
    VmModel,
    phase_names,
)
from .steplog import ContractViolation, Labels, StepLog

if TYPE_CHECKING:
    import os

    from fakeovirt.fake import FakeOvirt

__all__ = ["DEFAULT_SETTINGS", "ContractMachine"]

T = TypeVar("T")

# Hypothesis's explain phase replays a failure a hundred times over to name the lines only
# failures run; through a real client that costs minutes and says little, so it is left out.
DEFAULT_SETTINGS = Settings(
    max_examples=30,
    stateful_step_count=20,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
WAIT_POLLS = 8
MAX_CLOCK_ADVANCE = 600.0  # finished backups are forgotten after 15 minutes of engine time
UNKNOWN_CHECKPOINT = "00000000-0000-0000-0000-000000000000"
UNKNOWN_BACKUP = "00000000-0000-0000-0000-0000000000aa"


class _RunScope(ExitStack):
    """What the examples of one `run` share (a ready client's login), closed when it ends."""

    def __init__(self) -> None:
        super().__init__()
        self.shared: dict[str, Any] = {}


_RUN: ContextVar[_RunScope | None] = ContextVar("fakeovirt_contract_run", default=None)


class ContractMachine(RuleBasedStateMachine):
    """State, extension points and shared checks of the backup contract (see `stateful`)."""

    backups = Bundle("backups")

    #: Transition policies the machine draws from, one per example (the fake's own if None).
    policies: ClassVar[tuple[str, ...] | None] = ("immediate", "reads:1")

    def __init__(self, fake: FakeOvirt) -> None:
        super().__init__()
        self.fake = fake
        self.coverage: ContractCoverage | None = None
        self.labels = Labels()
        self.labels.known(UNKNOWN_CHECKPOINT, "unknown-checkpoint")
        self.labels.known(UNKNOWN_BACKUP, "unknown-backup")
        self.steps = StepLog()
        self.example_stats = ExampleStats()
        self.vm_models: dict[str, VmModel] = {}
        self.disk_models: dict[str, DiskModel] = {}
        self.backup_models: dict[str, BackupModel] = {}
        self.clock_moved = 0.0
        self.shadow: dict[str, DiskContent] = {}  # the machine's copy of every disk
        self.expected_content: dict[tuple[str, str], ContentView] = {}  # (backup, disk) -> content
        self.uploaded: set[tuple[str, str]] = set()  # (backup or snapshot, disk) restored by upload
        self._storage: Path | None = None
        fake.reset()
        self._read_inventory()
        self.connect()

    # -- running -------------------------------------------------------------------------
    @classmethod
    def run(
        cls,
        fake: FakeOvirt,
        *,
        settings: Settings | None = None,
        coverage: ContractCoverage | None = None,
    ) -> None:
        """Run the machine as a test against `fake` (from inside a test function).

        `settings` default to `DEFAULT_SETTINGS` (any settings run without hypothesis's explain
        phase, and with the slow-data health checks off); `coverage` collects what the run
        reached. The fake's policy is put back afterwards.
        """

        def build() -> ContractMachine:
            machine = cls(fake)
            machine.coverage = coverage
            return machine

        given = settings or DEFAULT_SETTINGS
        chosen = Settings(
            given,
            phases=[phase for phase in given.phases if phase is not Phase.explain],
            suppress_health_check=[
                *given.suppress_health_check,
                HealthCheck.too_slow,
                HealthCheck.filter_too_much,
            ],
        )
        policy = fake.policy
        # hypothesis types the factory as `type[RuleBasedStateMachine]` in newer releases and
        # leaves it untyped in older ones; any callable returning a machine works in both.
        factory: Any = build
        scope = _RunScope()
        token = _RUN.set(scope)
        try:
            with scope:
                run_state_machine_as_test(factory, settings=chosen)  # type: ignore[no-untyped-call,unused-ignore]
        finally:
            _RUN.reset(token)
            fake.policy = policy

    @classmethod
    def has_data_path(cls) -> bool:
        """Whether the subclass implements the data extension points."""
        return (
            cls.download_backup is not ContractMachine.download_backup
            and cls.restore_disk is not ContractMachine.restore_disk
        )

    @classmethod
    def _keeps_shadow(cls) -> bool:
        """Whether the machine keeps its own copy of every disk (a rule group that checks
        bytes says so)."""
        return cls.has_data_path()

    @staticmethod
    def _run_shared(key: str, open_: Callable[[], T], close: Callable[[T], object]) -> T | None:
        """`open_()` once per `run`, shared by its examples and closed by `close` when the run
        ends; None outside `run` (a machine hypothesis builds itself opens its own)."""
        scope = _RUN.get()
        if scope is None:
            return None
        if key not in scope.shared:
            scope.shared[key] = opened = open_()
            scope.callback(close, opened)
        shared: T = scope.shared[key]
        return shared

    @property
    def storage(self) -> Path:
        """A fresh, empty directory for your client's files, removed after the example."""
        if self._storage is None:
            self._storage = Path(tempfile.mkdtemp(prefix="fakeovirt-contract-"))
        return self._storage

    # -- extension points: the API -------------------------------------------------------
    def connect(self) -> None:
        """Open your client (called once per example, after the reset)."""

    def disconnect(self) -> None:
        """Close your client (called once per example)."""

    def start_backup(
        self,
        vm_id: str,
        disk_ids: Sequence[str],
        *,
        from_checkpoint_id: str | None,
        use_active: bool,
        require_consistency: bool,
    ) -> BackupInfo:
        """`POST /vms/{vm_id}/backups`; return the backup the add answered."""
        raise NotImplementedError

    def get_backup(self, vm_id: str, backup_id: str) -> BackupInfo:
        """`GET /vms/{vm_id}/backups/{backup_id}`."""
        raise NotImplementedError

    def finalize_backup(self, vm_id: str, backup_id: str) -> None:
        """`POST /vms/{vm_id}/backups/{backup_id}/finalize`."""
        raise NotImplementedError

    def list_checkpoints(self, vm_id: str) -> list[CheckpointInfo]:
        """`GET /vms/{vm_id}/checkpoints`, oldest first."""
        raise NotImplementedError

    def remove_checkpoint(self, vm_id: str, checkpoint_id: str) -> None:
        """`DELETE /vms/{vm_id}/checkpoints/{checkpoint_id}`."""
        raise NotImplementedError

    # -- extension points: the data path (optional, both or neither) ----------------------
    def download_backup(
        self, vm_id: str, backup_id: str, disk_ids: Sequence[str]
    ) -> Mapping[str, str] | None:
        """Download a ready backup's disks into your own files under `self.storage`: full, or
        incremental onto what you hold for its `from_checkpoint_id`, as your tool does.
        Finalize the image transfers you open. Return each disk's backup mode (`full` or
        `incremental`) to have it checked, or None."""
        raise NotImplementedError

    def restore_disk(self, vm_id: str, backup_id: str, disk_id: str) -> str | os.PathLike[str]:
        """Produce the guest-visible image of a disk as of a backup you downloaded; return
        its path (a raw file, or a qcow2 file with its backing chain)."""
        raise NotImplementedError

    # -- the machine's own hooks, for rule groups --------------------------------------------
    def _started(self, backup: BackupModel) -> None:
        """A backup was accepted (the data group records the content it must hold)."""

    def _between_backups(self, vm: VmModel, number: int) -> None:
        """Between two seeded rounds (the data group writes to the guest here)."""

    def _after_ready(self, backup: BackupModel, *, write_during: bool) -> None:
        """In a backup round, once the backup is ready (the data group downloads here)."""

    def _after_success(self, backup: BackupModel) -> None:
        """In a backup round, once the backup succeeded (the data group restores here)."""

    def _restore_into_new_disk(self, point: RestorePoint, which: str) -> None:
        """Restore a downloaded point into a new disk, if the client can (uploads group)."""

    def _restore_points(self) -> list[RestorePoint]:
        """What the client downloaded and can restore: (kind, id, VM, disks), oldest first
        within a kind (the data and snapshot groups add theirs)."""
        return []

    def teardown(self) -> None:
        try:
            self.disconnect()
        finally:
            if self._storage is not None:
                shutil.rmtree(self._storage, ignore_errors=True)
            self._report_coverage()

    # -- checks and calls --------------------------------------------------------------------
    def _expect(self, condition: object, message: str | Callable[[], str]) -> None:
        __tracebackhide__ = True
        if not condition:
            text = message() if callable(message) else message
            raise ContractViolation(text, self.steps.lines)

    def _client_call(
        self,
        text: str,
        call: Callable[[], T],
        show: Callable[[T], str] | None = None,
        *,
        faults: bool = False,
    ) -> T:
        """Make one client call, logging it with its answer. An `ApiFault` is passed on when
        the caller judges faults (`faults`), else it is a violation; so is any other error."""
        self.example_stats.calls += 1
        try:
            result = call()
        except ApiFault as fault:
            self.steps.add(f"{text} -> fault {fault.status} {fault.detail}".rstrip())
            if faults:
                raise
            raise ContractViolation(
                f"{text} failed with {fault.status} {fault.detail}; the engine answers it",
                self.steps.lines,
            ) from fault
        except NotImplementedError:
            raise
        except Exception as error:
            self.steps.add(f"{text} -> raised {type(error).__name__}: {error}")
            raise ContractViolation(
                f"{text} raised {type(error).__name__}: {error}", self.steps.lines
            ) from error
        self.steps.add(f"{text} -> {show(result) if show else 'ok'}")
        return result

    def _fault_of(self, text: str, call: Callable[[], object]) -> int:
        """The status a call answered: 200, or the fault's status."""
        try:
            self._client_call(text, call, faults=True)
        except ApiFault as fault:
            return fault.status
        return 200

    @property
    def exact(self) -> bool:
        """With a manual clock nothing moves between an answer and our look at the engine."""
        return isinstance(self.fake.clock, ManualClock)

    def _server_backup(self, backup_id: str) -> Backup | None:
        with self.fake.lock:
            return self.fake.engine.state.backups.get(backup_id)

    def _server_chain(self, vm_id: str) -> list[tuple[str, str | None]]:
        with self.fake.lock:
            return [(c.id, c.parent_id) for c in self.fake.engine.state.chain(vm_id)]

    def _transfers_of(self, backup_id: str) -> list[tuple[str, TransferPhase]]:
        with self.fake.lock:
            transfers = self.fake.engine.state.transfers.values()
            return [(t.id, t.phase) for t in transfers if t.backup_id == backup_id]

    # -- the model's bookkeeping ---------------------------------------------------------------
    def _read_inventory(self) -> None:
        with self.fake.lock:
            state = self.fake.engine.state
            for vm in self.fake.engine:
                self.vm_models[vm.id] = VmModel(
                    id=vm.id,
                    name=vm.name,
                    status=vm.status.value,
                    freeze_fails=vm.guest.freeze_fails,
                    disks={a.disk_id: a.active for a in vm.attachments},
                )
                self.labels.known(vm.id, vm.name)
                for attachment in vm.attachments:
                    disk = state.disks[attachment.disk_id]
                    self.disk_models[disk.id] = DiskModel(
                        id=disk.id,
                        alias=disk.alias,
                        vm_id=vm.id,
                        size=disk.content.size,
                        qcow2=disk.qcow2,
                        incremental=disk.backup == "incremental",
                    )
                    self.labels.known(disk.id, disk.alias)
                    if self._keeps_shadow():
                        self.shadow[disk.id] = DiskContent.from_view(disk.content.freeze())
        if not self.disk_models:
            raise ValueError(
                "the contract machine needs a scenario with a VM that has a disk; "
                f"{self.fake.engine.scenario.name!r} has none"
            )
        self.vm_names = [vm.name for vm in self.vm_models.values()]
        self.vm_by_name = {vm.name: vm for vm in self.vm_models.values()}
        self.disk_aliases = [d.alias for d in self.disk_models.values()]
        self.disk_by_alias = {d.alias: d for d in self.disk_models.values()}

    def deepest_vm(self, *, prefer: str = "") -> str:
        """The name of the VM with the longest chain (the first VM while none has one); with
        `prefer` "idle" or "busy", preferably one with a chain whose last backup has surely
        finished, or may still run."""
        vms = list(self.vm_models.values())
        if prefer:
            busy = prefer == "busy"
            vms = [vm for vm in vms if vm.chain and vm.is_busy() == busy] or vms
        return max(vms, key=lambda vm: len(vm.chain)).name

    def _observe_backup(self, model: BackupModel, info: BackupInfo) -> None:
        """Check one reading of a backup and narrow the model with it."""
        name = self.labels(model.id, "backup")
        self._expect(
            info.id == model.id, lambda: f"get_backup of {name} answered another backup {info.id}"
        )
        self._expect(
            info.from_checkpoint_id == model.from_checkpoint,
            lambda: (
                f"{name} was started from {self.labels(model.from_checkpoint)}, "
                f"but the client reads from_checkpoint_id={self.labels(info.from_checkpoint_id)}"
            ),
        )
        if self.exact:
            self._check_against_engine(model, info)
        reachable = model.closure()
        matching = {s for s in reachable if s[0].rest == info.phase}
        self._expect(
            matching,
            lambda: (
                f"{name} ({model.path.value} path) shows phase {info.phase!r}; from "
                f"{phase_names(model.possible)} it may only show "
                f"{phase_names(reachable, rest=True)}"
            ),
        )
        has_checkpoint = bool(info.to_checkpoint_id)
        narrowed = {s for s in matching if (s[0] in WITH_CHECKPOINT) == has_checkpoint}
        self._expect(
            narrowed,
            lambda: (
                f"{name} is {info.phase} "
                + ("with" if has_checkpoint else "without")
                + f" a to_checkpoint_id; as one of {phase_names(matching)} it must not be"
            ),
        )
        model.possible = narrowed
        vm = self.vm_models[model.vm_id]
        if info.to_checkpoint_id:
            self._learn_checkpoint(vm, model, info.to_checkpoint_id)
        if any(phase is BackupPhase.READY for phase, _ in narrowed):
            self.example_stats.paths.add(model.path.value)
        if model is vm.current:
            self._settle_finished(vm, model)

    def _check_against_engine(self, model: BackupModel, info: BackupInfo) -> None:
        server = self._server_backup(model.id)
        if server is None:
            return
        name = self.labels(model.id, "backup")
        self._expect(
            info.phase == server.phase.rest,
            lambda: (
                f"the client reads {name} as {info.phase!r}, "
                f"but the engine had just answered {server.phase.rest!r}"
            ),
        )
        self._expect(
            info.to_checkpoint_id == server.to_checkpoint_id,
            lambda: (
                f"the client reads {name} with to_checkpoint_id="
                f"{self.labels(info.to_checkpoint_id)}, but the engine answered "
                f"{self.labels(server.to_checkpoint_id, 'checkpoint')}"
            ),
        )

    def _learn_checkpoint(self, vm: VmModel, model: BackupModel, checkpoint: str) -> None:
        name = self.labels(model.id, "backup")
        self._expect(
            model.to_checkpoint in (None, checkpoint),
            lambda: (
                f"{name} changed its to_checkpoint_id from "
                f"{self.labels(model.to_checkpoint)} to {self.labels(checkpoint)}"
            ),
        )
        self._expect(
            model.to_checkpoint is not None or checkpoint not in vm.chain,
            lambda: (
                f"{name} claims checkpoint {self.labels(checkpoint)}, which an earlier backup made"
            ),
        )
        self.labels(checkpoint, "checkpoint")
        model.to_checkpoint = checkpoint
        vm.checkpoint_disks.setdefault(
            checkpoint, tuple(d for d in model.disks if self.disk_models[d].qcow2)
        )

    def _settle_vm(self, vm: VmModel) -> None:
        """Look at the VM's last backup if we cannot tell whether it has finished."""
        current = vm.current
        if current is None or current.settled:
            return
        if current.may_be_finished() and current.may_be_unfinished():
            self._read_backup(current)
        self._settle_finished(vm, current)

    def _settle_finished(
        self, vm: VmModel, backup: BackupModel, *, known_finished: bool = False
    ) -> None:
        """Once a backup has finished, a success adds its checkpoint to the chain."""
        if backup.settled:
            return
        if known_finished:
            backup.possible = {s for s in backup.closure() if s[0].finished}
            self._expect(
                backup.possible,
                lambda: (
                    f"{self.labels(backup.id)} cannot have finished yet, "
                    "but the engine acted as if it had"
                ),
            )
        phases = {phase for phase, _ in backup.possible}
        if not all(p.finished for p in phases):
            return
        if len(phases) > 1:  # succeeded or failed: ask
            self._read_backup(backup)
            return
        backup.settled = True
        if phases == {BackupPhase.SUCCEEDED}:
            if backup.to_checkpoint is None:
                info = self._read_backup(backup)
                if info.to_checkpoint_id:
                    self._learn_checkpoint(vm, backup, info.to_checkpoint_id)
            self._expect(
                backup.to_checkpoint,
                lambda: f"{self.labels(backup.id)} succeeded without a to_checkpoint_id",
            )
            vm.chain.append(backup.to_checkpoint or "")
            self.example_stats.depth = max(self.example_stats.depth, len(vm.chain))
            self.example_stats.vms_with_chain.add(vm.id)

    def _read_backup(self, model: BackupModel) -> BackupInfo:
        """Read a backup through the client and check the answer."""
        text = f"get_backup({self.labels(model.vm_id)}, {self.labels(model.id, 'backup')})"
        info = self._client_call(
            text, lambda: self.get_backup(model.vm_id, model.id), self._show_backup
        )
        if not model.settled:
            self._observe_backup(model, info)
        return info

    def _show_backup(self, info: BackupInfo) -> str:
        text = info.phase
        if info.to_checkpoint_id:
            text += f", to_checkpoint_id={self.labels(info.to_checkpoint_id, 'checkpoint')}"
        return text

    def _path_of(self, vm: VmModel, use_active: bool) -> BackupPath:
        if not use_active:
            return BackupPath.SNAPSHOT
        return BackupPath.LIVE if vm.status == "up" else BackupPath.COLD

    def _report_coverage(self) -> None:
        stats = self.example_stats
        if self.coverage is not None:
            self.coverage.record(stats)
        if not currently_in_test_context():
            return
        event("deepest checkpoint chain", str(stats.depth))
        for path in sorted(stats.paths):
            event("path reached ready", path)
        for situation in sorted(stats.situations):
            event(situation)
        target(float(stats.depth), label="deepest checkpoint chain")
