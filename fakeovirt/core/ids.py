"""Seedable id source: one per engine, so two engines with one seed hand out the same ids."""

from __future__ import annotations

import random
import uuid

__all__ = ["IdSource"]


class IdSource:
    """Hands out UUID4 strings from a seeded generator."""

    def __init__(self, seed: int = 0) -> None:
        self._random = random.Random(seed)

    def new(self) -> str:
        return str(uuid.UUID(int=self._random.getrandbits(128), version=4))

    def token(self) -> str:
        """An opaque token (SSO access tokens, imageio tickets)."""
        return f"{self._random.getrandbits(128):032x}"
