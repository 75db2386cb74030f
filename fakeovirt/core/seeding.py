"""Seeded disk content: the deterministic bytes a scenario's disks start with.

Rules:
- The bytes depend only on (scenario seed, alias, size, seeded blocks); ids play no part.
- Seeded blocks are generated on read (``DiskContent.seed``), so a template costs an index of
  ``seeded_blocks`` entries and no bytes.
- Templates are immutable frozen views, so one process-wide memo (bounded) serves every engine:
  a new engine, a reset or a scenario switch costs an index copy per disk, by chunks.
"""

from __future__ import annotations

import zlib
from functools import lru_cache

from .content import ContentView, DiskContent, seed_content
from .scenario import DiskSpec

__all__ = ["SeededContent", "seeded_template"]


@lru_cache(maxsize=4096)
def seeded_template(seed: int, alias: str, size: int, blocks: int) -> ContentView:
    """The frozen seeded content of a disk `alias` of `size` bytes in a scenario of `seed`."""
    content = DiskContent(size)
    if blocks:
        seed_content(content, seed=zlib.crc32(f"{seed}:{alias}".encode()), blocks=blocks)
    return content.freeze()


class SeededContent:
    """Seeded disk content by what the bytes depend on: (seed, alias, size, blocks)."""

    def __init__(self) -> None:
        self._keys: set[tuple[int, str, int, int]] = set()

    def __len__(self) -> int:
        """How many distinct seeded disks this engine has built."""
        return len(self._keys)

    def content(self, seed: int, spec: DiskSpec) -> DiskContent:
        """A live disk starting from the seeded bytes of `spec`."""
        key = (seed, spec.alias, spec.size, spec.seeded_blocks)
        self._keys.add(key)
        return DiskContent.from_view(seeded_template(*key))
