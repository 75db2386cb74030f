"""Shared fixtures for fakeovirt's own tests: one HTTPS server per session, reset per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fakeovirt import FakeOvirt, ManualClock, TransitionPolicy


@pytest.fixture(scope="session")
def served() -> Iterator[FakeOvirt]:
    fake = FakeOvirt(strict=True, clock=ManualClock())
    with fake:
        yield fake


@pytest.fixture
def fake(served: FakeOvirt) -> Iterator[FakeOvirt]:
    """A fresh demo engine (immediate policy, manual clock) behind the session's server."""
    served.engine.policy = TransitionPolicy.immediate()
    served.reset("demo")
    yield served
    errors = list(served.errors)
    served.errors.clear()
    assert not errors, f"fakeovirt raised internally: {errors[0].traceback}"


@pytest.fixture
def connection(fake: FakeOvirt) -> Iterator[object]:
    sdk = pytest.importorskip("ovirtsdk4")
    conn = sdk.Connection(
        url=fake.url, username=fake.username, password=fake.password, ca_file=fake.ca_file
    )
    yield conn
    conn.close()
