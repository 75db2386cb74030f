"""Tickets: the imageio side of an image transfer, valid only while it is transferring.

Rules of this file:
- a ticket answers only while its transfer is `transferring`; otherwise it is unknown (403);
- a backup transfer reads the backup's frozen view; a plain one the disk's live content;
- every read or write counts as client activity for the engine's inactivity timeout.
"""

from __future__ import annotations

from . import messages as msg
from .content import ContentView, DirtyExtent, DiskContent, UnsupportedExtents, ZeroExtent
from .errors import Forbidden
from .model import ImageTransfer
from .phases import TransferPhase
from .state import State
from .transfers import advance

__all__ = ["TransferTicket", "ticket"]


def ticket(state: State, ticket_id: str) -> TransferTicket:
    """The imageio side of a transfer, valid only while it is transferring."""
    transfer = state.transfer_by_ticket(ticket_id)
    if transfer is not None:
        advance(state, transfer)
        if transfer.phase is TransferPhase.TRANSFERRING:
            return TransferTicket(state, transfer)
    raise Forbidden(msg.TICKET_NOT_FOUND.format(id=ticket_id))


class TransferTicket:
    """An `ImageTicket` over a transfer: a backup's view, or the disk's live content."""

    def __init__(self, state: State, transfer: ImageTransfer) -> None:
        self._transfer = transfer
        self._now = state.now()
        transfer.last_activity = self._now
        disk = state.disks[transfer.disk_id]
        backup = state.backups.get(transfer.backup_id or "")
        self._source: DiskContent | ContentView = disk.content
        self._dirty_since: int | None = None
        if backup is not None:
            self._source = backup.views.get(disk.id, disk.content)
            checkpoint = state.checkpoints.get(backup.from_checkpoint_id or "")
            if backup.backup_modes.get(disk.id) == "incremental" and checkpoint is not None:
                self._dirty_since = checkpoint.marks.get(disk.id)
        self._content = disk.content

    @property
    def size(self) -> int:
        return self._source.size

    @property
    def readable(self) -> bool:
        return self._transfer.direction == "download"

    @property
    def writable(self) -> bool:
        return self._transfer.direction == "upload"

    def read(self, offset: int, length: int) -> bytes:
        data = self._source.read(offset, length)
        self._transfer.transferred += len(data)
        self._transfer.last_activity = self._now
        return data

    def write(self, offset: int, data: bytes) -> None:
        self._content.write(offset, data)
        self._transfer.transferred += len(data)
        self._transfer.last_activity = self._now

    def zero(self, offset: int, length: int) -> None:
        self._content.zero(offset, length)

    def flush(self) -> None:
        """Content is in memory; nothing to flush."""

    def zero_extents(self) -> list[ZeroExtent]:
        return self._source.zero_extents()

    def dirty_extents(self) -> list[DirtyExtent]:
        if self._dirty_since is None:
            raise UnsupportedExtents("Ticket does not support dirty extents")
        return self._source.dirty_extents(self._dirty_since)
