"""A sorted map of a disk's block index: which blocks hold data, which were zeroed, and when.

Rules:
- A run covers the blocks ``[start, end)``. A data run covers exactly one block and holds its
  payload (see ``blocks``); a zero run covers any number of blocks that read as zeros. Blocks
  in no run are holes.
- Every run remembers the generation that last changed it. Runs never overlap and are kept in
  start order, so walking them is linear and no sort is ever needed.
- Runs are immutable, and the index is kept in chunks of a few hundred runs that are shared
  copy-on-write: ``copy()`` costs one pointer per chunk, and a later change copies only the
  chunks it touches. A frozen view of a disk with a large index is therefore cheap to take,
  and many frozen views share nearly all of their index.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from .blocks import Payload, nbytes

__all__ = ["BlockMap", "Run"]

CHUNK = 256  # runs per chunk after a split; a chunk splits when it passes twice that


@dataclass(frozen=True, slots=True)
class Run:
    """Blocks ``[start, end)``, last changed at ``generation``; ``data`` is None for zeros."""

    start: int
    end: int
    data: Payload | None
    generation: int


class _Chunk:
    """Consecutive runs and their starts; only the map whose token is `owner` may change it."""

    __slots__ = ("owner", "runs", "starts")

    def __init__(self, runs: list[Run], owner: object) -> None:
        self.runs = runs
        self.starts = [run.start for run in runs]
        self.owner = owner


class BlockMap:
    """Runs by start block; memory is proportional to the number of runs, not the disk size."""

    __slots__ = ("_chunks", "_data_runs", "_firsts", "_len", "_stored_bytes", "_token")

    def __init__(self) -> None:
        self._chunks: list[_Chunk] = []
        self._firsts: list[int] = []  # the first start of each chunk
        self._token = object()
        self._len = 0
        self._data_runs = 0
        self._stored_bytes = 0

    def __len__(self) -> int:
        return self._len

    @property
    def data_blocks(self) -> int:
        """How many blocks of data the map holds."""
        return self._data_runs

    @property
    def stored_bytes(self) -> int:
        """The bytes its data payloads hold in memory (shared payloads counted in each map)."""
        return self._stored_bytes

    def copy(self) -> BlockMap:
        """A copy of the index that shares every chunk until one of the two changes it."""
        other = BlockMap()
        other._chunks = self._chunks.copy()
        other._firsts = self._firsts.copy()
        other._len = self._len
        other._data_runs = self._data_runs
        other._stored_bytes = self._stored_bytes
        self._token = object()  # the chunks are shared now: neither map owns them
        return other

    def runs(self, first: int = 0, end: int | None = None) -> Iterator[Run]:
        """The runs overlapping blocks ``[first, end)`` in order, unclipped."""
        chunks = self._chunks
        c = max(bisect_right(self._firsts, first) - 1, 0)
        i = 0
        if c < len(chunks):
            chunk = chunks[c]
            i = bisect_right(chunk.starts, first) - 1
            if i < 0 or chunk.runs[i].end <= first:
                i += 1
        while c < len(chunks):
            for run in chunks[c].runs[i:]:
                if end is not None and run.start >= end:
                    return
                yield run
            c += 1
            i = 0

    def replace(self, first: int, end: int, runs: Sequence[Run]) -> None:
        """Forget blocks ``[first, end)`` and store ``runs`` (sorted, inside that range)."""
        for run in runs:
            self._count(run, 1)
        c = max(bisect_right(self._firsts, first) - 1, 0)
        last = max(bisect_right(self._firsts, end - 1) - 1, 0)
        if c != last or not self._chunks:  # across chunks (or none yet): rebuild those chunks
            merged = [run for chunk in self._chunks[c : last + 1] for run in chunk.runs]
            i = 0
            while i < len(merged) and merged[i].end <= first:
                i += 1
            j = bisect_left([run.start for run in merged], end)
            merged[i:j] = self._cut(merged[i:j], first, end, runs)
            self._set_chunks(c, last + 1, merged)
            return
        chunk = self._own(c)
        i = bisect_right(chunk.starts, first) - 1
        if i < 0 or chunk.runs[i].end <= first:
            i += 1
        j = bisect_left(chunk.starts, end)
        new = self._cut(chunk.runs[i:j], first, end, runs)
        chunk.runs[i:j] = new
        chunk.starts[i:j] = [run.start for run in new]
        if not chunk.runs or len(chunk.runs) > 2 * CHUNK:
            self._set_chunks(c, c + 1, chunk.runs)
        else:
            self._firsts[c] = chunk.starts[0]

    def _cut(self, old: list[Run], first: int, end: int, runs: Sequence[Run]) -> list[Run]:
        """What replaces `old` (the runs overlapping [first, end)): its cut edges around `runs`.

        Only a zero run spans several blocks, so only a zero run is ever cut.
        """
        for run in old:
            self._count(run, -1)
        out: list[Run] = []
        if old and old[0].start < first:
            out.append(replace(old[0], end=first))
            self._count(out[-1], 1)
        out.extend(runs)
        if old and old[-1].end > end:
            out.append(replace(old[-1], start=end))
            self._count(out[-1], 1)
        return out

    def _count(self, run: Run, sign: int) -> None:
        self._len += sign
        if run.data is not None:
            self._data_runs += sign
            self._stored_bytes += sign * nbytes(run.data)

    def _own(self, c: int) -> _Chunk:
        """Chunk `c`, copied first if another map shares it."""
        chunk = self._chunks[c]
        if chunk.owner is not self._token:
            chunk = _Chunk(chunk.runs.copy(), self._token)
            self._chunks[c] = chunk
        return chunk

    def _set_chunks(self, c: int, last: int, runs: list[Run]) -> None:
        """Replace chunks [c, last) by `runs`, cut into chunks of CHUNK runs."""
        size = CHUNK if len(runs) > 2 * CHUNK else 2 * CHUNK
        chunks = [_Chunk(runs[k : k + size], self._token) for k in range(0, len(runs), size)]
        self._chunks[c:last] = chunks
        self._firsts[c:last] = [chunk.starts[0] for chunk in chunks]
