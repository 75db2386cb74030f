"""An imageio client may pause for 15 s, as a backup tool writing to slow storage does, at the
real timeouts (the daemon waits 60 s or the ticket's `inactivity_timeout`: ovirt-imageio
`ovirt_imageio/_internal/http.py:170-179`, `config.py:19-22`).

Both waits run at once, on one served fake with the default timeouts, in a process of their
own (tests/imageio_waits.py) that tests/conftest.py starts when the collection ends: their
15 s overlap the rest of the run, and these tests read what the process saw.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.imageio_waits import HEAD_START, RANGE, first_difference, head_start


@pytest.fixture(scope="module")
def waits(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The process's report. The process is stopped and its folder removed at the end of
    the session (tests/conftest.py), not here: the report of its server waits may still be
    read later in the run (tests/test_server_responses.py)."""
    head_start(request.config)  # already started, unless the collection hook was bypassed
    report = request.config.stash[HEAD_START].report()
    assert "error" not in report, report["error"]
    return report


def test_a_ranged_get_stalled_15_s_mid_body_resumes_and_receives_every_byte(
    waits: dict[str, Any],
) -> None:
    stalled = waits["stalled"]
    assert "error" not in stalled, stalled["error"]
    assert stalled["status"].startswith("HTTP/1.1 206 ")
    assert stalled["length"] == RANGE
    assert stalled["first_difference"] is None


def test_an_imageio_keep_alive_connection_idle_for_15_s_still_serves(
    waits: dict[str, Any],
) -> None:
    idle = waits["idle"]
    assert "error" not in idle, idle["error"]
    assert idle["before_differs_at"] is None
    assert idle["after_differs_at"] is None
    assert idle["same_connection"]


def test_a_difference_is_found_where_it_is() -> None:
    assert first_difference(b"abcd", b"abcd") is None
    assert first_difference(b"abXd", b"abcd") == 2
    assert first_difference(b"ab", b"abcd") == 2
    assert first_difference(b"abcde", b"abcd") == 4
