"""What one data block of a disk holds: whole bytes, a patched block, or a seeded block.

Rules:
- Every payload is immutable, so indexes and frozen views share payloads freely.
- A write that covers a whole block stores its bytes. A partial write stores only the bytes
  written, as pieces over the block's previous payload (``Patched``), so scattered 4 KiB
  writes cost 4 KiB each, not a 64 KiB block each. Once the pieces of a block reach half a
  block they are folded into whole bytes, so a block never costs more than twice the bytes
  written into it.
- A seeded block is generated on read from its seed and index (``Seeded``): it holds no bytes.
- ``None`` is not a payload here: the index stores blocks that read as zeros as zero runs, and
  ``patch`` answers ``None`` when a block ends up all zeros.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

__all__ = [
    "BLOCK_SIZE",
    "ZERO_BLOCK",
    "Patched",
    "Payload",
    "Seeded",
    "chunks",
    "materialize",
    "nbytes",
    "patch",
]

BLOCK_SIZE = 64 * 1024
ZERO_BLOCK = bytes(BLOCK_SIZE)
_FOLD_AT = BLOCK_SIZE // 2


@cache
def _pool() -> bytes:
    """Two blocks of pseudo-random bytes, the same in every process (SHAKE-256 of a constant)."""
    return hashlib.shake_256(b"fakeovirt seeded content").digest(2 * BLOCK_SIZE)


@dataclass(frozen=True, slots=True)
class Seeded:
    """A seeded block: a readable header, then pseudo-random bytes chosen by (seed, index)."""

    seed: int
    index: int

    @property
    def header(self) -> bytes:
        return f"fakeovirt seed={self.seed} block={self.index}\n".encode()

    def chunks(self, lo: int, hi: int) -> Iterator[memoryview]:
        """The bytes ``[lo, hi)`` of the block, as views of the header and the shared pool."""
        header = self.header
        n = len(header)
        if lo < n:
            yield memoryview(header)[lo : min(hi, n)]
            lo = n
        if lo < hi:
            start = zlib.crc32(f"{self.seed}:{self.index}".encode()) % BLOCK_SIZE - n
            yield memoryview(_pool())[start + lo : start + hi]


@dataclass(frozen=True, slots=True)
class Patched:
    """``base`` (None: zeros) overlaid with ``pieces``: sorted, disjoint (offset, bytes)."""

    base: bytes | Seeded | None
    pieces: tuple[tuple[int, bytes], ...]


Payload = bytes | Seeded | Patched


def chunks(payload: Payload | None, lo: int, hi: int) -> Iterator[memoryview | int]:
    """The bytes ``[lo, hi)`` of a block as views, or ints counting zero bytes."""
    if isinstance(payload, bytes):
        yield memoryview(payload)[lo:hi]
    elif payload is None:
        yield hi - lo
    elif isinstance(payload, Seeded):
        yield from payload.chunks(lo, hi)
    else:
        pos = lo
        for offset, data in payload.pieces:
            end = offset + len(data)
            if end <= pos:
                continue
            if offset >= hi:
                break
            if offset > pos:
                yield from chunks(payload.base, pos, offset)
                pos = offset
            stop = min(hi, end)
            yield memoryview(data)[pos - offset : stop - offset]
            pos = stop
        if pos < hi:
            yield from chunks(payload.base, pos, hi)


def materialize(payload: Payload | None) -> bytes:
    """The whole block as bytes."""
    if isinstance(payload, bytes):
        return payload
    return b"".join(
        ZERO_BLOCK[:part] if isinstance(part, int) else part
        for part in chunks(payload, 0, BLOCK_SIZE)
    )


def nbytes(payload: Payload | None) -> int:
    """The bytes a payload holds in memory (a seeded block holds none)."""
    if isinstance(payload, bytes):
        return len(payload)
    if isinstance(payload, Patched):
        base = len(payload.base) if isinstance(payload.base, bytes) else 0
        return base + sum(len(data) for _, data in payload.pieces)
    return 0


def patch(payload: Payload | None, offset: int, data: memoryview) -> Payload | None:
    """``payload`` with ``data`` written at ``offset``; None when the block reads all zeros."""
    piece = bytes(data)
    end = offset + len(piece)
    zeros_written = piece.count(0) == len(piece)
    base, old = (payload.base, payload.pieces) if isinstance(payload, Patched) else (payload, ())
    pieces: list[tuple[int, bytes]] = []
    for at, have in old:
        stop = at + len(have)
        if stop < offset or at > end:  # disjoint and not touching: kept as it is
            pieces.append((at, have))
            continue
        if at < offset:  # the part before the new piece joins it
            piece = have[: offset - at] + piece
            offset = at
        if stop > end:  # the part after the new piece joins it
            piece = piece + have[end - at :]
            end = stop
    pieces.append((offset, piece))
    pieces.sort()
    result: Payload = Patched(base, tuple(pieces))
    held = sum(len(have) for _, have in pieces)
    if held >= _FOLD_AT:
        result = materialize(result)
        return None if result == ZERO_BLOCK else result
    if zeros_written:  # the block may read all zeros now
        if base is None and all(have.count(0) == len(have) for _, have in pieces):
            return None
        if base is not None and materialize(result) == ZERO_BLOCK:
            return None
    return result
