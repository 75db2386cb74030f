"""An answer is whole or visibly cut, and an app sets its connection's timeout (the contract
with the imageio app: `environ["fakeovirt.idle_timeout"]`, as the daemon sets the ticket's
`inactivity_timeout` on an authorized connection, ovirt-imageio
`ovirt_imageio/_internal/backends/__init__.py:119-120`)."""

from __future__ import annotations

import http.client
import time
from typing import Any

import pytest

from . import serverwaits
from .rawclients import closed_by_server, read_answer, request_bytes
from .servertools import MiB, serving
from .serverwaits import ZERO_OR_LESS

# The waits' timeouts (serverwaits.SHORT): an API connection idles 0.2 s; an imageio one
# 1.5 s unless its app says otherwise. (The upper bounds below leave a busy machine a second
# or two to close.)


@pytest.mark.parametrize("path", ["/short", "/raise", "/raise-chunked"])
def test_an_answer_the_app_cannot_complete_is_cut_so_the_client_sees_an_error(path: str) -> None:
    with serving() as (_, server):
        connection = server.http()
        connection.request("GET", path)
        response = connection.getresponse()
        start = time.monotonic()
        with pytest.raises(http.client.IncompleteRead):
            response.read()
        assert time.monotonic() - start < 1.0  # cut at once, not when the connection idles out
        connection.close()


@pytest.fixture(scope="module")
def waits(request: pytest.FixtureRequest) -> dict[str, Any]:
    """What each wait of tests/serverwaits.py saw. They all run at once, each on a server of
    its own, so that they cost their longest wait (3.5 s) rather than their sum (15 s)."""
    return serverwaits.report(request.config)


def waited(waits: dict[str, Any], name: str) -> Any:
    seen = waits[name]
    assert "error" not in seen, seen["error"]
    return seen["value"]


def test_a_reader_stalled_past_the_timeout_is_cut_and_never_sees_a_whole_body(
    waits: dict[str, Any],
) -> None:
    first_differs_at, before_the_cut = waited(waits, "stalled reader")
    assert first_differs_at is None  # the first MiB read is the app's
    assert before_the_cut < 63 * MiB


def test_an_imageio_connection_idles_for_the_imageio_timeout(
    waits: dict[str, Any],
) -> None:
    assert 1.4 < waited(waits, "imageio idle") < 3.5


def test_an_api_connection_idles_for_the_keep_alive_timeout(
    waits: dict[str, Any],
) -> None:
    assert 0.15 < waited(waits, "api idle") < 1.2


def test_the_idle_timeout_the_app_sets_lengthens_the_connection_timeout(
    waits: dict[str, Any],
) -> None:
    assert 2.9 < waited(waits, "idle=3") < 5.5


def test_the_idle_timeout_the_app_sets_shortens_the_connection_timeout(
    waits: dict[str, Any],
) -> None:
    assert 0.25 < waited(waits, "idle=0.3") < 1.2


@pytest.mark.parametrize("value", ZERO_OR_LESS)
def test_an_idle_timeout_of_zero_or_less_means_the_imageio_default(
    waits: dict[str, Any], value: str
) -> None:
    assert 1.4 < waited(waits, f"idle={value}") < 3.5


def test_the_idle_timeout_the_app_sets_also_bounds_a_stalled_write(
    waits: dict[str, Any],
) -> None:
    received, seconds = waited(waits, "stalled write")
    assert received > 16 * MiB
    assert seconds > 2.4


def test_after_an_answer_the_connection_serves_the_next_request_and_closes_when_asked() -> None:
    with serving() as (_, server):
        sock = server.connect()
        sock.sendall(request_bytes("/a"))
        assert read_answer(sock)[0] == 200
        sock.sendall(request_bytes("/b", extra="Connection: close\r\n"))
        status, headers, _ = read_answer(sock)
        assert (status, headers["connection"]) == (200, "close")
        assert closed_by_server(sock)
        sock.close()
