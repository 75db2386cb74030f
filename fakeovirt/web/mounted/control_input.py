"""What the control plane accepts: JSON bodies and query parameters, checked before use.

Rules of this file:
- a body is parsed before anything else about it is looked at: malformed JSON (NaN and
  Infinity included, numbers too large for a float, invalid UTF-8) is `bad_json`;
- a body nests at most `MAX_DEPTH` levels, however deep the text tries to go;
- an object has only the keys its route knows; a value has the JSON type its key needs
  (a boolean is never taken for a number), and numbers are finite;
- every refusal is a `Refused` carrying a 4xx status, an error code and a reason.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Request

__all__ = [
    "MAX_DEPTH",
    "Refused",
    "field",
    "int_arg",
    "keys",
    "parse_body",
    "parse_time",
]

MAX_DEPTH = 32
_JSON_TYPES = {
    int: "an integer",
    float: "a number",
    str: "a string",
    bool: "true or false",
    dict: "an object",
    list: "a list",
}


class Refused(Exception):
    """A request the control plane turns down: answered as JSON with a 4xx status."""

    def __init__(self, status: int, error: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.error, self.detail = status, error, detail


def bad_request(detail: str) -> Refused:
    return Refused(400, "bad_request", detail)


def parse_body(request: Request) -> Any:
    """The request's JSON body, `None` when there is none; `Refused` when it is not JSON."""
    try:
        raw = request.get_data(cache=True)
    except RequestEntityTooLarge:
        limit = request.max_content_length
        raise Refused(413, "too_large", f"the body is larger than {limit} bytes") from None
    if not raw.strip():
        return None
    try:
        data = json.loads(raw, parse_constant=_no_constant, parse_float=_finite)
    except RecursionError:
        raise Refused(400, "bad_json", f"the body nests deeper than {MAX_DEPTH} levels") from None
    except ValueError as error:  # JSONDecodeError, UnicodeDecodeError, our own refusals
        raise Refused(400, "bad_json", f"the body is not JSON: {error}") from None
    if _depth(data) > MAX_DEPTH:
        raise Refused(400, "bad_json", f"the body nests deeper than {MAX_DEPTH} levels")
    return data


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text[:40]} is too large for a number")
    return value


def _depth(data: Any) -> int:
    """How deeply lists and objects nest in `data`, without recursion."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict | list):
            deepest = max(deepest, level)
            if level > MAX_DEPTH:
                return level
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, level + 1) for child in children)
    return deepest


def keys(body: Any, allowed: tuple[str, ...], *, required: bool = True) -> dict[str, Any]:
    """`body` as an object with only `allowed` keys; `{}` for no body when not `required`."""
    if body is None and not required:
        return {}
    if body is None:
        raise bad_request("this route needs a JSON body")
    if not isinstance(body, dict):
        raise bad_request(f"the body must be a JSON object, got {_kind(body)}")
    unknown = sorted(k for k in body if k not in allowed)
    if unknown:
        raise bad_request(
            f"unknown key {', '.join(map(json.dumps, unknown))}; this route takes "
            + (", ".join(allowed) or "none")
        )
    return body


def field(
    body: Mapping[str, Any], name: str, kind: type | tuple[type, ...], *, required: bool = True
) -> Any:
    """`body[name]`, checked against `kind` (a bool is never taken for a number)."""
    if body.get(name) is None:
        if required:
            raise bad_request(f'"{name}" is required')
        return None
    value = body[name]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if (isinstance(value, bool) and bool not in kinds) or not isinstance(value, kinds):
        names = " or ".join(_JSON_TYPES.get(k, k.__name__) for k in kinds)
        raise bad_request(f'"{name}" must be {names}, got {_short(value)}')
    return value


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "true or false"
    return next((n for t, n in _JSON_TYPES.items() if type(value) is t), "null")


def _short(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


def int_arg(request: Request, name: str) -> int | None:
    value = request.args.get(name)
    if value is None:
        return None
    if not re.fullmatch(r"-?[0-9]{1,18}", value):
        raise bad_request(f"query parameter {name} must be an integer")
    return int(value)


def parse_time(text: str) -> datetime:
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise bad_request(f"not an ISO 8601 time: {_short(text)}") from None
    if when.tzinfo is None:
        raise bad_request("the time needs a UTC offset, e.g. +00:00")
    return when
