"""What a test reads back about an image transfer: frozen records, safe to keep and compare.

    info = fake.transfer(transfer_id)
    assert info.phase == "finished_success"
    assert info.torn == 0, info.torn_requests        # no data request ended short

A record is copied under the engine lock when asked for, so it never changes under a test
while the server goes on answering; ask again for the latest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .core.model import DataRequest, ImageTransfer

__all__ = ["DataRequestInfo", "TransferInfo"]


@dataclass(frozen=True)
class DataRequestInfo:
    """One imageio data request (GET, PUT or PATCH of `/images/<ticket>`) as its bytes moved.

    `announced` is the body length it promised (a GET's Content-Length, a PUT's or PATCH's
    request Content-Length), `moved` the bytes that went. It is `torn` when its body ended
    short, and `reason` says why: `the client stopped reading` (a GET the client hung up
    on), `the request body ended early` (a PUT whose client stopped sending), or
    `Transfer <id> was canceled` (the transfer left `transferring` mid-body). `ended` is
    None while the request is still in flight.
    """

    method: str
    op: str  # read, write, zero or flush
    offset: int
    length: int
    announced: int
    moved: int
    torn: bool
    reason: str
    started: datetime
    ended: datetime | None

    @classmethod
    def of(cls, request: DataRequest) -> DataRequestInfo:
        """A record of the engine's accounting of `request`; call it under the engine lock."""
        return cls(
            request.method,
            request.op,
            request.offset,
            request.length,
            request.announced,
            request.moved,
            request.torn,
            request.reason,
            request.started,
            request.ended,
        )

    def line(self) -> str:
        """`GET read 0+4194304: torn, 1048576 of 4194304 bytes (the client stopped reading)`."""
        where = f"{self.method} {self.op} {self.offset}+{self.length}"
        if self.ended is None:
            return f"{where}: in flight, {self.moved} of {self.announced} bytes so far"
        if self.torn:
            return f"{where}: torn, {self.moved} of {self.announced} bytes ({self.reason})"
        return f"{where}: {self.moved} bytes"


@dataclass(frozen=True)
class TransferInfo:
    """An image transfer and the data requests made on its ticket, as of the moment asked.

    `requests`, `torn`, `announced` and `moved` count every finished data request of the
    transfer; `data_requests` keeps the latest 64 of them (and any in flight), oldest first.
    """

    id: str
    disk_id: str
    backup_id: str | None
    direction: str  # download or upload
    phase: str  # as the API shows it: transferring, finished_success, ...
    ticket: str
    transferred: int  # bytes the engine reports as transferred
    requests: int
    torn: int
    announced: int
    moved: int
    in_flight: int
    data_requests: tuple[DataRequestInfo, ...]

    @classmethod
    def of(cls, transfer: ImageTransfer) -> TransferInfo:
        """A record of `transfer`; call it under the engine lock."""
        totals = transfer.data_totals
        kept = tuple(DataRequestInfo.of(r) for r in transfer.data_requests)
        return cls(
            id=transfer.id,
            disk_id=transfer.disk_id,
            backup_id=transfer.backup_id,
            direction=transfer.direction,
            phase=transfer.phase.value,
            ticket=transfer.ticket,
            transferred=transfer.transferred,
            requests=totals.requests,
            torn=totals.torn,
            announced=totals.announced,
            moved=totals.moved,
            in_flight=sum(1 for r in kept if r.ended is None),
            data_requests=kept,
        )

    @property
    def torn_requests(self) -> tuple[DataRequestInfo, ...]:
        """The torn data requests among those kept (`torn` counts them all)."""
        return tuple(r for r in self.data_requests if r.torn)
