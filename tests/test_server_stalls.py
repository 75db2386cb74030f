"""No client can delay another: silent, half-shaken, idle and slow clients, and a GET meanwhile.

The property under test is the GET's answer time with the crowd connected: it stays far under
the ~10 s that one such client used to cost every other client (issue 10). The bound (1 s)
is generous; a fresh TLS connection and one API request take milliseconds.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from fakeovirt import FakeOvirt
from fakeovirt.web.serving import BackgroundServer, Limits, Timeouts

from . import serverwaits
from .rawclients import Crowd, Server, accepted, crowd, read_answer, request_bytes, timed_get

PROMPT = 1.0  # seconds: a GET with the crowd connected answers well within this
# Long waits, so that every client of a crowd is still connected when the GET is timed.
PATIENT = Timeouts(head=300, keep_alive=300)


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeOvirt]:
    """A served fake of its own: the crowds must not reach the session's server."""
    served = FakeOvirt().start(timeouts=PATIENT)
    yield served
    served.stop()


@pytest.fixture
def server(fake: FakeOvirt) -> Server:
    return Server(fake.origin, fake.ca_file)


CROWDS: dict[str, Callable[[Crowd], None]] = {
    "one silent TCP connection": lambda c: c.silent(1),
    "a partial TLS ClientHello": lambda c: c.partial_hello(1),
    "200 idle keep-alive TLS connections": lambda c: c.idle_keep_alive(200),
    "32 slow-header clients": lambda c: c.slow_headers(32),
}


@pytest.mark.parametrize("kind", list(CROWDS))
def test_a_get_answers_promptly_while_clients_misbehave(
    fake: FakeOvirt, server: Server, kind: str
) -> None:
    with crowd(server) as clients:
        CROWDS[kind](clients)
        assert accepted(len(clients.sockets), fake.server)  # the server holds them all
        status, seconds = timed_get(server)
    assert status == 200
    assert seconds < PROMPT, f"a GET took {seconds:.2f} s with {kind} connected"


def test_a_get_answers_promptly_with_every_kind_of_bad_client_at_once(
    fake: FakeOvirt, server: Server
) -> None:
    with crowd(server) as clients:
        for make in CROWDS.values():
            make(clients)
        assert accepted(234, fake.server)
        answers = [timed_get(server) for _ in range(5)]
    assert {status for status, _ in answers} == {200}
    assert max(seconds for _, seconds in answers) < PROMPT, answers


# -- each waiting client is cut at its timeout (short timeouts: the property, not the value) --
@pytest.fixture(scope="module")
def quick(request: pytest.FixtureRequest) -> dict[str, float]:
    """A fake whose timeouts are short (`serverwaits.QUICK`), and each waiting client's
    time until the server closes it, all waited at once (the module costs one wait, not
    four): in the run's waits process when there is one (tests/imageio_waits.py, started
    when the collection ends), else here."""
    seen = serverwaits.report(request.config)["quick"]
    assert "error" not in seen, seen["error"]
    closed: dict[str, float] = seen["value"]
    return closed


def test_a_silent_connection_is_closed_at_the_head_timeout(
    quick: dict[str, float],
) -> None:
    assert 0.4 < quick["silent"] < 3


def test_a_partial_tls_hello_is_closed_at_the_head_timeout(
    quick: dict[str, float],
) -> None:
    assert 0.4 < quick["partial_hello"] < 3


def test_a_slow_header_client_is_cut_at_the_head_deadline_though_it_keeps_sending(
    quick: dict[str, float],
) -> None:
    assert 0.4 < quick["slow_header"] < 3


def test_an_api_keep_alive_connection_serves_again_then_closes_when_idle(
    quick: dict[str, float],
) -> None:
    assert 0.45 < quick["idle_after_three_answers"] < 3


def test_past_the_connection_limit_a_client_gets_a_clean_503(fake: FakeOvirt) -> None:
    served = BackgroundServer(fake.app, limits=Limits(connections=3)).start()
    assert served.ca_file is not None
    server = Server(served.origin, str(served.ca_file))
    try:
        with crowd(server) as clients:
            clients.idle_keep_alive(3)
            sock = server.connect()
            sock.sendall(request_bytes())
            status, headers, body = read_answer(sock)
            sock.close()
            assert (status, headers["content-type"]) == (503, "text/plain; charset=UTF-8")
            assert b"limit" in body
            clients.sockets.pop().close()
            assert status_once_a_slot_is_free(server) == 200
    finally:
        served.stop()


def status_once_a_slot_is_free(server: Server) -> int:
    """The status of a GET once the server has noticed a client left (a few tries)."""
    for _ in range(50):
        status, _ = timed_get(server)
        if status != 503:
            return status
    return 503
