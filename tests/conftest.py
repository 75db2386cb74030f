"""Shared fixtures for fakeovirt's own tests, on top of its pytest plugin.

`fake` is the plugin's `fakeovirt`: one HTTPS server per session (per xdist worker), reset
for each test to the demo scenario with an immediate policy (pyproject.toml's
`fakeovirt_policy`: the plugin's own default is `reads:1`), a fresh manual clock and strict
schema checks; a test fails at teardown if fakeovirt raised while answering it. `connection`
is an SDK connection to it, one per session (see the fixture). Hypothesis runs under the
`fakeovirt` profile, or `deep` (`--hypothesis-profile=deep` or FAKEOVIRT_DEEP=1): see
tests/hypothesis_profiles.py.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from tests import hypothesis_profiles, imageio_waits, leftovers

if TYPE_CHECKING:  # the xdist controller runs no test: it need not import fakeovirt
    from fakeovirt import FakeOvirt

hypothesis_profiles.register()  # before hypothesis's plugin reads --hypothesis-profile


def pytest_configure(config: pytest.Config) -> None:
    leftovers.pytest_configure(config)
    config.addinivalue_line(
        "markers", "mutation: the contract's mutation suite (planted client bugs), runs in CI"
    )


def pytest_collection_finish(session: pytest.Session) -> None:
    """Start the 15 s imageio waits as soon as they are collected, with the server waits of
    tests/serverwaits.py, so that they overlap the rest of the run (tests/test_imageio_waits.py,
    test_server_responses.py and test_server_stalls.py read their reports).

    Then move everything imported and collected so far out of the cyclic garbage
    collector's sight (`gc.freeze`): those objects live as long as the process, and each
    full collection would walk them all again. The tests allocate fast and keep little, so
    the collector also runs less often (CPython's default is 700, 10, 10): the cyclic GC
    cost about 10 s of CPU in a serial run before, about 4 s after."""
    if any(item.path.name == "test_imageio_waits.py" for item in session.items):
        imageio_waits.head_start(session.config)
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 10, 100)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """On the xdist controller: the workers read the report of one waits' process."""
    imageio_waits.share_with_worker(node.config, node.workerinput)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node: Any, ids: list[str]) -> None:
    """On the xdist controller: start the waits as soon as a worker has collected them."""
    if any("test_imageio_waits.py::" in test_id for test_id in ids):
        imageio_waits.start_for_workers(node.config)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    imageio_waits.stop_head_start(session.config)  # run or not, on the process that started it
    leftovers.pytest_sessionfinish(session, exitstatus)


@pytest.fixture
def fakeovirt_defaults() -> dict[str, Any]:
    """Some tests send unknown paths on purpose, so only internal errors fail a test here."""
    return {"check_unanswered": False}


@pytest.fixture(scope="session")
def served(fakeovirt_server: FakeOvirt) -> FakeOvirt:
    """The session's served fake, never reset by itself."""
    return fakeovirt_server


@pytest.fixture
def fake(fakeovirt: FakeOvirt) -> FakeOvirt:
    """A fresh demo engine (immediate policy, manual clock) behind the session's server."""
    return fakeovirt


@pytest.fixture(scope="session")
def _shared_connection(fakeovirt_server: FakeOvirt) -> Iterator[Any]:
    """One `ovirtsdk4.Connection` to the session's server, for the whole run (per xdist
    worker), logged out at its end."""
    import ovirtsdk4

    shared = ovirtsdk4.Connection(**fakeovirt_server.connection_kwargs())
    yield shared
    shared.close()


@pytest.fixture
def connection(fake: FakeOvirt, _shared_connection: Any) -> Any:
    """An `ovirtsdk4.Connection` to `fake` (reset for this test), shared by the session's
    tests: it logs in once and keeps its HTTPS connection. A connection per test, as the
    plugin's `fakeovirt_connection` gives users, costs three TLS handshakes (the SDK logs
    in, asks and logs out on connections of their own): about 12 ms of CPU, 8 s over the
    ~690 tests that use this one. The SDK's login and logout keep tests of their own
    (tests/test_inventory_sdk.py), and so does the plugin's fixture (tests/test_plugin.py);
    SSO tokens outlive a reset, and the SDK logs in again should a test revoke its token."""
    return _shared_connection
