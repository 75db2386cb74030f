"""`codec.Answer` answers a one-document response without werkzeug's per-response machinery;
what goes on the wire (status line, headers, body) must be what werkzeug's `Response` sends."""

from __future__ import annotations

from typing import Any

import pytest
from werkzeug.test import create_environ, run_wsgi_app
from werkzeug.wrappers import Response

from fakeovirt.web.codec import Answer

BODY = b"<?xml version='1.0' encoding='utf-8'?>\n<backup id=\"b\" />\n"
CASES = [
    ({}, "GET"),
    ({"status": 201, "headers": {"Location": "/ovirt-engine/api/vms/é"}}, "GET"),
    ({"headers": {"Content-Location": "/a b"}}, "GET"),
    ({"status": 202, "headers": {"Correlation-Id": "x"}}, "GET"),
    ({}, "HEAD"),
    ({"status": 204}, "GET"),
    ({"status": 304}, "GET"),
    ({"status": 404, "content_type": "application/json"}, "POST"),
]


def wire(response: Response, method: str) -> tuple[str, list[tuple[str, str]], bytes]:
    environ = create_environ("/ovirt-engine/api", method=method)
    body, status, headers = run_wsgi_app(response, environ)
    return status, list(headers.items()), b"".join(body)


@pytest.mark.parametrize(("kwargs", "method"), CASES)
def test_an_answer_goes_out_as_werkzeug_sends_it(kwargs: dict[str, Any], method: str) -> None:
    kwargs = {"content_type": "application/xml", **kwargs}
    assert wire(Answer(BODY, **kwargs), method) == wire(Response(BODY, **kwargs), method)


def test_an_answer_with_a_close_hook_calls_it() -> None:
    closed: list[bool] = []
    answer = Answer(BODY, content_type="application/xml")
    answer.call_on_close(lambda: closed.append(True))
    environ = create_environ("/ovirt-engine/api")
    body = answer(environ, lambda status, headers, exc_info=None: None)
    assert b"".join(body) == BODY
    body.close()  # type: ignore[attr-defined]
    assert closed == [True]
