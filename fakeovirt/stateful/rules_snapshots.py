"""Rule group: snapshots. Snapshot-based backup as backup tools do it, and its refusals.

Active for a client that implements the five snapshot methods (`take_snapshot`,
`get_snapshot`, `list_snapshots`, `list_snapshot_disks`, `remove_snapshot`); with
`download_disk_snapshot` too, the bytes are checked.

Rules of this file (snapshots-disks-vms.md §1.1, §2.2-§2.4; oVirt/ovirt-engine
`BLL/snapshots/CreateSnapshotForVmCommand.java` validate() lines 250-326 and its VM lock
lines 782-819, `RemoveSnapshotCommand.java` lines 381-424; python-ovirt-engine-sdk4
`examples/vm_backup.py`; bareos `core/src/plugins/filed/python/ovirt/BareosFdPluginOvirt.py`):
- `snapshot_backup` is a tool's round: a request the engine refuses (a third of the time),
  then take a snapshot (of every disk or a subset), poll it until `ok`, the guest writes on,
  list the snapshot's disks and the VM's snapshots, download each disk snapshot, remove the
  snapshot and poll until it is gone; with `keep` the snapshot stays, and `finish_snapshot`
  downloads it later (after more writes, backups and snapshots) and removes it; two rules
  only, so that the backup rules keep their share of the steps;
- the rules wait out every `locked` status, so between rules a VM's snapshots are the
  model's, all `ok`, and a listing must be exactly "Active VM" and then those, oldest first;
- snapshots are taken and removed only while no backup of the VM may run, except to check
  the refusals: an active-path backup holds the VM's lock ("The VM is during a backup
  operation.", 409), and no snapshot is removed while any backup runs (same text, 409);
- a refused request must raise `ApiFault` with the engine's status and text (with or without
  the engine's brackets) and change nothing;
- a downloaded disk snapshot must read as the disk did when the snapshot was taken (the
  shadow frozen then) while the disk keeps every later write, also after the removal's merge.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from fakeovirt.core import messages as msg
from fakeovirt.core.phases import BackupPath, BackupPhase
from fakeovirt.core.translate import render_for

from .api import ApiFault, SnapshotInfo
from .base import MAX_CLOCK_ADVANCE, WAIT_POLLS
from .choices import vm_names, vms_with_snapshots
from .guest import GuestMachine
from .model import BackupModel, RestorePoint, SnapshotModel, VmModel

__all__ = ["SnapshotRules"]

CREATE, REMOVE = "create Snapshot", "remove Snapshot"
UNKNOWN_DISK = "00000000-0000-0000-0000-0000000000dd"
SUBSETS = ["all", "listed", "first", "last"]  # all: no disk_attachments sent
MISTAKES = ["none", "none", "too long", "not ascii", "unknown disk", "another VM's disk"]
READY_ON = frozenset({BackupPhase.READY, BackupPhase.FINALIZING})  # its own snapshot is ok


class SnapshotRules(GuestMachine):
    """Snapshots taken, listed, downloaded and removed; refusals with the engine's texts."""

    # -- extension points (optional: the five API methods, and the download) ---------------
    def take_snapshot(
        self, vm_id: str, description: str, disk_ids: Sequence[str] | None
    ) -> SnapshotInfo:
        """`POST /vms/{vm_id}/snapshots` with `persist_memorystate=false`, of the disks
        `disk_ids` (as `disk_attachments`) or, when None, of every disk; return the snapshot
        the add answered."""
        raise NotImplementedError

    def get_snapshot(self, vm_id: str, snapshot_id: str) -> SnapshotInfo:
        """`GET /vms/{vm_id}/snapshots/{snapshot_id}`."""
        raise NotImplementedError

    def list_snapshots(self, vm_id: str) -> list[SnapshotInfo]:
        """`GET /vms/{vm_id}/snapshots`, as the API lists them ("Active VM" first)."""
        raise NotImplementedError

    def list_snapshot_disks(self, vm_id: str, snapshot_id: str) -> list[str]:
        """`GET /vms/{vm_id}/snapshots/{snapshot_id}/disks`: the disk ids."""
        raise NotImplementedError

    def remove_snapshot(self, vm_id: str, snapshot_id: str) -> None:
        """`DELETE /vms/{vm_id}/snapshots/{snapshot_id}` (the machine polls until it is gone)."""
        raise NotImplementedError

    def download_disk_snapshot(
        self, vm_id: str, snapshot_id: str, disk_id: str
    ) -> str | os.PathLike[str]:
        """Download a disk's volume of an `ok` snapshot into your files under `self.storage`
        (an image transfer of the disk snapshot, finalized); return the image's path (raw,
        or qcow2 with its backing chain)."""
        raise NotImplementedError

    @classmethod
    def has_snapshot_path(cls) -> bool:
        """Whether the subclass implements the five snapshot methods."""
        names = ("take_snapshot", "get_snapshot", "list_snapshots", "list_snapshot_disks")
        return all(
            getattr(cls, name) is not getattr(SnapshotRules, name)
            for name in (*names, "remove_snapshot")
        )

    @classmethod
    def has_snapshot_data(cls) -> bool:
        """Whether the subclass also downloads disk snapshots."""
        return (
            cls.has_snapshot_path()
            and cls.download_disk_snapshot is not SnapshotRules.download_disk_snapshot
        )

    @classmethod
    def _keeps_shadow(cls) -> bool:
        return super()._keeps_shadow() or cls.has_snapshot_data()

    def _restore_points(self) -> list[RestorePoint]:
        points = super()._restore_points()
        for vm in self.vm_models.values():
            points += [("snapshot", s.id, s.vm_id, s.disks) for s in vm.taken if s.downloaded]
        return points

    # -- rules ---------------------------------------------------------------------------
    @precondition(lambda self: self.has_snapshot_path())
    @rule(
        vm=vm_names(),
        disks=st.sampled_from(SUBSETS),
        keep=st.booleans(),
        mistake=st.sampled_from(MISTAKES),
        restore=st.booleans(),
    )
    def snapshot_backup(self, vm: str, disks: str, keep: bool, mistake: str, restore: bool) -> None:
        """A snapshot-based backup: take, wait until ok, (download), remove; with `keep`, the
        snapshot stays for `finish_snapshot`; with `restore` (and a client that uploads), the
        download is restored into a new disk. First, unless `mistake` is "none", a request
        the engine refuses. While a backup runs, only the refusal: of the snapshot during
        an active-path backup, of the removal of a kept one during a snapshot-path one."""
        model = self.vm_by_name[vm]
        self._settle_vm(model)
        if model.legacy_busy():
            self._refused_take(model, "during a backup")
            return
        if model.is_busy():  # a snapshot-path backup: its own snapshot may hold the VM's lock
            return
        if mistake != "none":
            self._refused_take(model, mistake)
        snapshot = self._take_snapshot(model, self._choose(model, disks))
        if self._keeps_shadow():
            for disk_id in snapshot.disks:  # the guest goes on after the snapshot
                self._guest_write(disk_id, "data", 1, False)
        self._check_snapshot_disks(snapshot)
        self._read_snapshots(model)
        if self.has_snapshot_data():
            self._download_snapshot(snapshot)
            if restore:  # the tool checks its download: restored into a new disk
                point = ("snapshot", snapshot.id, snapshot.vm_id, snapshot.disks)
                self._restore_into_new_disk(point, "first")
        if not keep:
            self._remove_snapshot(model, snapshot)

    @precondition(
        lambda self: (
            self.has_snapshot_path() and any(vm.snapshots for vm in self.vm_models.values())
        )
    )
    @rule(vm=vms_with_snapshots(), which=st.sampled_from(["oldest", "newest"]))
    def finish_snapshot(self, vm: str, which: str) -> None:
        """Download a kept snapshot (if not yet) and remove it; while a backup runs, the
        removal must be refused."""
        model = self.vm_by_name[vm]
        if not model.snapshots:
            return
        snapshot = model.snapshots[0 if which == "oldest" else -1]
        self._settle_vm(model)
        if model.is_busy():
            self._refuse_removal_during_backup(model, snapshot)
            return
        if self.has_snapshot_data() and not snapshot.downloaded:
            self._download_snapshot(snapshot)
        self._remove_snapshot(model, snapshot)

    # -- the hook of the backup rounds --------------------------------------------------------
    def _after_ready(self, backup: BackupModel, *, write_during: bool) -> None:
        """While a round's backup is ready and something happens during it (`write_during`):
        a snapshot during an active-path backup, or the removal of a kept one, is refused."""
        if self.has_snapshot_path() and write_during:
            vm = self.vm_models[backup.vm_id]
            if vm.legacy_busy():
                self._refused_take(vm, "during a backup")
            elif vm.snapshots:
                self._refuse_removal_during_backup(vm, vm.snapshots[0])
        super()._after_ready(backup, write_during=write_during)

    # -- the bodies ----------------------------------------------------------------------
    def _choose(self, vm: VmModel, which: str) -> list[str] | None:
        ids = list(vm.disks)
        if which == "all":
            return None
        if which == "listed" or len(ids) == 1:
            return ids
        self.example_stats.situations.add("snapshot of some of a VM's disks")
        return [ids[0]] if which == "first" else [ids[-1]]

    def _take_snapshot(self, vm: VmModel, disk_ids: list[str] | None) -> SnapshotModel:
        description = f"contract snapshot {len(self.steps.lines) + 1}"
        before = self._server_snapshot_ids(vm.id, regular=True)
        shown = "None" if disk_ids is None else self.labels.many(disk_ids)
        text = f"take_snapshot({vm.name}, {description!r}, {shown})"
        info = self._client_call(
            text, lambda: self.take_snapshot(vm.id, description, disk_ids), self._show_snapshot
        )
        label = self.labels(info.id, "snapshot")
        added = [s for s in self._server_snapshot_ids(vm.id, regular=True) if s not in before]
        self._expect(
            added == [info.id],
            lambda: f"{text} answered {label}; the engine took {self.labels.many(added)}",
        )
        wanted = tuple(vm.disks) if disk_ids is None else tuple(disk_ids)
        with self.fake.lock:
            server = self.fake.engine.state.snapshots[info.id]
            taken, status = tuple(server.disk_ids), server.status
        self._expect(
            sorted(taken) == sorted(wanted),
            lambda: (
                f"the client was asked to snapshot {self.labels.many(wanted)}; "
                f"the engine got {self.labels.many(taken)}"
            ),
        )
        snapshot = SnapshotModel(info.id, vm.id, description, wanted)
        self._check_info(snapshot, info, text, ("locked", "ok"), status)
        if self._keeps_shadow():  # nothing was written since the POST
            for disk_id in wanted:
                self.expected_content[snapshot.id, disk_id] = self.shadow[disk_id].freeze()
        vm.snapshots.append(snapshot)
        vm.taken.append(snapshot)
        if info.status != "ok":
            self._wait_until(snapshot, lambda status: status == "ok", "ok")
        return snapshot

    def _check_info(
        self,
        snapshot: SnapshotModel,
        info: SnapshotInfo,
        text: str,
        allowed: tuple[str, ...],
        server_status: str | None,
    ) -> None:
        label = self.labels(snapshot.id, "snapshot")
        self._expect(
            (info.id, info.description, info.type)
            == (snapshot.id, snapshot.description, "regular"),
            lambda: (
                f"{text} reads {self.labels(info.id)} {info.description!r} ({info.type}); "
                f"it is {label} {snapshot.description!r} (regular)"
            ),
        )
        self._expect(
            info.status in allowed,
            lambda: f"{text} reads {label} as {info.status!r}; it can only be {allowed}",
        )
        if self.exact and server_status is not None:
            self._expect(
                info.status == server_status,
                lambda: (
                    f"{text} reads {label} as {info.status!r}, but the engine had just "
                    f"answered {server_status!r}"
                ),
            )

    def _wait_until(self, snapshot: SnapshotModel, done: Callable[[str], bool], goal: str) -> None:
        """Poll a snapshot, as a tool waits for it (moving a timed manual clock on)."""
        vm = self.labels(snapshot.vm_id)
        text = f"get_snapshot({vm}, {self.labels(snapshot.id)})"
        for _ in range(WAIT_POLLS):
            info = self._client_call(
                text, lambda: self.get_snapshot(snapshot.vm_id, snapshot.id), self._show_snapshot
            )
            self._check_info(snapshot, info, text, ("locked", goal), self._server_status(snapshot))
            if done(info.status):
                return
            self._tick()
        self._expect(False, f"{self.labels(snapshot.id)} is still locked after {WAIT_POLLS} polls")

    def _tick(self) -> None:
        seconds = self.fake.policy.seconds
        if seconds is not None and self.exact:
            step = min(seconds + 1.0, MAX_CLOCK_ADVANCE - self.clock_moved)
            if step > 0:
                self.fake.advance(step)
                self.clock_moved += step

    def _check_snapshot_disks(self, snapshot: SnapshotModel) -> None:
        vm = self.labels(snapshot.vm_id)
        text = f"list_snapshot_disks({vm}, {self.labels(snapshot.id)})"
        listed = self._client_call(
            text,
            lambda: self.list_snapshot_disks(snapshot.vm_id, snapshot.id),
            self.labels.many,
        )
        self._expect(
            sorted(listed) == sorted(snapshot.disks),
            lambda: (
                f"{text} lists {self.labels.many(listed)}; the snapshot holds "
                f"{self.labels.many(snapshot.disks)}"
            ),
        )

    def _read_snapshots(self, vm: VmModel) -> None:
        """List the VM's snapshots: "Active VM", then the model's, oldest first, all ok."""
        text = f"list_snapshots({vm.name})"
        listed = self._client_call(
            text,
            lambda: self.list_snapshots(vm.id),
            lambda found: self.labels.many((s.id for s in found), "snapshot"),
        )
        shown = [(s.description, s.status, s.type) for s in listed]
        expected = [(msg.ACTIVE_SNAPSHOT, "ok", "active")]
        expected += [(s.description, "ok", "regular") for s in vm.snapshots]
        ids = [s.id for s in listed[1:]]
        self._expect(
            shown == expected and ids == [s.id for s in vm.snapshots],
            lambda: (
                f"{text} lists {self.labels.many(s.id for s in listed)} as {shown}; the VM has "
                f"{self.labels.many(s.id for s in vm.snapshots)}: {expected}"
            ),
        )
        if self.exact:
            server = self._server_snapshot_ids(vm.id)
            self._expect(
                [s.id for s in listed] == server,
                lambda: (
                    f"{text} lists {self.labels.many(s.id for s in listed)}; the engine "
                    f"answered {self.labels.many(server)}"
                ),
            )

    def _download_snapshot(self, snapshot: SnapshotModel) -> None:
        for disk_id in snapshot.disks:
            self._download_snapshot_disk(snapshot, disk_id)
        snapshot.downloaded = True
        self.example_stats.situations.add("disk snapshot downloaded as at the snapshot")

    def _download_snapshot_disk(self, snapshot: SnapshotModel, disk_id: str) -> None:
        vm, label, disk = (self.labels(i) for i in (snapshot.vm_id, snapshot.id, disk_id))
        text = f"download_disk_snapshot({vm}, {label}, {disk})"
        path = self._client_call(
            text, lambda: self.download_disk_snapshot(snapshot.vm_id, snapshot.id, disk_id)
        )
        left = self._open_transfers(disk_id)
        self._expect(not left, lambda: f"{text} left image transfers {left} unfinished")
        self._expect_image(
            text,
            path,
            self.expected_content[snapshot.id, disk_id],
            lambda difference: (
                f"{disk} downloaded from {label} differs from the disk when the snapshot "
                f"was taken: {difference}"
            ),
        )
        self._keeps_later_writes(disk_id, f"after {text}")
        self.steps.add(f"  {disk} of {label} equals the disk when the snapshot was taken")

    def _keeps_later_writes(self, disk_id: str, when: str) -> None:
        if not self._keeps_shadow():
            return
        difference = self._disk_difference(disk_id)
        self._expect(
            difference is None,
            lambda: (
                f"{when}, {self.labels(disk_id)} no longer reads as the guest wrote it: "
                f"{difference}"
            ),
        )

    def _remove_snapshot(self, vm: VmModel, snapshot: SnapshotModel) -> None:
        label = self.labels(snapshot.id)
        text = f"remove_snapshot({vm.name}, {label})"
        self._client_call(text, lambda: self.remove_snapshot(vm.id, snapshot.id))
        status = self._server_status(snapshot)
        self._expect(
            status in (None, "removing"),
            lambda: f"after {text} the engine still holds {label} as {status!r}, not removing it",
        )
        poll = f"get_snapshot({vm.name}, {label})"
        for _ in range(WAIT_POLLS):
            try:
                info = self._client_call(
                    poll,
                    lambda: self.get_snapshot(vm.id, snapshot.id),
                    self._show_snapshot,
                    faults=True,
                )
            except ApiFault as fault:
                got = fault.status
                self._expect(got == 404, f"{poll} answered {got}; the engine answers 404 once gone")
                break
            server = self._server_status(snapshot)
            self._check_info(
                snapshot, info, poll, ("locked",), "locked" if server == "removing" else server
            )
            self._tick()
        else:
            self._expect(False, f"{label} is still there {WAIT_POLLS} polls after {text}")
        vm.snapshots.remove(snapshot)
        self._read_snapshots(vm)
        for disk_id in snapshot.disks:
            self._keeps_later_writes(disk_id, f"after {text} merged it")

    def _refused_take(self, vm: VmModel, mistake: str) -> None:
        """Ask the client for a snapshot the engine refuses, and check the fault."""
        disk_ids: list[str] | None = None
        description = "contract refusal"
        if mistake == "too long":
            description = "x" * 4001
        elif mistake == "not ascii":
            description = "snapshot \u2603"
        elif mistake == "another VM's disk":
            others = [d.id for d in self.disk_models.values() if d.vm_id != vm.id]
            disk_ids = others[:1] or [UNKNOWN_DISK]  # with one VM: an unknown disk
        elif mistake == "unknown disk":
            disk_ids = [UNKNOWN_DISK]
        status, detail = _refusal(self, vm, mistake, disk_ids)
        before = self._server_snapshot_ids(vm.id)
        shown = "None" if disk_ids is None else self.labels.many(disk_ids)
        short = (
            description if len(description) < 40 else f"{description[:8]}... ({len(description)})"
        )
        text = f"take_snapshot({vm.name}, {short!r}, {shown})"
        self._refused(
            text, lambda: self.take_snapshot(vm.id, description, disk_ids), status, detail
        )
        self._expect(
            self._server_snapshot_ids(vm.id) == before,
            f"{text} was refused, yet the engine's snapshots of {vm.name} changed",
        )
        if mistake == "during a backup":
            self.example_stats.situations.add("snapshot refused during a backup")

    def _refuse_removal_during_backup(self, vm: VmModel, snapshot: SnapshotModel) -> None:
        """While a backup may run: read it if need be; if it surely runs, removing a kept
        snapshot must be refused."""
        current = vm.current
        if current is None:
            return
        if not _surely_during_backup(vm) and current.may_be_unfinished():
            self._read_backup(current)
        if _surely_during_backup(vm):
            self._refused_remove(vm, snapshot)

    def _refused_remove(self, vm: VmModel, snapshot: SnapshotModel) -> None:
        text = f"remove_snapshot({vm.name}, {self.labels(snapshot.id)})"
        detail = render_for(REMOVE, msg.VM_IS_DURING_BACKUP)
        self._refused(text, lambda: self.remove_snapshot(vm.id, snapshot.id), 409, detail)
        self._expect(
            self._server_status(snapshot) == "ok",
            f"{text} was refused, yet the engine no longer holds the snapshot as ok",
        )
        self.example_stats.situations.add("snapshot refused during a backup")

    def _refused(self, text: str, call: Callable[[], object], status: int, detail: str) -> None:
        try:
            self._client_call(text, call, self._show_any, faults=True)
        except ApiFault as fault:
            got = (fault.status, fault.detail)
            self._expect(
                got[0] == status and got[1] in (detail, f"[{detail}]"),
                lambda: (
                    f"{text} failed with {got[0]} {got[1]!r}; the engine answers "
                    f"{status} [{detail}]"
                ),
            )
            return
        self._expect(False, f"{text} returned; the engine refuses it with {status} [{detail}]")

    # -- reading the engine ----------------------------------------------------------------
    def _server_snapshot_ids(self, vm_id: str, *, regular: bool = False) -> list[str]:
        """The ids the engine lists ("Active VM" first; it takes a new id at each snapshot,
        whose id is the active one's old id), or only the regular ones."""
        with self.fake.lock:
            listed = self.fake.engine.snapshots(vm_id)
            return [s.id for s in listed if not regular or s.type == "regular"]

    def _server_status(self, snapshot: SnapshotModel) -> str | None:
        """The engine's status of a snapshot: None once gone, `removing` while merged."""
        with self.fake.lock:
            server = self.fake.engine.state.snapshots.get(snapshot.id)
            if server is None:
                return None
            return "removing" if server.removing else server.status

    def _open_transfers(self, disk_id: str) -> list[tuple[str, str]]:
        with self.fake.lock:
            transfers = self.fake.engine.state.transfers.values()
            return [
                (t.id, t.phase.value)
                for t in transfers
                if t.disk_id == disk_id and not t.phase.finished
            ]

    def _show_snapshot(self, info: SnapshotInfo) -> str:
        return f"{self.labels(info.id, 'snapshot')} {info.status}"

    def _show_any(self, result: object) -> str:
        return self._show_snapshot(result) if isinstance(result, SnapshotInfo) else "ok"


def _surely_during_backup(vm: VmModel) -> bool:
    """A backup surely runs and its lock or validation answers "during a backup"."""
    current = vm.current
    if current is None or current.may_be_finished():
        return False
    return current.path is not BackupPath.SNAPSHOT or all(
        phase in READY_ON for phase, _ in current.closure()
    )


def _refusal(
    machine: SnapshotRules, vm: VmModel, mistake: str, disk_ids: list[str] | None
) -> tuple[int, str]:
    """The engine's answer, in its order: the description (REST parameters), the VM's lock,
    then validate() (CreateSnapshotForVmCommand.java:250-326)."""
    if mistake == "too long":
        return 400, msg.SNAPSHOT_DESCRIPTION_MAX
    if mistake == "not ascii":
        return 400, msg.SNAPSHOT_DESCRIPTION_INVALID
    if vm.legacy_busy():
        return 409, render_for(CREATE, msg.VM_IS_DURING_BACKUP)
    if disk_ids == [UNKNOWN_DISK]:
        return 400, msg.DISKS_NOT_EXIST.format(what=CREATE, ids=UNKNOWN_DISK)
    alias = machine.disk_models[(disk_ids or [""])[0]].alias
    return 400, msg.DISKS_NOT_ATTACHED.format(what=CREATE, vm=vm.name, aliases=alias)
