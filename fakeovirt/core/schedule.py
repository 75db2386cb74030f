"""The engine's timed work, kept by the engine time it falls due, so a tick costs what is due.

Rules of this file:
- an entry is a key `(kind, entity id)` and the engine time it falls due; a key has at most
  one live entry: `at()` replaces it and `at(key, None)` cancels it (the old heap entry stays
  behind and is skipped when it comes up: lazy invalidation);
- `due(now)` yields the keys due at `now`, earliest first (ties in the order they were
  scheduled), each key at most once per call, keys scheduled during the call included;
- firing early is harmless, firing late is a bug. A handler looks at its entity on the clock,
  does what is due, and schedules the entity's next due time (or none). Whoever makes an
  entity due *earlier* (a phase move, a policy change, a release, a new entity) schedules it
  again; what only postpones the work (a client's activity on a ticket) needs nothing: the
  handler finds it not due yet and schedules it for later;
- a new kind of timed work (a snapshot's phases, a disk's, a VM's power transitions) plugs
  in with a kind name, a handler `(state, entity_id) -> None` in `engine.TIMED`, and a call
  to `state.schedule.at((kind, entity_id), when)` wherever its due time is set or moves.
Stale heap entries are compacted away when they outnumber the live ones, so the heap stays
proportional to what is pending, never to history.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from datetime import datetime

__all__ = ["Key", "Schedule"]

Key = tuple[str, str]  # (kind of work, entity id)


class Schedule:
    """A heap of `(when, sequence, key)` with one live entry per key."""

    def __init__(self) -> None:
        self._heap: list[tuple[datetime, int, Key]] = []
        self._live: dict[Key, tuple[datetime, int]] = {}
        self._sequence = 0

    def at(self, key: Key, when: datetime | None) -> None:
        """Schedule `key` at `when`, replacing its entry; None cancels it."""
        if when is None:
            self._live.pop(key, None)
            return
        current = self._live.get(key)
        if current is not None and current[0] == when:
            return
        self._sequence += 1
        self._live[key] = (when, self._sequence)
        heapq.heappush(self._heap, (when, self._sequence, key))
        if len(self._heap) > 2 * len(self._live) + 64:
            self._compact()

    def when(self, key: Key) -> datetime | None:
        """When `key` falls due, or None when nothing is scheduled for it."""
        entry = self._live.get(key)
        return entry[0] if entry else None

    def due(self, now: datetime) -> Iterator[Key]:
        """Pop and yield the keys due at `now`, earliest first, each at most once."""
        fired: set[Key] = set()
        deferred: list[Key] = []
        heap = self._heap
        while heap and heap[0][0] <= now:
            when, sequence, key = heapq.heappop(heap)
            if self._live.get(key) != (when, sequence):
                continue  # replaced or cancelled since
            if key in fired:  # due again within this call: left for the next one
                deferred.append(key)
                continue
            del self._live[key]
            fired.add(key)
            yield key
        for key in deferred:
            entry = self._live.get(key)
            if entry is not None:
                heapq.heappush(heap, (entry[0], entry[1], key))

    def clear(self) -> None:
        self._heap.clear()
        self._live.clear()

    def __len__(self) -> int:
        """Live entries: what is pending."""
        return len(self._live)

    def __contains__(self, key: object) -> bool:
        return key in self._live

    @property
    def heap_size(self) -> int:
        """Entries in the heap, stale ones included (bounded by about twice the live ones)."""
        return len(self._heap)

    def _compact(self) -> None:
        self._heap[:] = [(when, seq, key) for key, (when, seq) in self._live.items()]
        heapq.heapify(self._heap)  # in place: a `due()` under way keeps the same list
