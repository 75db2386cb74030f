"""The dashboard's own requests (page, static files, polls, a favicon) never reach the journal
users assert on."""

from __future__ import annotations

from typing import Any

import pytest

from fakeovirt import FakeOvirt
from fakeovirt.web.mounted import dashboard
from tests.browser import browser_session  # noqa: F401  (a fixture)

from .test_dashboard import chromium, dump_dom


@pytest.mark.usefixtures("browser_session")
def test_a_browser_watching_the_dashboard_leaves_the_journal_empty(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    binary = chromium()
    polls: list[object] = []
    real = dashboard.dashboard_state

    def counted(app: Any) -> dict[str, Any]:
        polls.append(app)
        return real(app)

    monkeypatch.setattr(dashboard, "dashboard_state", counted)
    fake = FakeOvirt()
    with fake.start(tls=False):
        dump_dom(binary, fake.origin + "/fakeovirt/dashboard")
        assert len(polls) >= 2, "the page polled its state"
        assert fake.journal.entries == []
    assert not fake.errors


@pytest.mark.parametrize(
    "path",
    [
        "/fakeovirt/dashboard",
        "/fakeovirt/dashboard/",
        "/fakeovirt/dashboard/dashboard.js",
        "/fakeovirt/dashboard/dashboard.css",
        "/fakeovirt/dashboard/state.json",
        "/fakeovirt/dashboard/nope.png",
        "/favicon.ico",
    ],
)
def test_what_a_browser_asks_for_is_not_journaled(fake: FakeOvirt, path: str) -> None:
    answer = fake.client().get(path)
    assert answer.status_code in (200, 404)
    assert fake.journal.entries == []


def test_the_page_names_its_own_icon_so_browsers_ask_for_none() -> None:
    page = (dashboard.STATIC_DIR / "index.html").read_text(encoding="utf-8")
    assert '<link rel="icon" href="data:,">' in page
