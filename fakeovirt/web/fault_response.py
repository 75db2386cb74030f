"""Every error as an oVirt `<fault>` document; werkzeug's HTML error pages never leak."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from werkzeug.wrappers import Response

from .xmlout import nested, to_bytes

__all__ = ["XML", "fault_response", "xml_response"]

XML = "application/xml"
REASONS = {401: "Unauthorized", 404: "Not Found", 405: "Method Not Allowed", 413: "Too Large"}


def fault_element(detail: str, reason: str = "Operation Failed") -> ET.Element:
    return nested("fault", {"reason": reason, "detail": f"[{detail}]"})


def fault_response(status: int, detail: str, *, headers: dict[str, str] | None = None) -> Response:
    """`<fault><reason>Operation Failed</reason><detail>[detail]</detail></fault>`."""
    reason = "Operation Failed" if status in (400, 403, 409, 500) else REASONS.get(status, "Error")
    return xml_response(fault_element(detail, reason), status, headers=headers)


def xml_response(
    element: ET.Element, status: int = 200, *, headers: dict[str, str] | None = None
) -> Response:
    return Response(to_bytes(element), status=status, content_type=XML, headers=headers)
