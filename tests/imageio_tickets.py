"""Tickets for testing the imageio app alone: each call checks that it runs under the lock."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime

from fakeovirt.core.content import (
    ContentView,
    DirtyExtent,
    DiskContent,
    UnsupportedExtents,
    ZeroExtent,
)
from fakeovirt.core.model import DataRequest
from fakeovirt.web.imageio import TicketNotFound

__all__ = ["OwnedLock", "Ticket", "Tickets"]

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


class OwnedLock:
    """A lock that can tell whether the calling thread holds it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._owner: int | None = None

    def __enter__(self) -> OwnedLock:
        self._lock.acquire()
        self._owner = threading.get_ident()
        return self

    def __exit__(self, *exc: object) -> None:
        self._owner = None
        self._lock.release()

    def held(self) -> bool:
        return self._owner == threading.get_ident()


@dataclass
class Ticket:
    """A `DataTicket` over a disk or a view; `requests` are its data requests, in order."""

    source: DiskContent | ContentView
    lock: OwnedLock
    writable: bool = False
    readable: bool = True
    dirty_since: int | None = None
    transfer_id: str = "transfer-1"
    inactivity_timeout: int = 60
    live: bool = True
    piece: int = 1 << 30
    flushes: int = 0
    bytes_read: int = 0
    zeroed: list[tuple[int, int]] = field(default_factory=list)
    requests: list[DataRequest] = field(default_factory=list)

    @property
    def size(self) -> int:
        assert self.lock.held()
        return self.source.size

    def read(self, offset: int, length: int) -> bytes:
        return b"".join(self.read_pieces(offset, length))

    def read_pieces(self, offset: int, length: int) -> list[bytes]:
        """The bytes in pieces of at most ``piece`` bytes, as a content of stored blocks."""
        assert self.lock.held()
        self.bytes_read += length
        data = self.source.read(offset, length)
        return [data[i : i + self.piece] for i in range(0, length, self.piece)]

    def write(self, offset: int, data: bytes | bytearray | memoryview) -> None:
        assert self.lock.held()
        assert isinstance(self.source, DiskContent)
        self.source.write(offset, data)

    def zero(self, offset: int, length: int) -> None:
        assert self.lock.held()
        assert isinstance(self.source, DiskContent)
        self.zeroed.append((offset, length))
        self.source.zero(offset, length)

    def flush(self) -> None:
        assert self.lock.held()
        self.flushes += 1

    def zero_extents(self) -> list[ZeroExtent]:
        assert self.lock.held()
        return self.source.zero_extents()

    def dirty_extents(self) -> list[DirtyExtent]:
        assert self.lock.held()
        if self.dirty_since is None:
            raise UnsupportedExtents("Ticket does not support dirty extents")
        return self.source.dirty_extents(self.dirty_since)

    def begin(self, method: str, op: str, offset: int, length: int, announced: int) -> DataRequest:
        assert self.lock.held()
        request = DataRequest(method, op, offset, length, announced, started=EPOCH)
        self.requests.append(request)
        return request

    def end(self, request: DataRequest, reason: str = "") -> None:
        assert self.lock.held()
        assert request.ended is None, "a request ends once"
        request.ended = EPOCH
        request.torn = request.moved < request.announced
        request.reason = reason if request.torn else ""


class Tickets(dict[str, Ticket]):
    """The tickets an app serves, with the resolver the app calls."""

    def __init__(self, lock: OwnedLock) -> None:
        super().__init__()
        self.lock = lock

    def resolve(self, ticket_id: str) -> Ticket:
        assert self.lock.held()
        try:
            return self[ticket_id]
        except KeyError:
            raise TicketNotFound() from None
