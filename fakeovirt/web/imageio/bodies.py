"""Data moving on the wire: a GET's body out of the ticket, a PUT's body into it.

Rules of this file:
- memory follows the chunk size, never the body: one chunk is read or written at a time;
- the lock is held for one chunk's ticket call, never while waiting on the client;
- every data request is accounted on its ticket (`DataTicket.begin`/`end`): bytes count as
  sent once the server asks for the next piece, as received once written to the ticket;
- a ticket that stops standing mid-body ends the request as the daemon's canceled operation
  does: a GET is cut (the connection closes under it), a PUT answers 403.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager

from fakeovirt.core.model import DataRequest

from .ticket import DataTicket
from .wire import Exchange, HttpError

__all__ = [
    "BODY_ENDED_EARLY",
    "CLIENT_STOPPED_READING",
    "FORBIDDEN",
    "ReadBody",
    "canceled",
    "receive",
]

CLIENT_STOPPED_READING = "the client stopped reading"
FORBIDDEN = "You are not allowed to access this resource: {}"  # errors.AuthorizationError
BODY_ENDED_EARLY = "the request body ended early"
_JOINED = 16 * 1024  # a chunk this small goes out as one piece: one write, not one per piece


def canceled(ticket: DataTicket) -> str:
    """The daemon's text for an operation on a ticket that went away (`auth.py:193-215`)."""
    return f"Transfer {ticket.transfer_id} was canceled"


class ReadBody(Iterator[bytes]):
    """A GET's body: ``length`` bytes from ``offset``, read a chunk at a time and sent in the
    pieces the ticket gives (no join, no copy here, except of a small chunk's pieces),
    accounted as the server takes them."""

    def __init__(
        self,
        ticket: DataTicket,
        lock: AbstractContextManager[object],
        request: DataRequest,
        chunk: int,
        ended: Callable[[], None] | None = None,
    ) -> None:
        """`ended()` is called once the request is accounted, under `lock`."""
        self._ticket = ticket
        self._lock = lock
        self._request = request
        self._chunk = chunk
        self._pos = request.offset
        self._end = request.offset + request.length
        self._pieces: deque[bytes] = deque()
        self._pending = 0  # bytes of the piece the server holds, not known to be sent
        self._done = False
        self._ended = ended

    def __next__(self) -> bytes:
        if self._done:
            raise StopIteration
        self._request.moved += self._pending  # asked again: the last piece went out
        self._pending = 0
        if not self._pieces:
            with self._lock:
                if self._pos >= self._end:
                    self._finish("")
                    raise StopIteration
                if not self._ticket.live:
                    reason = canceled(self._ticket)
                    self._finish(reason)
                    raise ConnectionAbortedError(reason)
                length = min(self._chunk, self._end - self._pos)
                pieces = self._ticket.read_pieces(self._pos, length)
                if length <= _JOINED:
                    self._pieces.append(b"".join(pieces))
                else:
                    self._pieces.extend(pieces)
            self._pos += length
        piece = self._pieces.popleft()
        self._pending = len(piece)
        return piece

    def close(self) -> None:
        """WSGI's close: a body closed before its end was cut short on the client's side."""
        if not self._done:
            with self._lock:
                self._finish(CLIENT_STOPPED_READING)

    def _finish(self, reason: str) -> None:
        self._done = True
        self._ticket.end(self._request, reason)
        if self._ended is not None:
            self._ended()


def receive(
    exchange: Exchange,
    ticket: DataTicket,
    lock: AbstractContextManager[object],
    request: DataRequest,
    chunk: int,
) -> int:
    """Write a PUT's body into the ticket chunk by chunk; answer how many bytes arrived.

    A fresh buffer per chunk: the content may keep what it is given.
    """
    done, reason = 0, ""
    try:
        while done < request.length:
            buffer = bytearray(min(chunk, request.length - done))
            count = exchange.readinto(buffer)
            if count:
                with lock:
                    if not ticket.live:
                        reason = canceled(ticket)
                        exchange.close_connection()
                        raise HttpError(403, FORBIDDEN.format(reason))
                    ticket.write(
                        request.offset + done,
                        buffer if count == len(buffer) else memoryview(buffer)[:count],
                    )
                    request.moved += count
                done += count
            if count < len(buffer):
                reason = BODY_ENDED_EARLY
                break
    finally:
        with lock:
            ticket.end(request, reason)
    return done
