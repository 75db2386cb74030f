"""The request journal: the exchanges the server answered, in order, and assertions on it.

`FakeOvirt.journal` is what tests assert on ("finalize was called once", "these calls came
in this order"); the control plane serves it as JSON for users outside Python. An imageio
data request (a GET, PUT or PATCH of `/images/<ticket>`) is one entry when it ends, without
its bytes: its `data` says which transfer, what it announced, what moved and whether it was
torn (`#9 GET /images/t -> 206 [read 0+8388608: torn, 65536 of 8388608 bytes (the client
stopped reading)]`); the daemon's other requests (OPTIONS, extents, checksum) are not kept.

The journal is a bounded ring, so a server that answers for hours stays small: it keeps the
latest `size` exchanges (default 5,000; `dropped` counts those that left) and the bodies of
the latest ones up to `body_budget` bytes in all (default 8 MiB; older exchanges keep their
method, path, query, status and user, with empty bodies and `bodies_dropped` set). A reset
clears it, so the pytest plugin's per-test journal holds the whole test unless the test sends
more than `size` requests. What an exchange costs the ring is kept small: a kept exchange is a
tuple (its `Exchange` is made when read), a body kept whole is the answer's own bytes, and a
method, path or query the client repeats is one string. Unrouted exchanges are also kept apart
(up to `size`), so the plugin's check for requests no endpoint serves never misses one.

Paths in assertions (and in fault rules) are globs (`*` matches anything, `/` included),
relative to `/ovirt-engine/api` unless they start with `/ovirt-engine/`, `/images` or
`/fakeovirt/`: `"POST /vms/*/backups"` means `POST /ovirt-engine/api/vms/<any>/backups`.
"""

from __future__ import annotations

import difflib
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass
from fnmatch import fnmatchcase
from threading import Lock
from typing import Any

__all__ = [
    "API_PREFIX",
    "ENVIRON_ENDPOINT",
    "ENVIRON_FAULTS",
    "ENVIRON_USER",
    "Call",
    "DataMoved",
    "Exchange",
    "Journal",
    "full_pattern",
    "path_matches",
]

API_PREFIX = "/ovirt-engine/api"
# What a route or the fault hook tells the journal through the WSGI environ:
ENVIRON_USER = "fakeovirt.user"  # the authenticated user (extra routes authenticate themselves)
ENVIRON_ENDPOINT = "fakeovirt.endpoint"  # the endpoint's name, e.g. "control.reset"
ENVIRON_FAULTS = "fakeovirt.faults"  # the names of the faults applied, in order
_ABSOLUTE = ("/ovirt-engine/", "/images", "/fakeovirt/")
_SHOWN = 30  # journal lines shown in a failed assertion
DEFAULT_SIZE = 5_000  # exchanges kept
DEFAULT_BODY_BUDGET = 8 << 20  # bytes of request and response bodies kept in all
DEFAULT_BODY_LIMIT = 64 << 10  # bytes kept of each body


def full_pattern(pattern: str) -> str:
    """A user's path glob as a glob on the full request path (see the module docstring)."""
    if not pattern.startswith(_ABSOLUTE):
        pattern = API_PREFIX + ("/" + pattern.lstrip("/") if pattern.strip("/") else "")
    return pattern.rstrip("/") or "/"


def path_matches(pattern: str, path: str) -> bool:
    """Whether a request path matches a user's path glob; a trailing slash never matters."""
    return fnmatchcase(path.rstrip("/") or "/", full_pattern(pattern))


@dataclass(frozen=True, slots=True)
class DataMoved:
    """What an imageio data request moved, on the journal entry of that request.

    `torn`: fewer bytes moved than the request `announced` (its Content-Length); `reason`
    says why (the client stopped reading, the body ended early, the transfer was canceled).
    """

    transfer: str
    op: str  # read, write, zero or flush
    offset: int
    length: int
    announced: int
    moved: int
    torn: bool
    reason: str

    def describe(self) -> str:
        """`read 0+8388608: 8388608 bytes` or `...: torn, 65536 of 8388608 bytes (why)`."""
        where = f"{self.op} {self.offset}+{self.length}"
        if self.torn:
            return f"{where}: torn, {self.moved} of {self.announced} bytes ({self.reason})"
        return f"{where}: {self.moved} bytes"


@dataclass(frozen=True, slots=True)
class Exchange:
    """One request and the answer it got; `status` 0 means the connection was dropped.

    `bodies_dropped`: the journal let go of the bodies to stay within its body budget;
    `data`: on an imageio data request, what it moved (its bytes are never kept).
    """

    index: int
    method: str
    path: str
    query: str
    status: int
    user: str | None
    request_body: bytes
    response_body: bytes
    endpoint: str | None
    faults: tuple[str, ...] = ()
    routed: bool = True  # False: no endpoint could answer (a 404 or 405 for the path itself)
    bodies_dropped: bool = False
    data: DataMoved | None = None

    def to_dict(self, *, bodies: bool = True) -> dict[str, Any]:
        """The control plane's JSON form; bodies as text unless `bodies` is false."""
        data = asdict(self)
        data["faults"] = list(self.faults)
        if self.data is None:
            del data["data"]
        if bodies:
            data["request_body"] = self.request_body.decode("utf-8", "replace")
            data["response_body"] = self.response_body.decode("utf-8", "replace")
        else:
            del data["request_body"], data["response_body"]
        return data

    def line(self) -> str:
        """`#3 POST /ovirt-engine/api/vms/x/backups?use_active=true -> 201`, for messages."""
        query = f"?{self.query}" if self.query else ""
        answer = str(self.status) if self.status else "dropped"
        notes = [*self.faults, *([] if self.routed else ["no endpoint"])]
        if self.data is not None:
            notes.append(self.data.describe())
        extra = f" [{', '.join(notes)}]" if notes else ""
        return f"#{self.index} {self.method} {self.path}{query} -> {answer}{extra}"


@dataclass(frozen=True)
class Call:
    """What an assertion looks for: `"POST /vms/*/backups"`, `"/vms"` or `"GET"`."""

    method: str | None
    path: str | None
    status: int | None = None
    query: str | None = None

    @classmethod
    def parse(cls, spec: str, *, status: int | None = None, query: str | None = None) -> Call:
        """A call from a user's spec; a malformed one is a `ValueError` saying the forms."""
        __tracebackhide__ = True
        words = spec.split()
        if len(words) > 2 or not words:
            raise ValueError(f"expected 'METHOD /path', '/path' or 'METHOD', got {spec!r}")
        if len(words) == 2:
            return cls(words[0].upper(), words[1], status, query)
        if words[0].startswith("/"):
            return cls(None, words[0], status, query)
        return cls(words[0].upper(), None, status, query)

    def mismatches(self, exchange: Exchange) -> list[str]:
        """What keeps `exchange` from matching, in words; empty when it matches."""
        out = []
        if self.method is not None and exchange.method != self.method:
            out.append(f"method {exchange.method} != {self.method}")
        if self.path is not None and not path_matches(self.path, exchange.path):
            out.append(f"path does not match {full_pattern(self.path)}")
        if self.status is not None and exchange.status != self.status:
            out.append(f"status {exchange.status} != {self.status}")
        if self.query is not None and not fnmatchcase(exchange.query, self.query):
            out.append(f"query {exchange.query!r} does not match {self.query!r}")
        return out

    def __str__(self) -> str:
        words = [self.method or "*", full_pattern(self.path) if self.path else "*"]
        if self.query is not None:
            words.append(f"query={self.query!r}")
        if self.status is not None:
            words.append(f"status={self.status}")
        return " ".join(words)


# One kept exchange: `Exchange`'s fields in order. A tuple of strings, numbers and bytes costs
# less to make than an `Exchange` and the garbage collector stops looking at it; the
# `Exchange` is made when someone reads the journal.
_Row = tuple[
    int,
    str,
    str,
    str,
    int,
    "str | None",
    bytes,
    bytes,
    "str | None",
    tuple[str, ...],
    bool,
    bool,
    "DataMoved | None",
]
_SHARED = 512  # methods, paths and queries kept as one string each (a client repeats them)


class Journal:
    """A thread-safe ring of the latest exchanges, cleared by reset (see the module doc)."""

    def __init__(
        self,
        *,
        size: int = DEFAULT_SIZE,
        body_budget: int = DEFAULT_BODY_BUDGET,
        keep_bodies_up_to: int = DEFAULT_BODY_LIMIT,
    ) -> None:
        if size < 1:
            raise ValueError("the journal keeps at least 1 exchange")
        if body_budget < 0 or keep_bodies_up_to < 0:
            raise ValueError("body sizes must not be negative")
        self.size = size
        self.body_budget = body_budget
        self._limit = keep_bodies_up_to
        self._lock = Lock()
        self._rows: deque[_Row] = deque()
        self._unrouted: deque[_Row] = deque(maxlen=size)
        self._with_bodies: deque[int] = deque()  # indexes of kept rows with bodies, oldest first
        self._body_bytes = 0
        self._next = 1
        self.dropped = 0  # exchanges that left the ring since the last reset
        self.bodies_dropped = 0  # exchanges whose bodies left, to keep within the budget
        self._watchers: list[Callable[[Exchange], None]] = []
        self._listeners: list[Callable[[int, str, str, int], None]] = []
        self._shared: dict[str, str] = {}

    def watch(self, watcher: Callable[[Exchange], None]) -> None:
        """Call `watcher(exchange)` after each exchange is recorded (outside the journal's
        lock, on the thread that answered)."""
        self._watchers.append(watcher)

    def listen(self, listener: Callable[[int, str, str, int], None]) -> None:
        """Call `listener(index, method, path, status)` after each exchange is recorded, as
        `watch` would, without making an `Exchange`: for what runs on every request."""
        self._listeners.append(listener)

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
        faults: tuple[str, ...] = (),
        routed: bool = True,
        data: DataMoved | None = None,
    ) -> int:
        """Keep one exchange (bodies cut to `keep_bodies_up_to` bytes); tell the watchers.
        Returns the exchange's index."""
        limit = self._limit
        if len(request_body) > limit:
            request_body = request_body[:limit]
        if len(response_body) > limit:
            response_body = response_body[:limit]
        weight = len(request_body) + len(response_body)
        with self._lock:
            shared = self._shared
            if len(shared) > _SHARED:
                shared.clear()
            method = shared.setdefault(method, method)
            path = shared.setdefault(path, path)
            query = shared.setdefault(query, query)
            index = self._next
            self._next = index + 1
            row: _Row = (
                index,
                method,
                path,
                query,
                status,
                user,
                request_body,
                response_body,
                endpoint,
                faults,
                routed,
                False,
                data,
            )
            self._rows.append(row)
            if not routed:
                self._unrouted.append(row)
            if weight:
                self._with_bodies.append(index)
                self._body_bytes += weight
            if len(self._rows) > self.size or self._body_bytes > self.body_budget:
                self._bound()
        for listener in self._listeners:
            listener(index, method, path, status)
        if self._watchers:
            exchange = Exchange(*row)
            for watcher in self._watchers:
                watcher(exchange)
        return index

    def _bound(self) -> None:
        """Drop the oldest exchanges past `size`, then the oldest bodies past the budget."""
        rows, with_bodies = self._rows, self._with_bodies
        while len(rows) > self.size:
            old = rows.popleft()
            self.dropped += 1
            if with_bodies and with_bodies[0] == old[0]:
                with_bodies.popleft()
                self._body_bytes -= _weight(old)
        while self._body_bytes > self.body_budget and with_bodies:
            position = with_bodies.popleft() - rows[0][0]
            old = rows[position]
            self._body_bytes -= _weight(old)
            rows[position] = _without_bodies(old)
            self.bodies_dropped += 1

    @property
    def entries(self) -> list[Exchange]:
        """The exchanges kept, oldest first."""
        with self._lock:
            rows = list(self._rows)
        return [Exchange(*row) for row in rows]

    def clear(self) -> None:
        """Forget every exchange; indexes start again at 1."""
        with self._lock:
            self._rows.clear()
            self._shared.clear()
            self._unrouted.clear()
            self._with_bodies.clear()
            self._body_bytes = 0
            self._next = 1
            self.dropped = 0
            self.bodies_dropped = 0

    @property
    def body_bytes(self) -> int:
        """Bytes of bodies kept now (at most `body_budget`)."""
        with self._lock:
            return self._body_bytes

    def __len__(self) -> int:
        with self._lock:
            return len(self._rows)

    # -- queries and assertions --------------------------------------------------------
    def requests(
        self, spec: str = "*", *, status: int | None = None, query: str | None = None
    ) -> list[Exchange]:
        """The exchanges matching `spec` ("METHOD /path", "/path" or "METHOD"; "*": all)."""
        if spec.strip() == "*":
            call = Call(None, None, status, query)
        else:
            call = Call.parse(spec, status=status, query=query)
        return [e for e in self.entries if not call.mismatches(e)]

    def torn(self) -> list[Exchange]:
        """The imageio data requests that ended short of what they announced."""
        return [e for e in self.entries if e.data is not None and e.data.torn]

    def unrouted(self) -> list[Exchange]:
        """Requests that no endpoint could answer: a path or method fakeovirt does not serve
        (kept even when the ring has dropped them, up to `size`)."""
        with self._lock:
            rows = list(self._unrouted)
        return [Exchange(*row) for row in rows]

    def assert_request_made(
        self,
        spec: str,
        *,
        count: int | None = 1,
        status: int | None = None,
        query: str | None = None,
    ) -> list[Exchange]:
        """Assert `spec` was requested `count` times (None: at least once); return them.

        On failure the message lists the most similar requests and what differs in each.
        """
        __tracebackhide__ = True
        call = Call.parse(spec, status=status, query=query)
        entries = self.entries
        found = [e for e in entries if not call.mismatches(e)]
        if (count is None and found) or len(found) == count:
            return found
        wanted = "at least 1" if count is None else str(count)
        raise AssertionError(
            f"expected {wanted} request(s) matching {call}, found {len(found)}\n"
            + _similar(call, entries, found)
            + _listing(entries, self.dropped)
        )

    def assert_no_request(self, spec: str, *, status: int | None = None) -> None:
        """Assert nothing matching `spec` was requested."""
        __tracebackhide__ = True
        self.assert_request_made(spec, count=0, status=status)

    def assert_in_order(self, *specs: str) -> list[Exchange]:
        """Assert requests matching `specs` came in this order (others may come between)."""
        __tracebackhide__ = True
        calls = [Call.parse(spec) for spec in specs]
        entries = self.entries
        matched: list[Exchange] = []
        position = 0
        for call in calls:
            hit = next((e for e in entries[position:] if not call.mismatches(e)), None)
            if hit is None:
                pairs = zip(calls, matched, strict=False)
                done = "".join(f"  ok   {c}  ({e.line()})\n" for c, e in pairs)
                after = f" after #{matched[-1].index}" if matched else ""
                raise AssertionError(
                    f"requests not in the expected order: no {call}{after}\n"
                    + done
                    + f"  MISS {call}\n"
                    + _similar(call, entries[position:], [])
                    + _listing(entries, self.dropped)
                )
            matched.append(hit)
            position = entries.index(hit) + 1
        return matched

    def format(self) -> str:
        """The journal as lines, one per exchange."""
        return "\n".join(e.line() for e in self.entries)


def _similar(call: Call, entries: list[Exchange], found: list[Exchange]) -> str:
    """The requests closest to `call`, with what differs, closest first."""
    others = [e for e in entries if e not in found]
    if not others:
        return ""
    target = f"{call.method or ''} {full_pattern(call.path) if call.path else ''}"

    def score(e: Exchange) -> float:
        near = difflib.SequenceMatcher(None, target, f"{e.method} {e.path}").ratio()
        return len(call.mismatches(e)) - near

    lines = [
        f"  {e.line()}: {'; '.join(call.mismatches(e))}" for e in sorted(others, key=score)[:5]
    ]
    return "similar requests:\n" + "\n".join(lines) + "\n"


def _listing(entries: list[Exchange], dropped: int = 0) -> str:
    shown = entries[-_SHOWN:]
    older = f", {dropped} older ones dropped" if dropped else ""
    head = f"journal ({len(entries)} requests{older}" + (
        f", last {_SHOWN} shown):\n" if len(entries) > _SHOWN else "):\n"
    )
    return head + "\n".join(f"  {e.line()}" for e in shown)


def _weight(row: _Row) -> int:
    return len(row[6]) + len(row[7])


def _without_bodies(row: _Row) -> _Row:
    index, method, path, query, status, user, _, _, endpoint, faults, routed, _, data = row
    kept = (index, method, path, query, status, user)
    return (*kept, b"", b"", endpoint, faults, routed, True, data)
