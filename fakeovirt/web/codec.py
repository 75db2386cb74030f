"""One document, two encodings: the element tree handlers build, written as XML or as the
engine's JSON, and JSON request bodies read back into the same tree.

Rules of this file (the engine's Jackson mapper over its JAXB classes,
`RESTAPI/json/CustomObjectMapperFactory.java`, and the `api.xjb` adapters; see
`docs/wire.md`):
- JSON is chosen by `Accept` (or the `accept` query parameter, RESTEasy's
  `resteasy.media.type.param.mapping`); XML when both are acceptable, for `*/*` and when
  absent: the engine lists XML first;
- the root element's name is not written; `id`, `href` (and a link's `rel`) are members;
- a member that may repeat (`link`, the items of a collection, `disks.disk`) is an array,
  even of one; an empty collection is `{}`;
- integers, booleans, enums and strings are JSON strings (`"memory": "1073741824"`);
  dates are epoch milliseconds; decimals are numbers;
- the member types come from `schemas/api.xsd`, so the codec never guesses per resource.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from werkzeug.datastructures import Headers, MIMEAccept
from werkzeug.http import parse_accept_header
from werkzeug.wrappers import Request, Response

from .refusals import SyntaxIncorrect
from .schema import Member, members, root_member
from .xmlout import format_date, to_bytes

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

__all__ = [
    "JSON",
    "XML",
    "Answer",
    "decode_json",
    "encode",
    "json_bytes",
    "prefers_json",
    "to_json",
    "wants_json",
]

XML = "application/xml"
JSON = "application/json"


def wants_json(request: Request | None) -> bool:
    """Whether the client prefers the engine's JSON to its XML."""
    if request is None:
        return False
    raw = request.args.get("accept") if request.query_string else None
    return prefers_json(raw or request.environ.get("HTTP_ACCEPT", ""))


@lru_cache(maxsize=256)
def prefers_json(accept: str) -> bool:
    """An `Accept` value's choice (clients send the same few values again and again)."""
    return parse_accept_header(accept, MIMEAccept).best_match([XML, JSON]) == JSON


def encode(
    element: ET.Element,
    request: Request | None,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """The answer carrying `element`, in the encoding the request asks for."""
    if wants_json(request):
        return Answer(json_bytes(element), status=status, content_type=JSON, headers=headers)
    return Answer(to_bytes(element), status=status, content_type=XML, headers=headers)


def json_bytes(element: ET.Element) -> bytes:
    """The element as the engine's JSON document."""
    return (json.dumps(to_json(element), indent=2, ensure_ascii=False) + "\n").encode()


class Answer(Response):
    """A werkzeug `Response` holding one encoded document, answered without the machinery a
    lazy or streamed body needs: the status, headers and body werkzeug would send, with no
    copy of the headers and no closing iterator. Anything unusual (a `Location` to make a
    URI of, a status without a body, `HEAD`, a body or close hook set since) goes werkzeug's
    own way."""

    _hooked = False

    @classmethod
    def document(cls, data: bytes, content_type: str) -> Answer:
        """`Answer(data, status=200, content_type=content_type)`, made without werkzeug's
        constructor (a sixth of the cost) when this werkzeug builds the same attributes
        (checked once, on import; otherwise by the constructor)."""
        if not _SAME_AS_CONSTRUCTED:
            return cls(data, status=200, content_type=content_type)
        answer = cls.__new__(cls)
        headers = Headers()
        headers._list = [("Content-Type", content_type), ("Content-Length", str(len(data)))]
        answer.__dict__.update(
            headers=headers,
            _status="200 OK",
            _status_code=200,
            direct_passthrough=False,
            _on_close=[],
            response=[data],
        )
        return answer

    def call_on_close(self, func: Callable[[], Any]) -> Callable[[], Any]:
        self._hooked = True
        return super().call_on_close(func)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        body, status = self.response, self.status_code
        if (
            type(body) is list
            and len(body) == 1
            and type(body[0]) is bytes
            and not self._hooked
            and not self.direct_passthrough
            and 200 <= status < 600
            and status not in (204, 304)
            and environ["REQUEST_METHOD"] != "HEAD"
        ):
            headers = self.headers.to_wsgi_list()
            names = {name.lower() for name, _ in headers}
            if "content-length" in names and not names & _REWRITTEN:
                start_response(self.status, headers)
                return body
        return super().__call__(environ, start_response)


# Headers werkzeug rewrites on the way out (`Response.get_wsgi_headers`).
_REWRITTEN = frozenset({"location", "content-location"})


def _same_as_constructed() -> bool:
    """Whether `Answer.document` makes what werkzeug's constructor makes, attribute for
    attribute (headers included)."""
    global _SAME_AS_CONSTRUCTED
    _SAME_AS_CONSTRUCTED = True
    try:
        made = Answer.document(b"<api/>", XML)
        built = Answer(b"<api/>", status=200, content_type=XML)
        same = vars(made) == vars(built) and vars(made.headers) == vars(built.headers)
    except Exception:  # an attribute this werkzeug does not have
        same = False
    _SAME_AS_CONSTRUCTED = same
    return same


_SAME_AS_CONSTRUCTED = False
_same_as_constructed()


# -- writing -----------------------------------------------------------------------------


def to_json(element: ET.Element) -> Any:
    """The engine's JSON form of an element tree (a dict for every document it answers)."""
    return _to_json(element, root_member(element.tag))


def _to_json(element: ET.Element, member: Member | None) -> Any:
    if member is not None and member.kind != "complex":
        return _scalar(element.text or "", member.kind)
    if member is None and not len(element) and not element.attrib:
        return element.text or ""
    allowed = members(member) if member is not None else {}
    grouped: dict[str, list[ET.Element]] = {}
    for child in element:
        grouped.setdefault(child.tag, []).append(child)
    obj: dict[str, Any] = {}
    for tag, children in grouped.items():
        child_member = allowed.get(tag)
        values = [_to_json(child, child_member) for child in children]
        repeated = child_member.repeated if child_member is not None else len(values) > 1
        obj[tag] = values if repeated else values[-1]
    obj.update(element.attrib)
    return obj


def _scalar(text: str, kind: str) -> Any:
    if kind == "dateTime":
        return round(datetime.fromisoformat(text).timestamp() * 1000)
    if kind == "decimal":
        number = float(text)
        return int(number) if number.is_integer() and "." not in text else number
    return text


# -- reading -----------------------------------------------------------------------------


def decode_json(body: bytes, tag: str) -> ET.Element:
    """A JSON request body as the `<tag>` element tree the XML path would have parsed.

    Malformed JSON, a member the type does not have, or a value of the wrong shape is
    `SyntaxIncorrect`, as Jackson's `JsonProcessingException` is for the engine."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError) as error:
        raise SyntaxIncorrect(f"malformed JSON ({error})") from None
    member = root_member(tag)
    if member is None:
        raise SyntaxIncorrect(f"no <{tag}> documents")
    element = _from_json(tag, data, member)
    if element is None:
        raise SyntaxIncorrect(f"expected a {tag} object, got null")
    return element


def _from_json(tag: str, value: Any, member: Member) -> ET.Element | None:
    if value is None:
        return None  # Jackson leaves the member unset
    element = ET.Element(tag)
    if member.kind != "complex":
        element.text = _text(value, member)
        return element
    if not isinstance(value, dict):
        raise SyntaxIncorrect(f"{tag}: expected an object, got {type(value).__name__}")
    allowed = members(member)
    for key, item in value.items():
        if key in member.attributes:
            element.set(key, _text(item, None))
            continue
        child_member = allowed.get(key)
        if child_member is None:
            raise SyntaxIncorrect(f"unrecognized member {key!r} of {tag}")
        items = item if child_member.repeated else [item]
        if not isinstance(items, list):
            raise SyntaxIncorrect(f"{tag}.{key}: expected an array")
        for one in items:
            child = _from_json(key, one, child_member)
            if child is not None:
                element.append(child)
    return element


def _text(value: Any, member: Member | None) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if member is not None and member.kind == "dateTime" and isinstance(value, int):
        return format_date(datetime.fromtimestamp(value / 1000).astimezone())
    if isinstance(value, (int, float, str)):
        return str(value)
    raise SyntaxIncorrect(f"expected a value, got {type(value).__name__}")
