"""A sorted map of a disk's block index: which blocks hold data, which were zeroed, and when.

Rules:
- A run covers the blocks ``[start, end)``. A data run covers exactly one block and holds its
  bytes; a zero run covers any number of blocks that read as zeros. Blocks in no run are holes.
- Every run remembers the generation that last changed it. Runs never overlap and are kept in
  start order, so walking them is linear and no sort is ever needed.
- Runs are immutable, so a copy of the map (the index only) can share them with the original.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

__all__ = ["BlockMap", "Run"]


@dataclass(frozen=True, slots=True)
class Run:
    """Blocks ``[start, end)``, last changed at ``generation``; ``data`` is None for zeros."""

    start: int
    end: int
    data: bytes | None
    generation: int


class BlockMap:
    """Runs by start block; memory is proportional to the number of runs, not the disk size."""

    __slots__ = ("_data_runs", "_runs", "_starts")

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._runs: dict[int, Run] = {}
        self._data_runs = 0

    def __len__(self) -> int:
        return len(self._starts)

    @property
    def data_blocks(self) -> int:
        """How many blocks of data the map holds."""
        return self._data_runs

    def copy(self) -> BlockMap:
        """A copy of the index that shares every run (and so every data block)."""
        other = BlockMap()
        other._starts = self._starts.copy()
        other._runs = self._runs.copy()
        other._data_runs = self._data_runs
        return other

    def runs(self, first: int = 0, end: int | None = None) -> Iterator[Run]:
        """The runs overlapping blocks ``[first, end)`` in order, unclipped."""
        starts = self._starts
        i = bisect_right(starts, first) - 1
        if i < 0 or self._runs[starts[i]].end <= first:
            i += 1
        while i < len(starts) and (end is None or starts[i] < end):
            yield self._runs[starts[i]]
            i += 1

    def replace(self, first: int, end: int, runs: Sequence[Run]) -> None:
        """Forget blocks ``[first, end)`` and store ``runs`` (sorted, inside that range)."""
        self._split(first)
        self._split(end)
        starts = self._starts
        i = bisect_left(starts, first)
        j = bisect_left(starts, end)
        for start in starts[i:j]:
            if self._runs.pop(start).data is not None:
                self._data_runs -= 1
        starts[i:j] = [run.start for run in runs]
        for run in runs:
            self._runs[run.start] = run
            if run.data is not None:
                self._data_runs += 1

    def _split(self, at: int) -> None:
        """Cut the zero run containing block ``at`` (if any) into two runs meeting at ``at``."""
        i = bisect_right(self._starts, at) - 1
        if i < 0:
            return
        run = self._runs[self._starts[i]]
        if run.start < at < run.end:
            self._runs[run.start] = replace(run, end=at)
            self._runs[at] = replace(run, start=at)
            self._starts.insert(i + 1, at)
