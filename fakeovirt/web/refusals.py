"""Refusals the engine's REST layer words itself, rather than its backend's bracketed
`Operation Failed` / `[message]` faults.

- `SyntaxIncorrect`: a body JAXB or Jackson cannot read (unknown element or member, bad
  number, malformed document); the fault names the API documentation of the method
  (`RESTAPI/resource/validation/UsageFinder.java`, answered by `IOExceptionMapper` and
  `JsonExceptionMapper`).
- `InvalidValue`: a value the model's parsers refuse (`IntegerParser`, `BooleanParser`, enum
  `fromValue`), reason `Invalid value` (`IOExceptionMapper.java:38-45`).
- `RawFault`: a fault whose detail is one message, not a bracketed list (a failed query,
  an exception's message: `BaseBackendResource.handleError`).
"""

from __future__ import annotations

from fakeovirt.core import messages as msg
from fakeovirt.core.errors import EngineError

__all__ = ["InvalidValue", "RawFault", "SyntaxIncorrect", "incomplete"]


class RawFault(EngineError):
    """A fault with the engine's own reason and an unbracketed detail."""

    def __init__(self, status: int, detail: str, reason: str = "Operation Failed") -> None:
        super().__init__(detail)
        self.status = status
        self.reason = reason


class InvalidValue(RawFault):
    """400 `Invalid value`: the detail is the parser's message."""

    def __init__(self, detail: str) -> None:
        super().__init__(400, detail, "Invalid value")


def incomplete(kind: str, fields: list[str], method: str) -> RawFault:
    """`CompletenessAssertor`'s refusal: `Disk [provisionedSize, format] required for add`."""
    detail = msg.INCOMPLETE_PARAMETERS.format(kind=kind, fields=", ".join(fields), method=method)
    return RawFault(400, detail, msg.INCOMPLETE_PARAMETERS_REASON)


class SyntaxIncorrect(EngineError):
    """400 `Request syntactically incorrect.`; `why` is for fakeovirt's log, not the client."""

    status = 400
    reason = "Request syntactically incorrect."

    def __init__(self, why: str) -> None:
        super().__init__(why)
