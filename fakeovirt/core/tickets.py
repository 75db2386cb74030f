"""Tickets: the imageio side of an image transfer, valid only while it is transferring.

Rules of this file:
- a ticket answers only while its transfer is `transferring`; otherwise it is unknown, as a
  ticket the engine removed from the daemon (403 ``No such ticket <id>``);
- a backup transfer reads the backup's frozen view (its snapshot's volume on the snapshot
  path); a plain one what `backends.source` gives: guest data, a layer, or a volume's file;
- every read, write or zero counts as client activity for the engine's inactivity timeout;
- every data request (GET, PUT, PATCH) is accounted on its transfer: what it announced, what
  moved, whether it was torn; the transfer keeps the last `DATA_REQUESTS_KEPT` and totals;
- all reads of content go through `_pieces`, the one place that touches the content API.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from . import backends
from . import messages as msg
from .backends import FileImage
from .content import DirtyExtent, DiskContent, UnsupportedExtents, ZeroExtent
from .errors import Forbidden
from .model import DataRequest, ImageTransfer
from .phases import TransferPhase
from .state import State
from .transfers import advance

__all__ = ["TransferTicket", "data_summary", "ticket"]

_ZEROS = bytes(1024 * 1024)  # zeros are sent from here


def ticket(state: State, ticket_id: str) -> TransferTicket:
    """The imageio side of a transfer, valid only while it is transferring."""
    transfer = state.transfer_by_ticket(ticket_id)
    if transfer is not None:
        advance(state, transfer)
        if transfer.phase is TransferPhase.TRANSFERRING:
            return TransferTicket(state, transfer)
    raise Forbidden(msg.TICKET_NOT_FOUND.format(id=ticket_id))


def _pieces(source: backends.Source | FileImage, offset: int, length: int) -> list[bytes]:
    """The bytes at ``[offset, offset + length)`` of a disk, a view or a file, in pieces.

    Pieces are sent as they are, never joined: a whole stored block is the very ``bytes``
    stored and zeros come from one shared buffer, so sending them copies nothing; only part
    of a block (a range's edge, a patched or seeded block) is copied, that part alone. A
    volume's qcow2 file is made for the range asked.
    """
    if isinstance(source, FileImage):
        return [source.read(offset, length)]
    pieces: list[bytes] = []
    for part in source.iter_chunks(offset, length):
        if isinstance(part, int):
            whole, rest = divmod(part, len(_ZEROS))
            pieces.extend([_ZEROS] * whole)
            if rest:
                pieces.append(bytes(rest))
        elif isinstance(part.obj, bytes) and part.nbytes == len(part.obj):
            pieces.append(part.obj)
        else:
            pieces.append(part.tobytes())
    return pieces


class TransferTicket:
    """A ticket over a transfer: a backup's view, or the disk's live content."""

    def __init__(self, state: State, transfer: ImageTransfer) -> None:
        self._state = state
        self._transfer = transfer
        transfer.last_activity = state.now()
        disk = state.disks[transfer.disk_id]
        backup = state.backups.get(transfer.backup_id or "")
        self._source: backends.Source | FileImage = disk.content
        self._dirty_since: int | None = None
        if backup is not None:
            self._source = backup.views.get(disk.id, disk.content)
            checkpoint = state.checkpoints.get(backup.from_checkpoint_id or "")
            if backup.backup_modes.get(disk.id) == "incremental" and checkpoint is not None:
                self._dirty_since = checkpoint.marks.get(disk.id)
        else:
            self._source = backends.source(state, transfer)
        self._target = self._source if isinstance(self._source, DiskContent) else None
        self._size = self._source.size
        if transfer.file is not None and self._source is transfer.file:
            self._size = backends.upload_size(disk)  # the file may grow to this

    @property
    def transfer_id(self) -> str:
        return self._transfer.id

    @property
    def size(self) -> int:
        return self._size

    @property
    def readable(self) -> bool:
        return self._transfer.direction == "download"

    @property
    def writable(self) -> bool:
        return self._transfer.direction == "upload"

    @property
    def inactivity_timeout(self) -> int:
        """Seconds a connection may stay silent (the engine gives the daemon this value)."""
        return self._transfer.inactivity_timeout

    @property
    def live(self) -> bool:
        """Whether the ticket still stands: its transfer is still transferring."""
        return self._transfer.phase is TransferPhase.TRANSFERRING

    def read(self, offset: int, length: int) -> bytes:
        pieces = self.read_pieces(offset, length)
        return pieces[0] if len(pieces) == 1 else b"".join(pieces)

    def read_pieces(self, offset: int, length: int) -> list[bytes]:
        pieces = _pieces(self._source, offset, length)
        self._transfer.transferred += length
        self._touch()
        return pieces

    def write(self, offset: int, data: bytes | bytearray | memoryview) -> None:
        self._writable().write(offset, data)
        self._transfer.transferred += len(data)
        self._reached(offset + memoryview(data).nbytes)
        self._touch()

    def zero(self, offset: int, length: int) -> None:
        self._writable().zero(offset, length)
        self._reached(offset + length)
        self._touch()

    def _writable(self) -> DiskContent:
        if self._target is None:  # an upload ticket always writes a disk or an upload's file
            raise RuntimeError(f"transfer {self._transfer.id} has nothing to write to")
        return self._target

    def _reached(self, end: int) -> None:
        """The end of an uploaded file: how much of it a FILE upload's finalize reads."""
        self._transfer.file_end = max(self._transfer.file_end, end)

    def flush(self) -> None:
        """Content is in memory; nothing to flush."""
        self._touch()

    def zero_extents(self) -> list[ZeroExtent]:
        return self._source.zero_extents()

    def dirty_extents(self) -> list[DirtyExtent]:
        if self._dirty_since is None or isinstance(self._source, FileImage):
            raise UnsupportedExtents("Ticket does not support dirty extents")
        return self._source.dirty_extents(self._dirty_since)

    def begin(self, method: str, op: str, offset: int, length: int, announced: int) -> DataRequest:
        """Start accounting a data request; the web layer updates ``moved`` as bytes go."""
        request = DataRequest(method, op, offset, length, announced, started=self._state.now())
        self._transfer.data_requests.append(request)
        return request

    def end(self, request: DataRequest, reason: str = "") -> None:
        """Close a data request; it is torn when fewer bytes moved than it announced."""
        request.ended = self._state.now()
        request.torn = request.moved < request.announced
        request.reason = reason if request.torn else ""
        totals = self._transfer.data_totals
        totals.requests += 1
        totals.announced += request.announced
        totals.moved += request.moved
        totals.torn += request.torn

    def _touch(self) -> None:
        self._transfer.last_activity = self._state.now()


def data_summary(transfer: ImageTransfer) -> dict[str, Any]:
    """What a transfer's data requests add up to, for the journal, the API and the dashboard.

    ``requests``, ``torn``, ``announced``, ``moved``: the transfer's finished data requests
    (all of them, not only the kept ones); ``in_flight``: those not finished yet;
    ``last_torn``: the last torn request kept, or None.
    """
    totals = transfer.data_totals
    torn = transfer.torn_requests
    return {
        "transfer": transfer.id,
        "requests": totals.requests,
        "torn": totals.torn,
        "announced": totals.announced,
        "moved": totals.moved,
        "in_flight": sum(1 for r in transfer.data_requests if r.ended is None),
        "last_torn": _describe(torn[-1]) if torn else None,
    }


def _describe(request: DataRequest) -> dict[str, Any]:
    return {
        "method": request.method,
        "op": request.op,
        "offset": request.offset,
        "length": request.length,
        "announced": request.announced,
        "moved": request.moved,
        "reason": request.reason,
        "started": _iso(request.started),
        "ended": _iso(request.ended),
    }


def _iso(when: datetime | None) -> str | None:
    return None if when is None else when.isoformat()
