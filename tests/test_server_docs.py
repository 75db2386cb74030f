"""docs/server.md states the server's defaults: the page and the code agree."""

from __future__ import annotations

from pathlib import Path

from fakeovirt.web.serving import ENVIRON_IDLE_TIMEOUT, Limits, Timeouts

DOC = (Path(__file__).resolve().parents[1] / "docs" / "server.md").read_text(encoding="utf-8")


def test_the_documented_timeouts_are_the_defaults() -> None:
    t = Timeouts()
    assert (t.head, t.keep_alive, t.body, t.send, t.imageio) == (20, 5, 20, 60, 60)
    for row in (
        "| TLS handshake and the first request's line and headers, from the accept | 20 s",
        "| idle between requests (keep-alive) | 5 s | 60 s, or the ticket's",
        "| each read of a request body | 20 s | 60 s, or the ticket's",
        "| each write of an answer | 60 s | 60 s, or the ticket's",
    ):
        assert row in DOC, row


def test_the_documented_limits_are_the_defaults() -> None:
    limits = Limits()
    for row in (
        f"| request line | {limits.request_line} bytes",
        f"| one header line | {limits.header_field} bytes",
        f"| header lines | {limits.header_fields} (",
        f"| open connections | {limits.connections} (",
        f"at most {limits.rejecting} such answers",
        f"| {limits.chunked_body >> 20} MiB |",
    ):
        assert row in DOC, row


def test_the_documented_environ_key_is_the_one_the_server_reads() -> None:
    assert f'environ["{ENVIRON_IDLE_TIMEOUT}"] = seconds' in DOC
