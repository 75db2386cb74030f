"""What the server hands the app: the WSGI environ of a request, key for key (PEP 3333), as
the request's bytes on the wire make it.

The path is percent-decoded to bytes shown as latin-1 (PEP 3333's "bytes as str"); header
`X-Name` becomes `HTTP_X_NAME`, repeated headers are joined by commas, `Content-Type` and
`Content-Length` lose the `HTTP_` prefix; a name with an underscore never reaches the app
(it could pass for one with a dash), nor does `Transfer-Encoding` (the framing is the
server's: a chunked body reaches the app decoded, with its length).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest

from .rawclients import read_answer
from .servertools import StartResponse, serving

_CGI = (
    *("SERVER_NAME", "SERVER_PORT", "SERVER_PROTOCOL", "REMOTE_ADDR", "REMOTE_PORT"),
    *("REQUEST_METHOD", "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING", "REQUEST_URI", "RAW_URI"),
)
_WSGI = (
    *("wsgi.version", "wsgi.url_scheme", "wsgi.input", "wsgi.errors"),
    *("wsgi.multithread", "wsgi.multiprocess", "wsgi.run_once"),
)
_SHOWN = ("REQUEST_METHOD", "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING", "REQUEST_URI", "RAW_URI")


def _environs() -> tuple[list[dict[str, Any]], Any]:
    seen: list[dict[str, Any]] = []

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        body = environ["wsgi.input"].read()
        seen.append({**environ, "body": body})
        start_response("200 OK", [("Content-Length", "2")])
        return [b"ok"]

    return seen, app


def _served(*requests: bytes) -> list[dict[str, Any]]:
    """The environs of `requests`, sent one after the other on one connection."""
    seen, app = _environs()
    with serving(app) as (_, server):
        sock = server.connect()
        try:
            for request in requests:
                sock.sendall(request)
                assert read_answer(sock)[0] == 200
        finally:
            sock.close()
    return seen


@pytest.mark.parametrize(
    ("target", "path", "query"),
    [
        (b"/ovirt-engine/api/vms", "/ovirt-engine/api/vms", ""),
        (b"/a%20b/%C3%A9?x=%20&y", "/a b/\xc3\xa9", "x=%20&y"),
        (b"/caf\xc3\xa9", "/caf\xc3\x83\xc2\xa9", ""),  # raw bytes: read as latin-1, re-encoded
        (b"/%zz%2F", "/%zz/", ""),
        (b"https://elsewhere:443/images/t?q", "/images/t", "q"),
    ],
)
def test_the_path_reaches_the_app_percent_decoded_as_latin_1(
    target: bytes, path: str, query: str
) -> None:
    (environ,) = _served(b"GET " + target + b" HTTP/1.1\r\nHost: h\r\n\r\n")
    shown = {key: environ[key] for key in _SHOWN}
    raw = target.decode("latin-1")
    assert shown == {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "REQUEST_URI": raw,
        "RAW_URI": raw,
    }


def test_headers_reach_the_app_as_pep_3333_says_and_framing_headers_do_not() -> None:
    head = (
        b"POST /p HTTP/1.1\r\nHost: h\r\nX-Under_Score: no\r\nAccept: a\r\n"
        b"Content-Type: text/plain\r\nACCEPT: b\r\nX-Latin: \xe9\r\nContent-Length: 3\r\n"
    )
    chunked = (
        b"POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n"
    )
    sized, decoded, bodiless = _served(
        head + b"\r\nabc", chunked, b"GET /p HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
    )
    assert set(sized) - {"body"} == {*_CGI, *_WSGI, "HTTP_HOST", "HTTP_ACCEPT", "CONTENT_TYPE"} | {
        "HTTP_X_LATIN",
        "CONTENT_LENGTH",
    }
    assert {key: sized[key] for key in sized if key.startswith(("HTTP_", "CONTENT_"))} == {
        "HTTP_HOST": "h",
        "HTTP_ACCEPT": "a,b",
        "CONTENT_TYPE": "text/plain",
        "HTTP_X_LATIN": "\xe9",
        "CONTENT_LENGTH": "3",
    }
    assert sized["body"] == b"abc" and sized["SERVER_PROTOCOL"] == "HTTP/1.1"
    assert decoded["CONTENT_LENGTH"] == "2" and decoded["body"] == b"ab"
    assert not any("TRANSFER" in key for key in decoded)
    assert "CONTENT_LENGTH" not in bodiless and bodiless["SERVER_PROTOCOL"] == "HTTP/1.0"
    assert bodiless["HTTP_CONNECTION"] == "keep-alive"
