"""Mutants of the data path: a tool of its own (tests/examples) or the imageio machine, each
with one bug in what it downloads or how it restores."""

from __future__ import annotations

import os
from typing import Any

from fakeovirt.stateful import BackupApiMachine
from fakeovirt.stateful_sdk import ImageioBackupMachine
from tests.examples.test_contract_data_own_client import MyToolMachine

__all__ = ["DATA_MUTANTS"]

Extents = list[dict[str, Any]]


class SkipsTheLastDirtyExtent(MyToolMachine):  # type: ignore[misc]
    """Missed dirty extent: its loop over an incremental's extents stops one short."""

    def choose(self, extents: Extents, *, incremental: bool, size: int) -> Extents:
        wanted: Extents = super().choose(extents, incremental=incremental, size=size)
        return wanted[:-1] if incremental else wanted


class RestoresOntoTheParent(MyToolMachine):  # type: ignore[misc]
    """Wrong base: applies an incremental to the backup of its checkpoint's parent."""

    def base_of(self, backup: Any, disk_id: str) -> str | None:
        parents = {c.id: c.parent_id for c in self.list_checkpoints(backup.vm.id)}
        parent = parents.get(backup.from_checkpoint_id)
        found: str | None = self.names.get((parent, disk_id)) or super().base_of(backup, disk_id)
        return found


class DirtyZerosLeftAsHoles(MyToolMachine):  # type: ignore[misc]
    """Zeroed blocks read as nothing: skips an incremental's dirty extents that read as
    zeros, so the base's old bytes show through where the guest discarded data."""

    def choose(self, extents: Extents, *, incremental: bool, size: int) -> Extents:
        wanted: Extents = super().choose(extents, incremental=incremental, size=size)
        return [e for e in wanted if not (incremental and e["zero"])]


class TruncatedDownload(MyToolMachine):  # type: ignore[misc]
    """Truncated download: the transfer stops halfway and the tool does not notice."""

    def choose(self, extents: Extents, *, incremental: bool, size: int) -> Extents:
        wanted: Extents = super().choose(extents, incremental=incremental, size=size)
        return [e for e in wanted if e["start"] < size // 2]


class RangeOffByOne(MyToolMachine):  # type: ignore[misc]
    """Off by one: asks for `bytes=start-(start+length-2)`, one byte short of each extent."""

    def read_range(self, http: Any, path: str, start: int, length: int) -> bytes:
        data: bytes = super().read_range(http, path, start, length - 1)
        return data


class BackingFileIsTheOldest(ImageioBackupMachine):
    """Wrong backing file: chains every incremental onto the disk's first (full) file."""

    def _find_backing_file(self, checkpoint_id: str | None, disk_id: str) -> str | None:
        matches = sorted(self.storage.glob(f"*.{disk_id}.*"))
        return os.path.relpath(matches[0], self.storage) if matches else None


DATA_MUTANTS: dict[str, tuple[type[BackupApiMachine], str]] = {
    cls.__name__: (cls, (cls.__doc__ or "").split(":")[0])
    for cls in (
        SkipsTheLastDirtyExtent,
        RestoresOntoTheParent,
        DirtyZerosLeftAsHoles,
        TruncatedDownload,
        RangeOffByOne,
        BackingFileIsTheOldest,
    )
}
