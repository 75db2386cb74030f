"""Seedable id source: one per engine, so two engines with one seed hand out the same ids."""

from __future__ import annotations

import random

__all__ = ["IdSource"]

# RFC 4122 version 4: the variant bits 10 and the version nibble 4 (what uuid.UUID sets)
_CLEAR = ~((0xC000 << 48) | (0xF000 << 64)) & ((1 << 128) - 1)
_VERSION_4 = (0x8000 << 48) | (4 << 76)


class IdSource:
    """Hands out UUID4 strings from a seeded generator."""

    def __init__(self, seed: int = 0) -> None:
        self._random = random.Random(seed)

    def new(self) -> str:
        """`str(uuid.UUID(int=bits, version=4))`, spelled out: ids are made by the thousand
        (every reset builds the scenario's inventory), and the UUID object costs most of it."""
        value = self._random.getrandbits(128) & _CLEAR | _VERSION_4
        text = f"{value:032x}"
        return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"

    def token(self) -> str:
        """An opaque token (SSO access tokens, imageio tickets)."""
        return f"{self._random.getrandbits(128):032x}"
