"""The Engine: one fake oVirt engine, built from a scenario, driven by its own clock.

Everything a user or the web layer does goes through these methods. The engine holds no
lock itself beyond the one it is given: the web layer and `FakeOvirt` take `engine.lock`
around every call so that threads never interleave inside it. `tick()` runs what the clock
made due off the schedule (`timed.py`), so a request costs what is due and what it touches,
never the history of finished backups, checkpoints and transfers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext

from . import (
    attachments,
    backups,
    checkpoints,
    disks,
    disksnapshots,
    external_events,
    nics,
    ovf,
    snapshots,
    tickets,
    timed,
    transfers,
    vm_clone,
    vm_import,
    vms,
)
from . import messages as msg
from .attachments import AttachmentUpdate, AttachRequest
from .backups import BackupRequest
from .build import SeededContent, build_state
from .clock import Clock, ManualClock
from .disks import DiskRequest
from .disksnapshots import DiskSnapshot
from .errors import BadRequest, NotFound
from .external_events import EventRequest
from .model import (
    Backup,
    Checkpoint,
    Disk,
    DiskAttachment,
    Event,
    ImageTransfer,
    Nic,
    Snapshot,
    Vm,
    VmStatus,
)
from .nics import NicRequest
from .policy import TransitionPolicy
from .profile import Profile, as_profile
from .retention import Retention
from .scenario import DEMO, Scenario
from .snapshots import SnapshotRequest
from .state import State
from .tickets import TransferTicket
from .transfers import TransferRequest
from .vm_clone import CloneRequest
from .vm_import import ImportRequest
from .vms import VmRequest

__all__ = ["Engine"]

SYSTEM_USER = "admin@internal"


class Engine:
    """A fake oVirt engine: inventory, backups, checkpoints, transfers, events."""

    def __init__(
        self,
        scenario: Scenario = DEMO,
        *,
        clock: Clock | None = None,
        policy: TransitionPolicy | None = None,
        lock: AbstractContextManager[object] | None = None,
        retention: Retention | None = None,
        profile: Profile | str = "documented",
    ) -> None:
        """`profile`: `documented` (the API documentation's contract) or `engine` (what
        engine 4.5's code does where it departs from it); see `fakeovirt.core.profile`."""
        self._profile = as_profile(profile)
        self.clock: Clock = clock or ManualClock()
        self.lock: AbstractContextManager[object] = lock or nullcontext()
        self._policy_override = policy
        self._templates = SeededContent()
        self.scenario = scenario
        self._retention = retention or Retention()
        self.state = self._build(scenario)

    # -- lifecycle of the engine itself -------------------------------------------
    def reset(self, scenario: Scenario | None = None) -> None:
        """Forget everything and rebuild from `scenario` (default: the current one).

        The new state is built before anything is replaced: a failure changes nothing.
        """
        chosen = self.scenario if scenario is None else scenario
        self.state = self._build(chosen)
        self.scenario = chosen

    def _build(self, scenario: Scenario) -> State:
        state = build_state(scenario, self.clock, self._policy(scenario), self._templates)
        state.retention = self._retention
        state.profile = self._profile
        timed.start(state)
        return state

    @property
    def retention(self) -> Retention:
        """How long finished backups, transfers, jobs and events are kept; set when the
        engine is made (`Engine(retention=...)`), kept across resets."""
        return self._retention

    @property
    def profile(self) -> Profile:
        """The behaviour profile new work starts under; kept across resets."""
        return self._profile

    @profile.setter
    def profile(self, profile: Profile | str) -> None:
        """Switch profiles: what starts from now on follows the new one, while a running
        backup keeps the profile it started under."""
        self._profile = self.state.profile = as_profile(profile)

    def _policy(self, scenario: Scenario) -> TransitionPolicy:
        return self._policy_override or scenario.policy or TransitionPolicy.immediate()

    @property
    def policy(self) -> TransitionPolicy:
        return self.state.policy

    @policy.setter
    def policy(self, policy: TransitionPolicy) -> None:
        self._policy_override = policy
        self.state.policy = policy
        timed.reschedule(self.state)

    def tick(self) -> int:
        """Apply what the clock made due (phase moves, timeouts, retention), earliest first;
        return how many scheduled pieces of work ran."""
        return timed.run_due(self.state)

    def release(self, entity_id: str) -> None:
        """Let a backup or transfer leave a phase its policy holds."""
        entity: Backup | ImageTransfer | None = self.state.backups.get(entity_id)
        if entity is None:
            entity = self.state.transfers.get(entity_id)
        if entity is None:
            raise NotFound(f"No backup or image transfer with id {entity_id}")
        phase = entity.phase.rest if isinstance(entity, Backup) else entity.phase.value
        entity.progress.released.add(phase)
        if isinstance(entity, Backup):
            backups.advance(self.state, entity)
            backups.schedule(self.state, entity)
        else:
            transfers.advance(self.state, entity)
            transfers.schedule(self.state, entity)

    # -- inventory -----------------------------------------------------------------
    def vm(self, vm_id: str) -> Vm:
        return self.state.vm(vm_id)

    def vm_by_name(self, name: str) -> Vm:
        for vm in self.state.vms.values():
            if vm.name == name:
                return vm
        raise NotFound(msg.NOT_FOUND.format(kind="VM named", id=name))

    def disk(self, disk_id: str) -> Disk:
        return self.state.disk(disk_id)

    def disk_by_alias(self, alias: str) -> Disk:
        for disk in self.state.disks.values():
            if disk.alias == alias:
                return disk
        raise NotFound(msg.NOT_FOUND.format(kind="disk with alias", id=alias))

    def set_vm_status(self, vm_id: str, status: str) -> None:
        self.state.vm(vm_id).status = VmStatus(status)

    def set_freeze_fails(self, vm_id: str, fails: bool) -> None:
        """Make the guest agent's filesystem freeze fail (or work again)."""
        self.state.vm(vm_id).guest.freeze_fails = fails

    def guest_write(self, disk_id: str, offset: int, data: bytes) -> None:
        """The guest writes `data` at `offset`: the blocks become dirty for the next backup."""
        disk = self.state.disk(disk_id)
        if offset < 0 or offset + len(data) > disk.content.size:
            raise BadRequest(
                f"Write of {len(data)} bytes at {offset} is outside disk {disk.alias} "
                f"({disk.content.size} bytes)"
            )
        disk.content.write(offset, data)

    # -- backups -----------------------------------------------------------------------
    def start_backup(
        self, vm_id: str, request: BackupRequest, *, user: str = SYSTEM_USER
    ) -> Backup:
        self.tick()
        return backups.start(self.state, vm_id, request, user)

    def backup(self, vm_id: str, backup_id: str, *, observe: bool = False) -> Backup:
        backup = self.state.backup(vm_id, backup_id)
        if observe:
            backups.observe(self.state, backup)
        return backup

    def backups(self, vm_id: str, *, observe: bool = False) -> list[Backup]:
        """The VM's backups, oldest first; `observe` counts a client's read of each."""
        found = list(self.iter_backups(vm_id))
        if observe:
            for backup in found:
                backups.observe(self.state, backup)
        return found

    def iter_backups(self, vm_id: str) -> Iterator[Backup]:
        """The VM's backups, oldest first, lazily and unobserved: a listing takes what it
        shows and observes only that (`observe_backup`)."""
        self.state.vm(vm_id)
        return self.state.iter_vm_backups(vm_id)

    def observe_backup(self, backup: Backup) -> Backup:
        """A client was shown `backup`: count the read (a per-read policy moves on it)."""
        backups.observe(self.state, backup)
        return backup

    def finalize_backup(self, vm_id: str, backup_id: str, *, user: str = SYSTEM_USER) -> Backup:
        self.tick()
        return backups.finalize(self.state, vm_id, backup_id, user)

    # -- checkpoints -----------------------------------------------------------------
    def checkpoints(self, vm_id: str) -> list[Checkpoint]:
        """The VM's checkpoint chain, root first."""
        return list(self.iter_checkpoints(vm_id))

    def iter_checkpoints(self, vm_id: str) -> Iterator[Checkpoint]:
        """The VM's checkpoint chain, root first, lazily."""
        self.state.vm(vm_id)
        return self.state.iter_chain(vm_id)

    def checkpoint(self, vm_id: str, checkpoint_id: str) -> Checkpoint:
        return self.state.checkpoint(vm_id, checkpoint_id)

    def remove_checkpoint(self, vm_id: str, checkpoint_id: str, *, user: str = SYSTEM_USER) -> None:
        self.tick()
        checkpoints.remove(self.state, vm_id, checkpoint_id, user)

    def invalidate_checkpoints(self, vm_id: str, checkpoint_id: str | None = None) -> None:
        """Mark one checkpoint, or all of the VM's, invalid (as a snapshot restore does)."""
        checkpoints.invalidate(self.state, vm_id, checkpoint_id)

    # -- snapshots and disk snapshots ------------------------------------------------------
    def snapshots(self, vm_id: str, *, observe: bool = False) -> list[Snapshot]:
        """The VM's snapshots, "Active VM" first; an unknown VM has none, as in the engine.

        `observe` counts a client's read of each (a per-read policy moves a locked one, and a
        merged one is then gone from the answer)."""
        if observe:
            for snapshot in snapshots.listing(self.state, vm_id):
                snapshots.observe(self.state, snapshot)
        return snapshots.listing(self.state, vm_id)

    def snapshot(self, snapshot_id: str, *, observe: bool = False) -> Snapshot:
        """A snapshot by id (404 when unknown); `observe` counts a client's read."""
        found = snapshots.get(self.state, snapshot_id)
        if observe:
            snapshots.observe(self.state, found)
        return found

    def create_snapshot(
        self, vm_id: str, request: SnapshotRequest, *, user: str = SYSTEM_USER
    ) -> Snapshot:
        self.tick()
        return snapshots.create(self.state, vm_id, request, user)

    def remove_snapshot(self, vm_id: str, snapshot_id: str, *, user: str = SYSTEM_USER) -> None:
        self.tick()
        snapshots.remove(self.state, vm_id, snapshot_id, user)

    def disk_snapshots(self, disk_id: str, *, include_active: bool = False) -> list[DiskSnapshot]:
        """A disk's volumes as `/disks/{id}/disksnapshots` lists them, base first."""
        return disksnapshots.of_disk(self.state, disk_id, include_active=include_active)

    def domain_disk_snapshots(
        self, domain_id: str, *, include_active: bool = False
    ) -> list[DiskSnapshot]:
        """The volumes on a storage domain that belong to a VM snapshot."""
        return disksnapshots.of_domain(self.state, domain_id, include_active=include_active)

    def disk_snapshot(self, image_id: str) -> DiskSnapshot:
        """A disk snapshot (a volume) by image id; 404 when no disk has it."""
        found = disksnapshots.find(self.state, image_id)
        if found is None:
            raise NotFound(msg.NOT_FOUND.format(kind="disk snapshot", id=image_id))
        return found

    # -- image transfers ------------------------------------------------------------
    def start_transfer(self, request: TransferRequest, *, user: str = SYSTEM_USER) -> ImageTransfer:
        self.tick()
        return transfers.start(self.state, request, user)

    def transfer(self, transfer_id: str, *, observe: bool = False) -> ImageTransfer:
        transfer = self.state.transfer(transfer_id)
        if observe:
            transfers.observe(self.state, transfer)
        return transfer

    def transfers(self, *, observe: bool = False) -> list[ImageTransfer]:
        """Every image transfer, oldest first; `observe` counts a client's read of each."""
        found = list(self.iter_transfers())
        if observe:
            for transfer in found:
                transfers.observe(self.state, transfer)
        return found

    def iter_transfers(self) -> Iterator[ImageTransfer]:
        """Every image transfer, oldest first (creation order), lazily and unobserved."""
        return iter(self.state.transfers.values())

    def observe_transfer(self, transfer: ImageTransfer) -> ImageTransfer:
        """A client was shown `transfer`: count the read."""
        transfers.observe(self.state, transfer)
        return transfer

    def transfer_action(
        self, transfer_id: str, action: str, *, user: str = SYSTEM_USER
    ) -> ImageTransfer:
        self.tick()
        return transfers.act(self.state, transfer_id, action, user)

    def system_transfer_event(self, transfer_id: str, step: str) -> ImageTransfer:
        """The engine pauses (`system_pause`) or cancels (`system_cancel`) a transfer."""
        return transfers.system_event(self.state, transfer_id, step)

    def ticket(self, ticket_id: str) -> TransferTicket:
        self.tick()
        return tickets.ticket(self.state, ticket_id)

    # -- disks, attachments, VMs, NICs, custom events (restore) ---------------------------
    def add_disk(self, request: DiskRequest, *, user: str = SYSTEM_USER) -> Disk:
        """AddDisk, floating or (with `request.vm_id`) on a VM."""
        self.tick()
        return disks.add(self.state, request, user)

    def remove_disk(
        self, disk_id: str, *, storage_domain_id: str | None = None, user: str = SYSTEM_USER
    ) -> None:
        self.tick()
        disks.remove(self.state, disk_id, user, storage_domain_id=storage_domain_id)

    def observe_disk(self, disk: Disk) -> Disk:
        """A client was shown `disk`: count the read (a per-read policy moves on it)."""
        disks.observe(self.state, disk)
        return disk

    def finish_disk(self, disk_id: str) -> Disk:
        """End the disk's pending work now, whatever the policy (`Expect: 201-created`)."""
        disk = self.state.disk(disk_id)
        disks.complete(self.state, disk)
        disks.schedule(self.state, disk)
        return disk

    def attach_disk(
        self, vm_id: str, request: AttachRequest, *, user: str = SYSTEM_USER
    ) -> DiskAttachment:
        self.tick()
        return attachments.attach(self.state, vm_id, request, user)

    def detach_disk(self, vm_id: str, disk_id: str, *, user: str = SYSTEM_USER) -> None:
        self.tick()
        attachments.detach(self.state, vm_id, disk_id, user)

    def plug_disk(self, vm_id: str, disk_id: str, active: bool, *, user: str = SYSTEM_USER) -> None:
        self.tick()
        attachments.plug(self.state, vm_id, disk_id, active, user)

    def update_attachment(
        self, vm_id: str, disk_id: str, change: AttachmentUpdate, *, user: str = SYSTEM_USER
    ) -> None:
        self.tick()
        attachments.update(self.state, vm_id, disk_id, change, user)
        disk = self.state.disks[disk_id]
        disks.advance(self.state, disk)
        disks.schedule(self.state, disk)

    def add_vm(self, request: VmRequest, *, user: str = SYSTEM_USER) -> Vm:
        self.tick()
        return vms.add(self.state, request, user)

    def import_vm(self, request: ImportRequest, *, user: str = SYSTEM_USER) -> Vm:
        """ImportVmFromConfiguration; raises `ovf.OvfError` for a configuration it cannot read."""
        self.tick()
        return vm_import.import_vm(self.state, request, user)

    def clone_vm(self, request: CloneRequest, *, user: str = SYSTEM_USER) -> Vm:
        """AddVmFromSnapshot: a VM made of a snapshot's configuration and disks."""
        self.tick()
        return vm_clone.clone(self.state, request, user)

    def finish_clone(self, vm_id: str) -> Vm:
        """End the clone's copies now, whatever the policy (`Expect: 201-created`)."""
        vm = self.state.vm(vm_id)
        vm_clone.complete(self.state, vm)
        vm_clone.schedule(self.state, vm)
        return vm

    def remove_vm(
        self,
        vm_id: str,
        *,
        detach_only: bool = False,
        force: bool = False,
        user: str = SYSTEM_USER,
    ) -> None:
        self.tick()
        vms.remove(self.state, vm_id, user, detach_only=detach_only, force=force)

    def vm_action(
        self,
        vm_id: str,
        action: str,
        *,
        force: bool = False,
        reason: str | None = None,
        user: str = SYSTEM_USER,
    ) -> None:
        """`start`, `stop` or `shutdown`."""
        self.tick()
        vms.power(self.state, vm_id, action, user, force=force, reason=reason)

    def observe_vm(self, vm: Vm) -> Vm:
        """A client was shown `vm`: count the read (a per-read policy moves on it)."""
        if vm.work is not None and vm.work.kind == vms.CLONING:
            vm_clone.observe(self.state, vm)
        else:
            vms.observe(self.state, vm)
        return vm

    def vm_ovf(self, vm_id: str) -> str | None:
        """The VM's configuration as `all_content=true` shows it (None when the engine
        writes none: a disk is locked)."""
        return ovf.vm_ovf(self.state, self.state.vm(vm_id))

    def add_nic(self, vm_id: str, request: NicRequest, *, user: str = SYSTEM_USER) -> Nic:
        self.tick()
        return nics.add_nic(self.state, vm_id, request, user)

    def add_event(self, request: EventRequest, *, user: str = SYSTEM_USER) -> Event:
        """AddExternalEvent: a custom event."""
        self.tick()
        return external_events.add_event(self.state, request, user)

    def __iter__(self) -> Iterator[Vm]:
        return iter(self.state.vms.values())
