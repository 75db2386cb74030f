"""The request journal: every exchange the server answered, in order.

`FakeOvirt.journal` is what tests assert on ("finalize was called once"); the control
plane serves it as JSON for users outside Python.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from threading import Lock
from typing import Any

__all__ = ["Exchange", "Journal"]


@dataclass(frozen=True)
class Exchange:
    """One request and the answer it got."""

    index: int
    method: str
    path: str
    query: str
    status: int
    user: str | None
    request_body: bytes
    response_body: bytes
    endpoint: str | None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["request_body"] = self.request_body.decode("utf-8", "replace")
        data["response_body"] = self.response_body.decode("utf-8", "replace")
        return data


class Journal:
    """A thread-safe, append-only record of exchanges, cleared by reset."""

    def __init__(self, *, keep_bodies_up_to: int = 64 * 1024) -> None:
        self._entries: list[Exchange] = []
        self._lock = Lock()
        self._limit = keep_bodies_up_to

    def record(
        self,
        *,
        method: str,
        path: str,
        query: str,
        status: int,
        user: str | None,
        request_body: bytes,
        response_body: bytes,
        endpoint: str | None,
    ) -> Exchange:
        with self._lock:
            exchange = Exchange(
                index=len(self._entries) + 1,
                method=method,
                path=path,
                query=query,
                status=status,
                user=user,
                request_body=request_body[: self._limit],
                response_body=response_body[: self._limit],
                endpoint=endpoint,
            )
            self._entries.append(exchange)
            return exchange

    @property
    def entries(self) -> list[Exchange]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
