"""Every error as an oVirt `<fault>` document (or its JSON form, `{"reason", "detail"}`, when
the client asks for JSON); werkzeug's HTML error pages never leak."""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET

from werkzeug.wrappers import Request, Response

from fakeovirt.core.errors import EngineError

from .codec import XML, encode
from .refusals import RawFault, SyntaxIncorrect
from .routes import usage_link
from .xmlout import nested

__all__ = ["XML", "error_response", "fault_element", "fault_response", "xml_response"]

log = logging.getLogger("fakeovirt")
REASONS = {401: "Unauthorized", 404: "Not Found", 405: "Method Not Allowed", 413: "Too Large"}


def fault_element(detail: str, reason: str = "Operation Failed") -> ET.Element:
    return nested("fault", {"reason": reason, "detail": f"[{detail}]"})


def fault_response(
    status: int,
    detail: str,
    *,
    headers: dict[str, str] | None = None,
    request: Request | None = None,
) -> Response:
    """`<fault><reason>Operation Failed</reason><detail>[detail]</detail></fault>`."""
    reason = "Operation Failed" if status in (400, 403, 409, 500) else REASONS.get(status, "Error")
    return encode(fault_element(detail, reason), request, status, headers)


def error_response(error: EngineError, request: Request | None) -> Response:
    """The fault the engine answers for `error`, in the encoding `request` asks for."""
    if isinstance(error, SyntaxIncorrect):
        # The engine's fault names only the documentation; the reason is for the log.
        log.info("request body refused as syntactically incorrect: %s", error.detail)
        link = usage_link(request) if request is not None else ""
        fault = nested(
            "fault", {"reason": error.reason, "detail": f"For correct usage, see: {link}"}
        )
        return encode(fault, request, error.status)
    if isinstance(error, RawFault):
        fault = nested("fault", {"reason": error.reason, "detail": error.detail})
        return encode(fault, request, error.status)
    return fault_response(error.status, error.detail, request=request)


def xml_response(
    element: ET.Element, status: int = 200, *, headers: dict[str, str] | None = None
) -> Response:
    return encode(element, None, status, headers)
