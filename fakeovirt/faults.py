"""Declarative fault injection: the faults users name. `injection.py` makes them happen.

    with fake.inject(faults.http_error(503, method="POST", path="/vms/*/backups", times=1)):
        ...  # the next backup request gets a 503 <fault>; the one after works

Rules of this file:
- a rule matches by `method`, `path` (a glob, see `web/journal.py`) and `vm` (name or id);
  then `after` (let the first N matches through), `probability` (drawn from a generator
  seeded with `seed`) and `times` (at most N firings) decide whether it fires;
- latency rules add up; among the other rules the first that fires decides the answer;
- faults answer as the engine would: an XML `<fault>` with the engine's status, a phase the
  engine can show, or (a dropped connection) no answer at all;
- a rule whose effect could not happen (no backup was created) does not count as fired;
- nothing outlives a reset: `FakeOvirt.reset` clears the rules and what they wait for;
- a refused declaration is a `ValueError` saying what is allowed; under pytest it reads as
  that one line at the user's call, this file's frames hidden (`__tracebackhide__` below).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, TypedDict, Unpack

from .web.journal import API_PREFIX

__all__ = [
    "KINDS",
    "Fault",
    "Where",
    "backup_fails_at",
    "checkpoint_invalid",
    "drop_connection",
    "freeze_fails",
    "http_error",
    "latency",
    "not_found_after_create",
    "transfer_cancelled",
    "transfer_paused",
]


def _refused(excinfo: Any) -> bool:
    """Pytest hides this module's frames (the dataclass's own `__init__` included) from the
    traceback of a refused declaration, so the user sees their call and the message."""
    return excinfo is not None and bool(excinfo.errisinstance(ValueError))


__tracebackhide__ = _refused
INJECTED_ERROR = "Injected fault: the engine answered {status}"
MAX_LATENCY = 300.0  # seconds: beyond any client timeout worth testing, short of a hang
MAX_COUNT = 1_000_000_000  # times, after
MAX_SEED = 1 << 63
MAX_TEXT = 1000  # characters of a path glob, a VM name, a fault detail, a checkpoint id
_METHOD = re.compile(r"[A-Za-z]{1,16}")
FAILABLE_PHASES = ("initializing", "starting", "finalizing")
ANY_API = (API_PREFIX + "*",)
BACKUP_ADD = ("/vms/*/backups",)
TRANSFER_PATHS = ("/imagetransfers/*", "/images/*")


@dataclass(frozen=True)
class _Kind:
    """What a fault kind matches when the user does not say, and which parameters it takes."""

    method: str | None
    paths: tuple[str, ...]
    params: frozenset[str] = frozenset()
    required: frozenset[str] = frozenset()


KINDS: dict[str, _Kind] = {
    "freeze_fails": _Kind("POST", BACKUP_ADD),
    "backup_fails_at": _Kind("POST", BACKUP_ADD, frozenset({"phase"}), frozenset({"phase"})),
    "checkpoint_invalid": _Kind("POST", BACKUP_ADD, frozenset({"checkpoint"})),
    "not_found_after_create": _Kind("POST", (*BACKUP_ADD, "/imagetransfers")),
    "transfer_paused": _Kind(None, TRANSFER_PATHS),
    "transfer_cancelled": _Kind(None, TRANSFER_PATHS),
    "http_error": _Kind(None, ANY_API, frozenset({"status", "detail", "handled"})),
    "latency": _Kind(None, ANY_API, frozenset({"seconds"}), frozenset({"seconds"})),
    "drop_connection": _Kind(None, ANY_API, frozenset({"handled"})),
}
_WHERE = ("method", "path", "vm", "times", "after", "probability", "seed")
_PARAMS: dict[str, object] = {
    "status": None,
    "detail": None,
    "seconds": None,
    "phase": None,
    "checkpoint": None,
    "handled": False,
}


class Where(TypedDict, total=False):
    """Which requests a fault applies to, and how often."""

    method: str
    path: str
    vm: str
    times: int
    after: int
    probability: float
    seed: int


@dataclass(frozen=True)
class Fault:
    """One fault rule, as declared; immutable, so one object can be injected many times."""

    kind: str
    method: str | None = None
    path: str | None = None
    vm: str | None = None
    times: int | None = None
    after: int = 0
    probability: float = 1.0
    seed: int = 0
    status: int | None = None
    detail: str | None = None
    seconds: float | None = None
    phase: str | None = None
    checkpoint: str | None = None
    handled: bool = False

    def __post_init__(self) -> None:
        spec = KINDS.get(self.kind) if isinstance(self.kind, str) else None
        if spec is None:
            raise ValueError(f"unknown fault {self.kind!r}: use one of {', '.join(KINDS)}")
        given = {name for name, default in _PARAMS.items() if getattr(self, name) != default}
        if given - spec.params:
            extra = ", ".join(sorted(given - spec.params))
            raise ValueError(f"fault {self.kind} takes no {extra}")
        missing = [name for name in sorted(spec.required) if getattr(self, name) is None]
        if missing:
            raise ValueError(f"fault {self.kind} needs {', '.join(missing)}")
        for name, kind in _TYPES.items():
            value = getattr(self, name)
            if value is not None and (
                (isinstance(value, bool) and bool not in kind) or not isinstance(value, kind)
            ):
                raise ValueError(f"fault {self.kind}: {name} must be {_NAMES[kind]}, got {value!r}")
        for name in ("times", "after"):
            value = getattr(self, name)
            if value is not None and not 0 <= value <= MAX_COUNT:
                raise ValueError(f"{name} must be >= 0 and at most {MAX_COUNT}, got {value}")
        if not 0.0 <= self.probability <= 1.0:  # also refuses NaN
            raise ValueError("probability must be between 0 and 1")
        if not -MAX_SEED <= self.seed < MAX_SEED:
            raise ValueError(f"seed must be within ±{MAX_SEED}")
        if self.kind == "http_error" and not 400 <= (self.status or 0) <= 599:
            raise ValueError(f"http_error status must be 400..599, got {self.status}")
        if self.seconds is not None and not 0 <= self.seconds <= MAX_LATENCY:
            raise ValueError(f"latency seconds must be >= 0 and at most {MAX_LATENCY}")
        if self.method is not None and not _METHOD.fullmatch(self.method):
            raise ValueError(f"method must be an HTTP method such as GET, got {self.method!r:.40}")
        for name in ("path", "vm", "detail", "checkpoint"):
            value = getattr(self, name)
            if value is not None and (len(value) > MAX_TEXT or not value.isprintable()):
                raise ValueError(f"{name} must be at most {MAX_TEXT} printable characters")
        if self.phase is not None and self.phase not in FAILABLE_PHASES:
            raise ValueError(f"a backup can fail at {', '.join(FAILABLE_PHASES)}, not {self.phase}")

    @property
    def methods(self) -> str | None:
        """The method it matches: the declared one, else the kind's (None: any)."""
        return self.method.upper() if self.method else KINDS[self.kind].method

    @property
    def paths(self) -> tuple[str, ...]:
        """The path globs it matches: the declared one, else the kind's."""
        return (self.path,) if self.path else KINDS[self.kind].paths

    def to_dict(self) -> dict[str, Any]:
        """The control plane's JSON form: `{"fault": kind, ...}` with the non-default fields."""
        out: dict[str, Any] = {"fault": self.kind}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name != "kind" and value != f.default:
                out[f.name] = value
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Fault:
        """Build from `{"fault": "http_error", "status": 503, "path": "/vms/*/backups"}`."""
        if not isinstance(data, Mapping):
            raise ValueError(f"a fault is a JSON object, got {type(data).__name__}")
        known = {f.name: f for f in fields(cls) if f.name != "kind"}
        unknown = sorted(str(k) for k in data if k not in known and k != "fault")
        if unknown:
            raise ValueError(f"unknown fault keys: {', '.join(unknown)}")
        kind = data.get("fault")
        if not isinstance(kind, str):
            raise ValueError(f'a fault needs "fault": one of {", ".join(KINDS)}')
        values = {name: _typed(name, data[name]) for name in data if name != "fault"}
        return cls(kind, **values)


_TYPES: dict[str, tuple[type, ...]] = {
    "method": (str,),
    "path": (str,),
    "vm": (str,),
    "times": (int,),
    "after": (int,),
    "probability": (int, float),
    "seed": (int,),
    "status": (int,),
    "detail": (str,),
    "seconds": (int, float),
    "phase": (str,),
    "checkpoint": (str,),
    "handled": (bool,),
}


_NAMES = {
    (str,): "a string",
    (int,): "an integer",
    (int, float): "a number",
    (bool,): "true or false",
}


def _typed(name: str, value: Any) -> Any:
    wanted = _TYPES[name]
    if value is None and name in ("times", "vm", "method", "path", "detail", "checkpoint"):
        return None
    if (isinstance(value, bool) and bool not in wanted) or not isinstance(value, wanted):
        names = " or ".join(t.__name__ for t in wanted)
        raise ValueError(f"fault key {name!r} must be {names}, got {value!r:.60}")
    return value


# -- the named faults ----------------------------------------------------------------
def freeze_fails(**where: Unpack[Where]) -> Fault:
    """The guest agent cannot freeze the VM's filesystems during the backup this request adds."""
    return Fault("freeze_fails", **where)


def backup_fails_at(phase: str, **where: Unpack[Where]) -> Fault:
    """The backup this request adds fails when it would leave `phase` (starting, finalizing…)."""
    return Fault("backup_fails_at", phase=phase, **where)


def checkpoint_invalid(checkpoint: str | None = None, **where: Unpack[Where]) -> Fault:
    """The VM's checkpoints (or one) become invalid just before this request, as after a
    snapshot restore: an incremental backup from them is refused with the engine's 400."""
    return Fault("checkpoint_invalid", checkpoint=checkpoint, **where)


def not_found_after_create(**where: Unpack[Where]) -> Fault:
    """The first GET of what this request created answers 404, as a busy engine can."""
    return Fault("not_found_after_create", **where)


def transfer_paused(**where: Unpack[Where]) -> Fault:
    """The engine pauses the transferring image transfer this request touches (paused_system)."""
    return Fault("transfer_paused", **where)


def transfer_cancelled(**where: Unpack[Where]) -> Fault:
    """The engine cancels the transferring image transfer this request touches."""
    return Fault("transfer_cancelled", **where)


def http_error(
    status: int = 500,
    detail: str | None = None,
    *,
    handled: bool = False,
    **where: Unpack[Where],
) -> Fault:
    """Answer with an engine `<fault>` of `status`; `handled`: after the engine acted."""
    return Fault("http_error", status=status, detail=detail, handled=handled, **where)


def latency(seconds: float, **where: Unpack[Where]) -> Fault:
    """Answer `seconds` later (a real delay in the server thread; the clock does not move)."""
    return Fault("latency", seconds=seconds, **where)


def drop_connection(*, handled: bool = False, **where: Unpack[Where]) -> Fault:
    """Close the connection without an answer; `handled`: after the engine acted."""
    return Fault("drop_connection", handled=handled, **where)


# -- installed rules -------------------------------------------------------------------
