"""Image checksums as ovirt-imageio computes them: a block hash ("blkhash") over the image.

Rules of this file (ovirt-imageio v2.5.1 `_internal/blkhash.py:11-63` and
`_internal/handlers/checksum.py:18-147`):
- the image is split into ``block_size`` blocks (the last may be shorter); each block's
  digest is fed, in order, to one outer hash of the same algorithm; blake2b and blake2s use
  ``digest_size=32`` for both, other algorithms their default digest;
- a block that reads as zeros contributes the digest of that many zero bytes, which is what
  hashing its bytes gives: zero extents only make it faster, never different. The digest of a
  zero block is computed once per (algorithm, length), so a 1 TiB empty disk costs one update
  per 32 768 blocks;
- the algorithms offered are ``hashlib.algorithms_available``, as the daemon offers them; the
  daemon fails (500) on the few it offers but cannot run (``getattr(hashlib, name)`` fails, or
  a ``shake`` digest needs a length), and so does `hasher` (``UnsupportedAlgorithm``);
- block sizes are checked by the caller against `MIN_BLOCK_SIZE`, `MAX_BLOCK_SIZE`, `ALIGNMENT`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache, partial
from typing import Any, Protocol

__all__ = [
    "ALGORITHM",
    "ALGORITHMS",
    "ALIGNMENT",
    "BLOCK_SIZE",
    "DIGEST_SIZE",
    "MAX_BLOCK_SIZE",
    "MIN_BLOCK_SIZE",
    "UnsupportedAlgorithm",
    "blkhash",
    "compute",
    "hasher",
    "runs",
    "zero_digest",
]

ALGORITHM = "blake2b"
BLOCK_SIZE = 4 * 1024 * 1024
DIGEST_SIZE = 32
MIN_BLOCK_SIZE = BLOCK_SIZE // 4
MAX_BLOCK_SIZE = BLOCK_SIZE * 4
ALIGNMENT = 4096
ALGORITHMS = frozenset(hashlib.algorithms_available)
_ZERO_DIGESTS_PER_UPDATE = 32 * 1024

Hasher = Callable[..., Any]


class UnsupportedAlgorithm(Exception):
    """An algorithm the daemon lists but fails on."""


class Extent(Protocol):
    """A zero extent as `content.ZeroExtent` has it."""

    @property
    def start(self) -> int: ...
    @property
    def length(self) -> int: ...
    @property
    def zero(self) -> bool: ...


def hasher(algorithm: str) -> Hasher:
    """The block hash constructor of ``algorithm``, as `blkhash.Hash` builds it."""
    try:
        func: Hasher = getattr(hashlib, algorithm)
    except AttributeError:
        raise UnsupportedAlgorithm(algorithm) from None
    if algorithm.startswith("blake2"):
        func = partial(func, digest_size=DIGEST_SIZE)
    try:
        func(b"").digest()
    except TypeError:  # shake_128 and shake_256 need a length
        raise UnsupportedAlgorithm(algorithm) from None
    return func


@lru_cache(maxsize=64)
def zero_digest(algorithm: str, length: int) -> bytes:
    """The digest of ``length`` zero bytes, computed once per (algorithm, length)."""
    return bytes(hasher(algorithm)(bytes(length)).digest())


def runs(size: int, extents: Iterable[Extent], block_size: int) -> Iterator[tuple[int, int, bool]]:
    """``(start, length, zero)`` runs of whole blocks covering ``[0, size)``.

    A block is zero when zero extents cover all of it; a run ends on a block boundary or at
    ``size``. ``extents`` are in order and cover the image, as `zero_extents()` answers.
    """
    pos = 0
    for extent in extents:
        if extent.zero or extent.length <= 0:
            continue
        first = max(pos, extent.start // block_size * block_size)
        end = min(size, -(-(extent.start + extent.length) // block_size) * block_size)
        if end <= first:
            continue
        if first > pos:
            yield pos, first - pos, True
        yield first, end - first, False
        pos = end
    if pos < size:
        yield pos, size - pos, True


def compute(
    size: int,
    extents: Iterable[Extent],
    read: Callable[[int, int], bytes],
    algorithm: str = ALGORITHM,
    block_size: int = BLOCK_SIZE,
) -> dict[str, Any]:
    """The daemon's checksum answer for an image of ``size`` bytes.

    ``read(offset, length)`` is called once per block that holds data, in order.
    """
    func = hasher(algorithm)
    outer = func()
    for start, length, zero in runs(size, extents, block_size):
        end = start + length
        if zero:
            whole, rest = divmod(length, block_size)
            digest = zero_digest(algorithm, block_size)
            while whole:
                n = min(whole, _ZERO_DIGESTS_PER_UPDATE)
                outer.update(digest * n)
                whole -= n
            if rest:
                outer.update(zero_digest(algorithm, rest))
            continue
        for offset in range(start, end, block_size):
            outer.update(func(read(offset, min(block_size, end - offset))).digest())
    return {"algorithm": algorithm, "block_size": block_size, "checksum": outer.hexdigest()}


def blkhash(data: bytes, algorithm: str = ALGORITHM, block_size: int = BLOCK_SIZE) -> str:
    """The checksum of ``data`` by plain fixed-size blocks, the reference for `compute`."""
    func = hasher(algorithm)
    outer = func()
    for offset in range(0, len(data), block_size):
        outer.update(func(data[offset : offset + block_size]).digest())
    return str(outer.hexdigest())
