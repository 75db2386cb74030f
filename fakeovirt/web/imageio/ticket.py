"""What the imageio endpoint needs from a ticket, and how a resolver refuses one."""

from __future__ import annotations

from typing import Protocol

from fakeovirt.core.content import DirtyExtent, ZeroExtent
from fakeovirt.core.model import DataRequest

__all__ = ["DataTicket", "TicketNotFound"]


class TicketNotFound(Exception):
    """Raised by the resolver for a ticket that does not stand; the text says why."""


class DataTicket(Protocol):
    """A transfer's ticket as the endpoint uses it; every call is made under the app's lock.

    `core.tickets.TransferTicket` is the engine's; tests bring their own.
    """

    @property
    def transfer_id(self) -> str: ...
    @property
    def size(self) -> int: ...
    @property
    def readable(self) -> bool: ...
    @property
    def writable(self) -> bool: ...
    @property
    def inactivity_timeout(self) -> int: ...
    @property
    def live(self) -> bool: ...
    def read(self, offset: int, length: int) -> bytes: ...
    def read_pieces(self, offset: int, length: int) -> list[bytes]: ...  # to send, in order
    def write(self, offset: int, data: bytes | bytearray | memoryview) -> None: ...
    def zero(self, offset: int, length: int) -> None: ...
    def flush(self) -> None: ...
    def zero_extents(self) -> list[ZeroExtent]: ...
    def dirty_extents(self) -> list[DirtyExtent]: ...  # raises UnsupportedExtents
    def begin(
        self, method: str, op: str, offset: int, length: int, announced: int
    ) -> DataRequest: ...
    def end(self, request: DataRequest, reason: str = "") -> None: ...
