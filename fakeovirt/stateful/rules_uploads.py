"""Rule group: uploads. A restore into a new disk, checked byte for byte in the engine.

Active for a client that implements `restore_to_new_disk`, and only once it has something to
restore: a backup it downloaded (data group) or a disk snapshot it downloaded (snapshots; a
snapshot round with `restore` also restores the snapshot it downloaded, as a tool's check).

Rules of this file (snapshots-disks-vms.md §1.2, §5; python-ovirt-engine-sdk4
`examples/upload_disk.py`; oVirt/ovirt-engine `BLL/storage/disk/AddDiskCommand.java`,
`BLL/storage/disk/image/TransferDiskImageCommand.java`):
- the client creates the disk (`POST /disks`) and uploads into it through an image transfer,
  which it finalizes;
- the machine then reads the new disk in the engine: it must be a new disk, `ok` (an upload
  left open keeps it locked), with no transfer left unfinished or failed, of the original
  disk's size, and reading exactly as the original did at that backup or snapshot (the shadow
  frozen then), else the first differing extent (`fakeovirt.images`).
"""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from fakeovirt.core.phases import TransferPhase
from fakeovirt.images import image_difference, write_raw

from .base import ContractMachine
from .model import RestorePoint

__all__ = ["UploadRules"]


class UploadRules(ContractMachine):
    """Restores into new disks, through the client's own upload."""

    # -- extension point (optional) ----------------------------------------------------------
    def restore_to_new_disk(self, vm_id: str, point_id: str, disk_id: str) -> str:
        """Restore a disk as of a backup or snapshot you downloaded (`point_id`) into a new
        disk: `POST /disks` (the original's size), an upload image transfer of your image,
        finalized. Return the new disk's id."""
        raise NotImplementedError

    @classmethod
    def has_upload_path(cls) -> bool:
        """Whether the subclass implements `restore_to_new_disk`."""
        return cls.restore_to_new_disk is not UploadRules.restore_to_new_disk

    # -- rules ---------------------------------------------------------------------------
    @precondition(lambda self: self.has_upload_path() and bool(self._points_to_upload()))
    @rule(which=st.sampled_from(["oldest", "latest"]), disk=st.sampled_from(["first", "last"]))
    def restore_by_upload(self, which: str, disk: str) -> None:
        """Restore a downloaded backup or disk snapshot (one not restored so yet) into a new
        disk and read it."""
        points = self._points_to_upload()
        self._restore_into_new_disk(points[0 if which == "oldest" else -1], disk)

    def _points_to_upload(self) -> list[RestorePoint]:
        return [
            p for p in self._restore_points() if all((p[1], d) not in self.uploaded for d in p[3])
        ]

    # -- the body --------------------------------------------------------------------------
    def _restore_into_new_disk(self, point: RestorePoint, which: str) -> None:
        if not self.has_upload_path():
            return
        kind, point_id, vm_id, disks = point
        disk_id = disks[0 if which == "first" else -1]
        self.uploaded.add((point_id, disk_id))
        original, label = self.labels(disk_id), self.labels(point_id)
        text = f"restore_to_new_disk({self.labels(vm_id)}, {label}, {original})"
        with self.fake.lock:
            before = set(self.fake.engine.state.disks)
        new_id = self._client_call(
            text,
            lambda: self.restore_to_new_disk(vm_id, point_id, disk_id),
            lambda found: self.labels(found, "new-disk"),
        )
        with self.fake.lock:
            disk = self.fake.engine.state.disks.get(new_id)
            self._expect(
                disk is not None and new_id not in before,
                f"{text} returned {self.labels(new_id)}, which is no disk it created",
            )
            assert disk is not None
            status, content = disk.status, disk.content.freeze()
            transfers = [
                (t.id, t.phase)
                for t in self.fake.engine.state.transfers.values()
                if t.disk_id == new_id
            ]
        left = [(t, p.value) for t, p in transfers if p is not TransferPhase.FINISHED_SUCCESS]
        self._expect(
            not left and transfers,
            lambda: (
                f"{text} left image transfers {left or 'none at all'}: upload, finalize, and "
                "wait for finished_success"
            ),
        )
        self._expect(status == "ok", f"{text} left {self.labels(new_id)} {status}, not ok")
        expected = self.expected_content[point_id, disk_id]
        self._expect(
            content.size == expected.size,
            lambda: f"{text} made a disk of {content.size} bytes; {original} has {expected.size}",
        )
        image = self.storage / f"uploaded.{new_id}.raw"
        write_raw(content, image)
        difference = image_difference(image, expected)
        image.unlink()
        self._expect(
            difference is None,
            lambda: (
                f"{self.labels(new_id)} restored from {label} ({kind}) differs from "
                f"{original} at that {kind}: {difference}"
            ),
        )
        self.steps.add(f"  {self.labels(new_id)} equals {original} at {label}")
        self.example_stats.situations.add(f"{kind} restored into a new disk by upload")
