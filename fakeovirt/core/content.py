"""Simulated disk content: sparse, with dirty tracking, frozen views and layers.

Rules:
- A disk is made of ``BLOCK_SIZE`` (64 KiB) blocks. Unwritten blocks are holes and read as
  zeros. Memory follows the bytes written: a partial write keeps only its bytes over the
  block's previous content (see ``blocks``), and seeded blocks are generated on read.
- Every ``write`` or ``zero`` call bumps ``generation``; the blocks it touches remember that
  generation, so ``dirty_extents(mark)`` answers "what changed after ``mark``" as a dirty
  bitmap would. Zeroed blocks stay dirty, as zeroes are a change too.
- Extents are reported per 64 KiB block, the granularity of the real system: qemu's default
  dirty-bitmap granularity is the qcow2 cluster size clamped to [4 KiB, 64 KiB], so 64 KiB for
  the default cluster (qemu ``block/dirty-bitmap.c``, ``bdrv_get_default_bitmap_granularity``),
  and qcow2 block status is per cluster: a 4 KiB write allocates its whole cluster as data.
- Blocks that end up all zeros are stored as zero runs, not as bytes, so zeroing a whole
  1 TiB disk costs one index entry.
- ``freeze()`` copies only the block index, copy-on-write by chunks; payloads are immutable
  and shared with the view.
- ``layer(after)`` views only the blocks changed after a generation: what a snapshot layer
  holds on its own (see ``volumes``).
- Reads come three ways: ``read`` (bytes), ``readinto`` (a caller's buffer) and
  ``iter_chunks`` (memoryviews of stored bytes and counts of zero bytes, no copy at all).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import pairwise

from .blockmap import BlockMap, Run
from .blocks import BLOCK_SIZE, ZERO_BLOCK, Payload, Seeded, chunks, nbytes, patch

__all__ = [
    "BLOCK_SIZE",
    "ContentView",
    "DirtyExtent",
    "DiskContent",
    "LayerView",
    "UnsupportedExtents",
    "ZeroExtent",
    "seed_content",
    "sha256",
]

_ZEROS = memoryview(bytes(1 << 20))  # the source of zero bytes for reads


@dataclass(frozen=True, slots=True)
class ZeroExtent:
    """Bytes ``[start, start + length)``: do they read as zeros, and were they never written?"""

    start: int
    length: int
    zero: bool
    hole: bool


@dataclass(frozen=True, slots=True)
class DirtyExtent:
    """Bytes ``[start, start + length)``: changed since a generation, and do they read as zeros?"""

    start: int
    length: int
    dirty: bool
    zero: bool


class UnsupportedExtents(Exception):
    """The ticket has no dirty extents (not an incremental backup disk)."""


class _Content:
    """The read side shared by a live disk, its frozen views and its layers.

    ``_floor`` hides every run last changed at or before that generation: such blocks read
    as holes. It is 0 (hide nothing) except in a ``LayerView``.
    """

    def __init__(self, size: int, generation: int, blocks: BlockMap, floor: int = 0) -> None:
        self._size = size
        self._generation = generation
        self._blocks = blocks
        self._floor = floor

    @property
    def size(self) -> int:
        """Virtual size in bytes."""
        return self._size

    @property
    def generation(self) -> int:
        """The generation of the last change (0 when nothing was ever written)."""
        return self._generation

    @property
    def stored_blocks(self) -> int:
        """How many blocks hold data (allocated clusters); zeroed runs and holes hold none."""
        if not self._floor:
            return self._blocks.data_blocks
        return sum(1 for run in self._visible() if run.data is not None)

    @property
    def stored_bytes(self) -> int:
        """The bytes of data held in memory: bytes written, not blocks touched.

        A partly written block holds only its pieces (over the payload it had before); a
        seeded block holds none until read. Payloads shared with frozen views count here too.
        """
        if not self._floor:
            return self._blocks.stored_bytes
        return sum(nbytes(run.data) for run in self._visible())

    @property
    def index_entries(self) -> int:
        """How many entries the block index has: one per data block or zeroed run."""
        if not self._floor:
            return len(self._blocks)
        return sum(1 for _ in self._visible())

    def read(self, offset: int, length: int) -> bytes:
        """The bytes at ``[offset, offset + length)``; holes and zeroed blocks read as zeros."""
        parts = list(self.iter_chunks(offset, length))
        if len(parts) == 1:
            part = parts[0]
            if isinstance(part, int):
                return bytes(part)
            if isinstance(part.obj, bytes) and part.nbytes == len(part.obj):
                return part.obj  # a whole stored block: no copy
        return b"".join(_zero_views(parts))

    def readinto(self, offset: int, buffer: bytearray | memoryview) -> int:
        """Fill ``buffer`` with the bytes at ``offset`` (as many as it holds); answer that count.

        One copy from the stored bytes into the caller's buffer, as a file's ``readinto``.
        """
        out = memoryview(buffer).cast("B")
        pos = 0
        for part in self.iter_chunks(offset, out.nbytes):
            if isinstance(part, int):
                for start in range(pos, pos + part, _ZEROS.nbytes):
                    n = min(_ZEROS.nbytes, pos + part - start)
                    out[start : start + n] = _ZEROS[:n]
                pos += part
            else:
                out[pos : pos + part.nbytes] = part
                pos += part.nbytes
        return pos

    def iter_chunks(self, offset: int, length: int) -> Iterator[memoryview | int]:
        """The bytes at ``[offset, offset + length)`` in order, without copying them.

        Yields read-only memoryviews of stored bytes and ints counting zero bytes (never two
        ints in a row). The range is looked up when this is called, so a later write does not
        change what the iterator yields; the views stay valid, as stored bytes never change.
        """
        self._check_range(offset, length)
        end = offset + length
        runs = [
            run
            for run in self._blocks.runs(offset // BLOCK_SIZE, -(-end // BLOCK_SIZE))
            if run.data is not None and run.generation > self._floor
        ]
        return _chunks(runs, offset, end)

    def zero_extents(self) -> list[ZeroExtent]:
        """Extents from 0 to ``size``: data, zeroed (``hole=False``) or never written."""
        merged = _merge(
            (first, end, (_zero(run), run is None)) for first, end, run in self._segments()
        )
        return [ZeroExtent(start, length, zero, hole) for start, length, (zero, hole) in merged]

    def dirty_extents(self, since_generation: int) -> list[DirtyExtent]:
        """Extents from 0 to ``size``; dirty where changed after ``since_generation``."""
        merged = _merge(
            (first, end, (run is not None and run.generation > since_generation, _zero(run)))
            for first, end, run in self._segments()
        )
        return [DirtyExtent(start, length, dirty, zero) for start, length, (dirty, zero) in merged]

    def layer(self, after: int) -> LayerView:
        """Only the blocks changed after generation ``after``; older blocks read as holes.

        That is what a snapshot layer holds on its own: every block written while it was the
        active layer, whole, as qcow2 copies a cluster on its first write.
        """
        return LayerView(self, max(after, self._floor))

    def _visible(self) -> Iterator[Run]:
        return (run for run in self._blocks.runs() if run.generation > self._floor)

    def _segments(self) -> Iterator[tuple[int, int, Run | None]]:
        """Block ranges covering the disk in order, with their run (None for a hole)."""
        pos = 0
        for run in self._visible():
            if pos < run.start:
                yield pos, run.start, None
            yield run.start, run.end, run
            pos = run.end
        nblocks = self._size // BLOCK_SIZE
        if pos < nblocks:
            yield pos, nblocks, None

    def _check_range(self, offset: int, length: int) -> None:
        if offset < 0 or length < 0 or offset + length > self._size:
            raise ValueError(
                f"range offset={offset} length={length} is outside the disk (size={self._size})"
            )


class ContentView(_Content):
    """An immutable point-in-time view of a DiskContent, made by ``DiskContent.freeze()``."""


class LayerView(_Content):
    """The blocks of a disk or view changed after a generation: one layer's own data.

    Over a live ``DiskContent`` it follows later writes (the active layer); over a frozen
    view it is frozen too.
    """

    def __init__(self, source: _Content, after: int) -> None:
        super().__init__(source.size, source.generation, source._blocks, max(after, 0))
        self._source = source

    @property
    def generation(self) -> int:
        return self._source.generation

    @property
    def after(self) -> int:
        """The generation below which (inclusive) blocks are hidden."""
        return self._floor


class DiskContent(_Content):
    """The live, writable content of one virtual disk."""

    def __init__(self, size: int) -> None:
        if size <= 0 or size % BLOCK_SIZE:
            raise ValueError(f"disk size {size} is not a positive multiple of {BLOCK_SIZE}")
        super().__init__(size, 0, BlockMap())

    @classmethod
    def from_view(cls, view: ContentView) -> DiskContent:
        """A live disk starting as ``view`` (same blocks and generations), sharing its blocks."""
        disk = cls(view.size)
        disk._generation = view.generation
        disk._blocks = view._blocks.copy()
        return disk

    def write(self, offset: int, data: bytes | bytearray | memoryview) -> None:
        """Write ``data`` at ``offset``; a partly covered block keeps only the bytes written."""
        src = memoryview(data).cast("B")
        length = src.nbytes
        self._check_range(offset, length)
        self._generation += 1
        if length == 0:
            return
        end = offset + length
        first, last = offset // BLOCK_SIZE, (end - 1) // BLOCK_SIZE
        runs: list[Run] = []
        for index in range(first, last + 1):
            base = index * BLOCK_SIZE
            lo, hi = max(offset, base), min(end, base + BLOCK_SIZE)
            part = src[lo - offset : hi - offset]
            if hi - lo == BLOCK_SIZE:
                block: Payload | None = bytes(part)
                if block == ZERO_BLOCK:
                    block = None
            else:
                block = patch(self._payload(index), lo - base, part)
            _append(runs, index, index + 1, block, self._generation)
        self._blocks.replace(first, last + 1, runs)

    def zero(self, offset: int, length: int) -> None:
        """Make ``[offset, offset + length)`` read as zeros; the touched blocks become dirty."""
        self._check_range(offset, length)
        self._generation += 1
        if length == 0:
            return
        end = offset + length
        first, last = offset // BLOCK_SIZE, (end - 1) // BLOCK_SIZE
        runs: list[Run] = []
        for index in sorted({first, last}):
            base = index * BLOCK_SIZE
            lo, hi = max(offset, base), min(end, base + BLOCK_SIZE)
            block = None
            if hi - lo < BLOCK_SIZE:
                block = patch(self._payload(index), lo - base, memoryview(ZERO_BLOCK)[: hi - lo])
            if index == last and last - first > 1:
                _append(runs, first + 1, last, None, self._generation)
            _append(runs, index, index + 1, block, self._generation)
        self._blocks.replace(first, last + 1, runs)

    def grow(self, size: int) -> None:
        """Make the disk ``size`` bytes long (an extend): the new tail reads as never written.

        Nothing is copied and no generation moves; frozen views keep the size they had, as a
        snapshot volume keeps its virtual size when the active volume is extended.
        """
        if size % BLOCK_SIZE or size < self._size:
            raise ValueError(
                f"cannot grow a disk of {self._size} bytes to {size}: the new size must be a "
                f"larger multiple of {BLOCK_SIZE}"
            )
        self._size = size

    def freeze(self) -> ContentView:
        """An immutable view of the content as of now, sharing all unchanged blocks."""
        return ContentView(self._size, self._generation, self._blocks.copy())

    def seed(self, seed: int, indexes: list[int]) -> None:
        """Fill the blocks at ``indexes`` with seeded data, one generation each, lazily.

        A seeded block reads as ``fakeovirt seed={seed} block={index}`` and pseudo-random
        bytes, the same in every process, and holds no memory: it is generated on read.
        """
        nblocks = self._size // BLOCK_SIZE
        if any(not 0 <= index < nblocks for index in indexes):
            raise ValueError(f"a seeded block is outside the disk of {nblocks} blocks")
        runs = [
            Run(index, index + 1, Seeded(seed, index), self._generation + number)
            for number, index in enumerate(indexes, 1)
        ]
        self._generation += len(runs)
        ordered = all(a.end <= b.start for a, b in pairwise(runs))
        if ordered and not len(self._blocks) and runs:  # a new disk: one index update
            self._blocks.replace(runs[0].start, runs[-1].end, runs)
            return
        for run in runs:
            self._blocks.replace(run.start, run.end, [run])

    def _payload(self, index: int) -> Payload | None:
        for run in self._blocks.runs(index, index + 1):
            return run.data
        return None


def _chunks(runs: list[Run], offset: int, end: int) -> Iterator[memoryview | int]:
    """The parts of [offset, end) over `runs` (data runs, in order); zeros between merged."""
    pos = offset
    zeros = 0
    for run in runs:
        base = run.start * BLOCK_SIZE
        lo, hi = max(pos, base), min(end, base + BLOCK_SIZE)
        zeros += lo - pos
        for part in chunks(run.data, lo - base, hi - base):
            if isinstance(part, int):
                zeros += part
                continue
            if zeros:
                yield zeros
                zeros = 0
            yield part
        pos = hi
    zeros += end - pos
    if zeros:
        yield zeros


def _zero_views(parts: Iterable[memoryview | int]) -> Iterator[memoryview]:
    """The parts with every zero count turned into views of shared zeros."""
    for part in parts:
        if not isinstance(part, int):
            yield part
            continue
        for start in range(0, part, _ZEROS.nbytes):
            yield _ZEROS[: min(_ZEROS.nbytes, part - start)]


def _zero(run: Run | None) -> bool:
    """Whether a segment reads as zeros (a hole or a zeroed run)."""
    return run is None or run.data is None


def _append(runs: list[Run], start: int, end: int, data: Payload | None, generation: int) -> None:
    """Add a run, extending the previous one when both are zeros of the same generation."""
    if runs and data is None and runs[-1].data is None and runs[-1].end == start:
        runs[-1] = Run(runs[-1].start, end, None, generation)
    else:
        runs.append(Run(start, end, data, generation))


def _merge(
    segments: Iterator[tuple[int, int, tuple[bool, bool]]],
) -> list[tuple[int, int, tuple[bool, bool]]]:
    """Join adjacent block segments of the same kind and convert blocks to bytes."""
    out: list[tuple[int, int, tuple[bool, bool]]] = []
    for first, end, kind in segments:
        if out and out[-1][2] == kind:
            start, length, _ = out[-1]
            out[-1] = (start, length + (end - first) * BLOCK_SIZE, kind)
        else:
            out.append((first * BLOCK_SIZE, (end - first) * BLOCK_SIZE, kind))
    return out


def seed_content(content: DiskContent, *, seed: int, blocks: int) -> None:
    """Seed ``blocks`` recognisable pseudo-random blocks at scattered offsets.

    Same seed, same bytes; each block starts with a readable header naming the seed and block.
    The disk is cut into ``blocks`` equal stretches and one block of each is chosen by a hash
    of the seed, so choosing costs nothing and no two choices collide. The bytes are generated
    on read (``DiskContent.seed``).
    """
    nblocks = content.size // BLOCK_SIZE
    if not 0 <= blocks <= nblocks:
        raise ValueError(f"cannot seed {blocks} blocks into a disk of {nblocks} blocks")
    content.seed(seed, seeded_indexes(seed, nblocks, blocks))


def seeded_indexes(seed: int, nblocks: int, blocks: int) -> list[int]:
    """Which of ``nblocks`` blocks ``seed_content`` fills: one per stretch, in order."""
    indexes = []
    for number in range(blocks):
        lo, hi = number * nblocks // blocks, (number + 1) * nblocks // blocks
        digest = hashlib.blake2b(f"{seed}:{number}".encode(), digest_size=8).digest()
        indexes.append(lo + int.from_bytes(digest, "little") % (hi - lo))
    return indexes


def sha256(content: DiskContent | ContentView | LayerView) -> str:
    """Hex SHA-256 of the whole virtual content, hashing zeros in chunks rather than at once."""
    digest = hashlib.sha256()
    for part in _zero_views(content.iter_chunks(0, content.size)):
        digest.update(part)
    return digest.hexdigest()
