"""A disk's volume chain: snapshot layers over the live content, as the engine keeps them.

Rules:
- A disk has one live ``DiskContent`` (what the guest sees now) and a chain of volumes from
  the base to the active one, each with its own image id. Guest writes always go to the live
  content; the active volume is that content.
- ``create_snapshot(new_image_id)`` freezes the active volume, which keeps its image id, and
  starts a new active volume under ``new_image_id`` (BLL/snapshots/CreateSnapshotForVmCommand:
  the old active volume becomes the snapshot's volume; the new one is created with a new image
  id and the old one as parent; snapshots-disks-vms.md §2.2 step 2).
- A volume's ``guest`` view is the disk as the guest saw it when the volume was frozen: the
  whole chain up to and including it. Its ``own`` view is what the layer alone holds: every
  block written while it was active, whole (qcow2 copies a cluster on its first write in a new
  layer); other blocks read as holes. That is what a ``shallow`` transfer serves.
- ``remove(image_id)`` merges a snapshot volume with its child as the engine does: a backward
  merge (a block commit of the child into it), after which the volume keeps its image id and
  takes the child's place, and the child's image id is gone
  (BLL/snapshots/RemoveSnapshotSingleDiskCommandBase.java ``handleBackwardMerge``; cold merge
  always syncs as COMMIT, ColdMergeSnapshotSingleDiskCommand.java ``endSuccessfully``). No
  volume's guest view changes, and the live content keeps every byte.
- Everything is told by generations, so nothing is copied: a volume is a frozen view of the
  live content (an index copy, shared by chunks), its own data is the blocks of that view
  changed after its parent's generation, and a merge only drops a frozen view. Dirty tracking
  is untouched: checkpoint marks are generations of the live content, and neither a snapshot
  nor a merge changes a generation, so an incremental backup answers the same either way.
"""

from __future__ import annotations

from dataclasses import dataclass

from .content import ContentView, DiskContent, LayerView

__all__ = ["Volume", "VolumeChain"]


@dataclass(frozen=True)
class Volume:
    """One volume of a chain, as the chain stood when it was asked for.

    ``generation`` is the disk's generation when the volume was frozen (the live generation
    for the active volume); ``guest`` is the point-in-time disk (the live content for the
    active volume); ``own`` is what this layer alone holds.
    """

    image_id: str
    parent_id: str | None
    active: bool
    generation: int
    guest: DiskContent | ContentView
    own: LayerView


@dataclass(frozen=True)
class _Entry:
    image_id: str
    view: ContentView | None  # None for the active volume: the live content


class VolumeChain:
    """The volumes of one disk, base first, over its live content."""

    def __init__(self, content: DiskContent, image_id: str) -> None:
        """A chain of one volume, ``image_id``, active over ``content``."""
        self._content = content
        self._entries = [_Entry(image_id, None)]

    @property
    def content(self) -> DiskContent:
        """The live content: the guest's disk and the active volume."""
        return self._content

    @property
    def active_id(self) -> str:
        """The image id of the active volume (the disk's ``image_id``)."""
        return self._entries[-1].image_id

    @property
    def image_ids(self) -> tuple[str, ...]:
        """Every volume's image id, base first, active last."""
        return tuple(entry.image_id for entry in self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, image_id: object) -> bool:
        return any(entry.image_id == image_id for entry in self._entries)

    def grow(self, size: int) -> None:
        """Extend the active volume to ``size`` bytes; snapshot volumes keep their size."""
        self._content.grow(size)

    def create_snapshot(self, new_image_id: str) -> str:
        """Freeze the active volume and start ``new_image_id`` as the active one.

        Answers the frozen volume's image id (the old ``active_id``): the volume that belongs
        to the new snapshot. Costs one index copy of the live content, shared by chunks.
        """
        if new_image_id in self:
            raise ValueError(f"image id {new_image_id} is already in the chain")
        frozen = self._entries[-1].image_id
        self._entries[-1] = _Entry(frozen, self._content.freeze())
        self._entries.append(_Entry(new_image_id, None))
        return frozen

    def remove(self, image_id: str) -> str:
        """Merge snapshot volume ``image_id`` with its child; answer the child's image id.

        The volume keeps ``image_id`` and takes its child's place: its guest view becomes the
        child's (the live content when the child was active, which makes ``image_id`` active
        again), and its own data now spans both layers. The child's image id leaves the chain.
        """
        index = self._index(image_id)
        if index == len(self._entries) - 1:
            raise ValueError(f"image id {image_id} is the active volume, which has no child")
        child = self._entries[index + 1]
        self._entries[index + 1] = _Entry(image_id, child.view)
        del self._entries[index]
        return child.image_id

    def volume(self, image_id: str) -> Volume:
        """The volume ``image_id`` as the chain stands now."""
        return self._volume(self._index(image_id))

    def volumes(self) -> list[Volume]:
        """Every volume, base first, active last."""
        return [self._volume(index) for index in range(len(self._entries))]

    def _volume(self, index: int) -> Volume:
        entry = self._entries[index]
        guest: DiskContent | ContentView = self._content if entry.view is None else entry.view
        parent = self._entries[index - 1] if index else None
        after = parent.view.generation if parent is not None and parent.view is not None else 0
        return Volume(
            image_id=entry.image_id,
            parent_id=parent.image_id if parent is not None else None,
            active=entry.view is None,
            generation=guest.generation,
            guest=guest,
            own=guest.layer(after),
        )

    def _index(self, image_id: str) -> int:
        for index, entry in enumerate(self._entries):
            if entry.image_id == image_id:
                return index
        raise KeyError(f"no volume with image id {image_id} in the chain")
