"""Domain errors. Each carries the HTTP status the engine would answer with.

The web layer renders them as `<fault>` documents; the core never builds HTTP.
"""

from __future__ import annotations

__all__ = [
    "BadRequest",
    "Conflict",
    "EngineError",
    "EngineFailure",
    "Forbidden",
    "NotFound",
    "Unauthorized",
]


class EngineError(Exception):
    """A request the engine refuses; `detail` is the text a person reads."""

    status = 400

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class BadRequest(EngineError):
    """The engine refuses the request as invalid: HTTP 400."""

    status = 400


class Unauthorized(EngineError):
    """No valid credentials: HTTP 401."""

    status = 401


class Forbidden(EngineError):
    """Not allowed, or an imageio ticket that does not stand: HTTP 403."""

    status = 403


class NotFound(EngineError):
    """No such entity or path: HTTP 404."""

    status = 404


class Conflict(EngineError):
    """Not possible in the entity's current state: HTTP 409."""

    status = 409


class EngineFailure(EngineError):
    """A refusal whose message key has the ErrorType INTERNAL_ERROR (or a RuntimeException in
    a command's validate): the engine answers 500 with an `Operation Failed` fault."""

    status = 500
