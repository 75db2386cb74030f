"""Simulated disk content: sparse, block-granular, with dirty tracking and frozen views.

Rules:
- A disk is made of ``BLOCK_SIZE`` blocks. Unwritten blocks are holes and read as zeros.
- Every ``write`` or ``zero`` call bumps ``generation``; the blocks it touches remember that
  generation, so ``dirty_extents(mark)`` answers "what changed after ``mark``" as a dirty
  bitmap would. Zeroed blocks stay dirty, as zeroes are a change too.
- Blocks that end up all zeros are stored as zero runs, not as bytes, so zeroing a whole
  1 TiB disk costs one index entry.
- ``freeze()`` copies only the block index; blocks are immutable and shared with the view.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from fakeovirt.core.blockmap import BlockMap, Run

__all__ = [
    "BLOCK_SIZE",
    "ContentView",
    "DirtyExtent",
    "DiskContent",
    "ImageTicket",
    "UnsupportedExtents",
    "ZeroExtent",
    "seed_content",
    "sha256",
]

BLOCK_SIZE = 64 * 1024
_ZERO_BLOCK = bytes(BLOCK_SIZE)
_HASH_CHUNK = 1024 * 1024


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


class ImageTicket(Protocol):
    """What the imageio endpoint needs from a transfer's ticket."""

    @property
    def size(self) -> int: ...
    @property
    def readable(self) -> bool: ...
    @property
    def writable(self) -> bool: ...
    def read(self, offset: int, length: int) -> bytes: ...
    def write(self, offset: int, data: bytes) -> None: ...
    def zero(self, offset: int, length: int) -> None: ...
    def flush(self) -> None: ...
    def zero_extents(self) -> list[ZeroExtent]: ...
    def dirty_extents(self) -> list[DirtyExtent]: ...  # raises UnsupportedExtents


class _Content:
    """The read side shared by a live disk and its frozen views."""

    def __init__(self, size: int, generation: int, blocks: BlockMap) -> None:
        self._size = size
        self._generation = generation
        self._blocks = blocks

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
        """How many blocks of data are held in memory (zeroed runs and holes hold none)."""
        return self._blocks.data_blocks

    @property
    def index_entries(self) -> int:
        """How many entries the block index has: one per data block or zeroed run."""
        return len(self._blocks)

    def read(self, offset: int, length: int) -> bytes:
        """The bytes at ``[offset, offset + length)``; holes and zeroed blocks read as zeros."""
        self._check_range(offset, length)
        out = bytearray(length)
        if length == 0:
            return bytes(out)
        end = offset + length
        for run in self._blocks.runs(offset // BLOCK_SIZE, -(-end // BLOCK_SIZE)):
            if run.data is None:
                continue
            base = run.start * BLOCK_SIZE
            lo, hi = max(offset, base), min(end, run.end * BLOCK_SIZE)
            out[lo - offset : hi - offset] = run.data[lo - base : hi - base]
        return bytes(out)

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

    def _segments(self) -> Iterator[tuple[int, int, Run | None]]:
        """Block ranges covering the disk in order, with their run (None for a hole)."""
        pos = 0
        for run in self._blocks.runs():
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
        """Write ``data`` at ``offset``, read-modify-writing partly covered blocks."""
        src = memoryview(data).cast("B")
        length = len(src)
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
                block = bytes(part)
            else:
                buf = bytearray(self._block(index))
                buf[lo - base : hi - base] = part
                block = bytes(buf)
            _append(runs, index, index + 1, _stored(block), self._generation)
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
            block = _ZERO_BLOCK
            if hi - lo < BLOCK_SIZE:
                buf = bytearray(self._block(index))
                buf[lo - base : hi - base] = bytes(hi - lo)
                block = bytes(buf)
            if index == last and last - first > 1:
                _append(runs, first + 1, last, None, self._generation)
            _append(runs, index, index + 1, _stored(block), self._generation)
        self._blocks.replace(first, last + 1, runs)

    def freeze(self) -> ContentView:
        """An immutable view of the content as of now, sharing all unchanged blocks."""
        return ContentView(self._size, self._generation, self._blocks.copy())

    def _block(self, index: int) -> bytes:
        for run in self._blocks.runs(index, index + 1):
            return _ZERO_BLOCK if run.data is None else run.data
        return _ZERO_BLOCK


def _zero(run: Run | None) -> bool:
    """Whether a segment reads as zeros (a hole or a zeroed run)."""
    return run is None or run.data is None


def _stored(block: bytes) -> bytes | None:
    """What the index keeps for a block: None when it is all zeros."""
    return None if block == _ZERO_BLOCK else block


def _append(runs: list[Run], start: int, end: int, data: bytes | None, generation: int) -> None:
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
    """Write ``blocks`` recognisable pseudo-random blocks at scattered offsets.

    Same seed, same bytes; each block starts with a readable header naming the seed and block.
    """
    nblocks = content.size // BLOCK_SIZE
    if not 0 <= blocks <= nblocks:
        raise ValueError(f"cannot seed {blocks} blocks into a disk of {nblocks} blocks")
    rng = random.Random(seed)
    for index in sorted(rng.sample(range(nblocks), blocks)):
        header = f"fakeovirt seed={seed} block={index}\n".encode()
        content.write(index * BLOCK_SIZE, header + rng.randbytes(BLOCK_SIZE - len(header)))


def sha256(content: DiskContent | ContentView) -> str:
    """Hex SHA-256 of the whole virtual content, hashing zeros in chunks rather than at once."""
    digest = hashlib.sha256()
    zeros = bytes(_HASH_CHUNK)
    for extent in content.zero_extents():
        for pos in range(extent.start, extent.start + extent.length, _HASH_CHUNK):
            n = min(_HASH_CHUNK, extent.start + extent.length - pos)
            digest.update(zeros[:n] if extent.zero else content.read(pos, n))
    return digest.hexdigest()
