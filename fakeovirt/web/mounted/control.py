"""The control plane under `/fakeovirt/`: drive the fake with JSON over HTTP, from any language.

Rules of this file:
- the API's credentials (an SSO bearer token or HTTP Basic) are required on every route;
- JSON in, JSON out; a refusal is `{"error": ..., "detail": ...}` with a 4xx, never a 500;
- a body is parsed first (malformed JSON is `bad_json` before any other check), then every
  key and value is checked, and only then does anything change: a refused request leaves
  the engine, its journal and its fault rules exactly as they were;
- over HTTP a scenario file is named by a path ending in .toml or .json, and is read only
  if it is a regular file of bounded size (`core/scenario_file.py`);
- every route runs under the engine lock after a clock tick, as the API does;
- VMs and disks may be named by id or by name/alias, so shell scripts need no lookups.
The routes, with curl examples that the tests replay, are in `docs/control-plane.md`.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map
from werkzeug.wrappers import Request, Response

from fakeovirt.core.clock import ManualClock
from fakeovirt.core.errors import EngineError, Unauthorized
from fakeovirt.core.model import Backup, Disk, ImageTransfer, Vm
from fakeovirt.core.policy import TransitionPolicy
from fakeovirt.core.profile import Profile
from fakeovirt.core.scale import SCALE_PREFIX
from fakeovirt.core.scenario import BUILT_IN, Scenario
from fakeovirt.web.journal import ENVIRON_ENDPOINT, ENVIRON_USER
from fakeovirt.web.router import MatchingRule as Rule

from .control_input import Refused, bad_request, field, int_arg, keys, parse_body, parse_time
from .control_output import event_json, inventory_json, iso, phase_name

if TYPE_CHECKING:
    from fakeovirt.web.host import AppHost

__all__ = ["PREFIX", "ROUTES", "mount"]

PREFIX = "/fakeovirt/"
MAX_WRITE = 64 * 1024 * 1024
CLOCK_END = datetime(9000, 1, 1, tzinfo=UTC)  # past it, engine date arithmetic could overflow
SCENARIO_SUFFIXES = (".toml", ".json")
_GET, _POST, _PUT, _DELETE = ["GET"], ["POST"], ["PUT"], ["DELETE"]

ROUTES = Map(
    [
        Rule("/fakeovirt/", methods=_GET, endpoint="index"),
        Rule("/fakeovirt/reset", methods=_POST, endpoint="reset"),
        Rule("/fakeovirt/scenario", methods=_POST, endpoint="scenario"),
        Rule("/fakeovirt/inventory", methods=_GET, endpoint="inventory"),
        Rule("/fakeovirt/clock", methods=_GET + _POST, endpoint="clock"),
        Rule("/fakeovirt/policy", methods=_GET + _PUT, endpoint="policy"),
        Rule("/fakeovirt/profile", methods=_GET + _PUT, endpoint="profile"),
        Rule("/fakeovirt/release", methods=_POST, endpoint="release"),
        Rule("/fakeovirt/faults", methods=_GET + _POST + _DELETE, endpoint="faults"),
        Rule("/fakeovirt/disks/<disk>/writes", methods=_POST, endpoint="write"),
        Rule("/fakeovirt/vms/<vm>/freeze", methods=_GET + _PUT, endpoint="freeze"),
        Rule("/fakeovirt/history/<id>", methods=_GET, endpoint="history"),
        Rule("/fakeovirt/journal", methods=_GET, endpoint="journal"),
        Rule("/fakeovirt/events", methods=_GET, endpoint="events"),
    ],
    strict_slashes=False,
    merge_slashes=False,
)


def mount(app: AppHost) -> None:
    """Register the control plane's routes on `app.extra_routes`."""
    app.extra_routes[PREFIX] = ControlPlane(app)


class ControlPlane:
    """The `/fakeovirt/` routes of one app."""

    def __init__(self, app: AppHost) -> None:
        self.app = app

    def __call__(self, request: Request) -> Response:
        try:
            request.environ[ENVIRON_USER] = self.app.auth.user_for(request)
            adapter = ROUTES.bind("fakeovirt", path_info=request.path)
            endpoint, args = adapter.match(method=request.method)
            request.environ[ENVIRON_ENDPOINT] = f"control.{endpoint}"
            body = parse_body(request) if request.method in ("POST", "PUT") else None
            handler: Callable[..., Any] = getattr(self, f"_{endpoint}")
            with self.app.engine.lock:
                self.app.engine.tick()
                status, data = handler(request, body, **args)
        except Refused as refused:
            status, data = refused.status, {"error": refused.error, "detail": refused.detail}
        except Unauthorized as error:
            status, data = 401, {"error": "unauthorized", "detail": error.detail}
        except EngineError as error:
            status, data = (
                error.status,
                {"error": _ERRORS.get(error.status, "error"), "detail": error.detail},
            )
        except MethodNotAllowed as error:
            allowed = ", ".join(sorted(error.valid_methods or []))
            detail = f"{request.method} is not allowed on {request.path}; allowed: {allowed}"
            status, data = 405, {"error": "method_not_allowed", "detail": detail}
        except NotFound:
            detail = f"There is no control-plane route {request.path}; GET {PREFIX} lists them"
            status, data = 404, {"error": "not_found", "detail": detail}
        return Response(json.dumps(data), status, content_type="application/json")

    # -- routes: each checks all its input first, then acts; returns (status, JSON data) ---
    def _index(self, request: Request, body: Any) -> tuple[int, Any]:
        routes = [
            f"{method} {rule.rule}"
            for rule in ROUTES.iter_rules()
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
        ]
        return 200, {"routes": routes}

    def _reset(self, request: Request, body: Any) -> tuple[int, Any]:
        given = keys(body, ("scenario", "policy", "profile"), required=False)
        name = field(given, "scenario", str, required=False)
        policy_data = field(given, "policy", dict, required=False)
        profile_name = field(given, "profile", str, required=False)
        policy = None if policy_data is None else _checked(TransitionPolicy.from_dict, policy_data)
        profile = None if profile_name is None else _checked(Profile.named, profile_name)
        chosen = None if name is None else _named(name)
        self.app.reset(chosen)
        if profile is not None:
            self.app.engine.profile = profile
        if policy is not None:
            self.app.engine.policy = policy
        return 200, self._summary()

    def _scenario(self, request: Request, body: Any) -> tuple[int, Any]:
        given = keys(body, tuple(body) if isinstance(body, dict) else ())
        self.app.reset(_checked(Scenario.from_dict, given))
        return 200, self._summary()

    def _summary(self) -> dict[str, Any]:
        engine = self.app.engine
        return {
            "scenario": engine.scenario.name,
            "policy": engine.policy.to_dict(),
            "profile": engine.profile.name,
            "now": iso(engine.clock.now()),
        }

    def _inventory(self, request: Request, body: Any) -> tuple[int, Any]:
        return 200, inventory_json(self.app.engine.state)

    def _clock(self, request: Request, body: Any) -> tuple[int, Any]:
        clock = self.app.engine.clock
        if request.method == "POST":
            given = keys(body, ("advance", "set"))
            advance = field(given, "advance", (int, float), required=False)
            when = field(given, "set", str, required=False)
            if (advance is None) == (when is None):
                raise bad_request('give either "advance" (seconds) or "set"')
            target = None if when is None else parse_time(when)
            if not isinstance(clock, ManualClock):
                detail = "this engine runs on the system clock; only a manual clock can be moved"
                raise Refused(409, "conflict", detail)
            now = clock.now()
            if advance is not None and advance > (CLOCK_END - now).total_seconds():
                raise bad_request(f"the clock cannot pass {iso(CLOCK_END)}")
            if target is not None and target > CLOCK_END:
                raise bad_request(f"the clock cannot pass {iso(CLOCK_END)}")
            if advance is not None:
                _checked(clock.advance, advance)
            else:
                _checked(clock.set, target)
            self.app.engine.tick()
        return 200, {"now": iso(clock.now()), "manual": isinstance(clock, ManualClock)}

    def _policy(self, request: Request, body: Any) -> tuple[int, Any]:
        if request.method == "PUT":
            given = keys(body, tuple(body) if isinstance(body, dict) else ())
            self.app.engine.policy = _checked(TransitionPolicy.from_dict, given)
        return 200, self.app.engine.policy.to_dict()

    def _profile(self, request: Request, body: Any) -> tuple[int, Any]:
        """The behaviour profile and its switches; PUT `{"name": "engine"}` switches it for
        work that starts from now on (running backups keep theirs)."""
        if request.method == "PUT":
            name = field(keys(body, ("name",)), "name", str)
            self.app.engine.profile = _checked(Profile.named, name)
        return 200, self.app.engine.profile.to_dict()

    def _release(self, request: Request, body: Any) -> tuple[int, Any]:
        given = keys(body, ("id", "vm"))
        entity_id = field(given, "id", str, required=False)
        vm_name = field(given, "vm", str, required=False)
        if (entity_id is None) == (vm_name is None):
            raise bad_request('give either "id" (backup or transfer) or "vm"')
        if entity_id is None:
            state = self.app.engine.state
            backup = state.unfinished_backup(self._vm(vm_name or "").id)
            if backup is None:
                raise Refused(409, "conflict", f"VM {vm_name} has no unfinished backup")
            entity_id = backup.id
        self.app.engine.release(entity_id)
        return 200, self._entity(entity_id)

    def _faults(self, request: Request, body: Any) -> tuple[int, Any]:
        faults = self.app.faults
        if request.method == "POST":
            if body is None:
                raise bad_request("give a fault rule (an object) or a list of them")
            specs = body if isinstance(body, list) else [body]
        if faults is None:
            raise Refused(409, "conflict", "this app was built without fault injection")
        if request.method == "POST":
            return 201, {"faults": _checked(faults.load, specs)}
        if request.method == "DELETE":
            faults.clear()
        return 200, {"faults": faults.describe()}

    def _write(self, request: Request, body: Any, disk: str) -> tuple[int, Any]:
        given = keys(body, ("offset", "data", "pattern", "length"))
        offset = field(given, "offset", int)
        data = field(given, "data", str, required=False)
        pattern = field(given, "pattern", int, required=False)
        if data is not None and pattern is None and "length" not in given:
            try:
                payload = base64.b64decode(data, validate=True)
            except (binascii.Error, ValueError):
                raise bad_request('"data" must be base64') from None
        elif pattern is not None and data is None:
            length = field(given, "length", int)
            if not 0 <= pattern <= 255 or not 0 < length <= MAX_WRITE:
                raise bad_request(f'"pattern" must be a byte (0-255), "length" 1..{MAX_WRITE}')
            payload = b""
        else:
            raise bad_request('give either "data" (base64) or "pattern" and "length"')
        target = self._disk(disk)
        if pattern is not None:
            payload = bytes([pattern]) * length
        self.app.engine.guest_write(target.id, offset, payload)
        return 200, {
            "disk": target.id,
            "alias": target.alias,
            "offset": offset,
            "length": len(payload),
        }

    def _freeze(self, request: Request, body: Any, vm: str) -> tuple[int, Any]:
        fails = field(keys(body, ("fails",)), "fails", bool) if request.method == "PUT" else None
        target = self._vm(vm)
        if fails is not None:
            self.app.engine.set_freeze_fails(target.id, fails)
        return 200, {"vm": target.id, "name": target.name, "fails": target.guest.freeze_fails}

    def _history(self, request: Request, body: Any, id: str) -> tuple[int, Any]:
        return 200, self._entity(id)

    def _journal(self, request: Request, body: Any) -> tuple[int, Any]:
        since = int_arg(request, "since") or 0
        bodies = request.args.get("bodies", "false").lower() in ("1", "true", "yes")
        entries = [e.to_dict(bodies=bodies) for e in self.app.journal.entries if e.index > since]
        return 200, {"entries": entries}

    def _events(self, request: Request, body: Any) -> tuple[int, Any]:
        code = int_arg(request, "code")
        events = self.app.engine.state.events.newest_first()[::-1]
        return 200, {"events": [event_json(e) for e in events if code is None or e.code == code]}

    # -- lookups by id or name ----------------------------------------------------------
    def _vm(self, name_or_id: str) -> Vm:
        state = self.app.engine.state
        found = state.vms.get(name_or_id)
        return found or self.app.engine.vm_by_name(name_or_id)

    def _disk(self, alias_or_id: str) -> Disk:
        found = self.app.engine.state.disks.get(alias_or_id)
        return found or self.app.engine.disk_by_alias(alias_or_id)

    def _entity(self, entity_id: str) -> dict[str, Any]:
        state = self.app.engine.state
        entity: Backup | ImageTransfer | None = state.backups.get(entity_id)
        kind = "backup"
        if entity is None:
            entity, kind = state.transfers.get(entity_id), "image_transfer"
        if entity is None:
            raise Refused(404, "not_found", f"No backup or image transfer with id {entity_id}")
        phases = [{"phase": phase_name(p), "time": iso(when)} for p, when in entity.history]
        return {"id": entity.id, "kind": kind, "phase": phase_name(entity.phase), "history": phases}


_ERRORS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    409: "conflict",
}


def _checked(function: Callable[..., Any], *args: Any) -> Any:
    """Call `function`; a `ValueError` (bad input, nothing changed yet) becomes a 400."""
    try:
        return function(*args)
    except ValueError as error:
        raise bad_request(str(error)) from None


def _named(name: str) -> Scenario:
    """A built-in, `scale:` or file scenario; over HTTP a file must end in .toml or .json."""
    is_file = name not in BUILT_IN and not name.startswith(SCALE_PREFIX)
    if is_file and (len(name) > 4096 or Path(name).suffix not in SCENARIO_SUFFIXES):
        raise bad_request(
            f"unknown scenario {name[:80]!r}: use one of {', '.join(BUILT_IN)}, "
            "scale:vms=N[,...] or the path of a .toml or .json scenario file"
        )
    scenario: Scenario = _checked(Scenario.named, name)
    return scenario
