"""Answers remembered while what they show stays the same: a backup polled again and again is
rendered, written (and in strict mode validated) once per change, not once per poll.

Rules of this file:
- an answer is remembered under a *slot* (which entity, which encoding) with a
  *fingerprint*: every value its rendering reads, read afresh on each request; an answer is
  served again only for an equal fingerprint, so a change by any path (a command, a tick, a
  per-read phase move, a test assigning a field) is a new fingerprint and a new rendering;
- the fingerprint is built next to the renderer it stands for (`render.backups`), and a test
  proves that every field the rendering shows changes it;
- only the answers that read nothing beyond their fingerprint use the memo (no `follow`, no
  query parameter that changes the document);
- an answer remembered unvalidated is rendered and validated again the first time strict
  mode asks for it;
- the memo is bounded: past `SIZE` slots it starts again empty;
- it is used under the engine's lock, as the handlers are.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Hashable
from typing import NamedTuple

from .codec import json_bytes
from .schema import validate
from .xmlout import to_bytes

__all__ = ["SIZE", "Documents", "Remembered", "encode_document"]

SIZE = 1024  # slots remembered at most


class Remembered(NamedTuple):
    """A document that may be served from the memo: where, under which fingerprint, and how
    to build it when the memo does not have it."""

    slot: Hashable
    fingerprint: Hashable
    build: Callable[[], ET.Element]


def encode_document(element: ET.Element, as_json: bool, strict: bool) -> bytes:
    """`element` as the client gets it; in strict mode its XML form is validated first."""
    if strict:
        data = to_bytes(element)
        validate(element, data=data)
        return json_bytes(element) if as_json else data
    return json_bytes(element) if as_json else to_bytes(element)


class Documents:
    """The memo of encoded answers; `hits` and `misses` count its use since the last clear."""

    def __init__(self, size: int = SIZE) -> None:
        self.size = size
        self._slots: dict[Hashable, tuple[Hashable, bytes, bool]] = {}
        self.hits = 0
        self.misses = 0

    def get(
        self,
        slot: Hashable,
        fingerprint: Hashable,
        make: Callable[[], bytes],
        *,
        strict: bool,
    ) -> bytes:
        """The answer remembered under `slot` for `fingerprint`, else `make()`'s (which
        validates in strict mode), remembered."""
        found = self._slots.get(slot)
        if found is not None and found[0] == fingerprint and (found[2] or not strict):
            self.hits += 1
            return found[1]
        data = make()
        self.misses += 1
        if len(self._slots) >= self.size and slot not in self._slots:
            self._slots.clear()
        self._slots[slot] = (fingerprint, data, strict)
        return data

    def encoded(self, document: Remembered, as_json: bool, strict: bool) -> bytes:
        """`document` encoded as `encode_document` does, from the memo while its fingerprint
        stays equal."""
        return self.get(
            (document.slot, as_json),
            document.fingerprint,
            lambda: encode_document(document.build(), as_json, strict),
            strict=strict,
        )

    def clear(self) -> None:
        self._slots.clear()
        self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._slots)
