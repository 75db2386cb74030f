"""fakeovirt's pytest plugin: a fake engine per test session, reset for every test.

Fixtures: `fakeovirt` (a freshly reset `FakeOvirt` behind the session's server),
`fakeovirt_server` (that server, one per session and per xdist worker, on a free port),
`fakeovirt_connection` (a ready `ovirtsdk4.Connection`), `fakeovirt_factory` (more engines),
`fakeovirt_defaults` (override it in a conftest.py for a directory's defaults).
Per test: `@pytest.mark.fakeovirt(scenario=..., policy=..., clock=..., faults=[...],
strict=..., check_errors=..., check_unanswered=..., profile=...)`. Session defaults: ini
`fakeovirt_<name>` or command line `--fakeovirt-<name>` (the command line wins).
Precedence: command line > ini > `fakeovirt_defaults` > markers (closest last).

A failure here reads as one message, never a traceback through the plugin: a bad marker or
option fails the test's setup with what is wrong and what is allowed. `fakeovirt_connection`
without `ovirtsdk4` installed fails with the install hint (a skip would hide a broken CI)
unless ini `fakeovirt_skip_without_sdk = on` says to skip.

The journal is reset with the engine, so each test's journal holds that test's exchanges: all
of them up to `fakeovirt_journal_size` (default 5000; beyond it the oldest are dropped and
counted in `journal.dropped`, while unrouted ones are kept for the teardown check).

Rules of this file: it imports only pytest and the standard library, so collection stays
fast; fakeovirt itself is imported inside the fixtures. Nothing resets behind a test's back:
only a test that asks for `fakeovirt` gets the reset, and the checks at its teardown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from fakeovirt import FakeOvirt

__all__ = ["Settings"]

MARKER = "fakeovirt"
_TRUE = ("1", "on", "true", "yes")
_FALSE = ("0", "off", "false", "no")


@dataclass(frozen=True)
class Settings:
    """How the fixtures set up a test; ini < command line < marker."""

    scenario: Any = "demo"
    policy: Any = None
    clock: Any = "manual"
    faults: tuple[Any, ...] = ()
    strict: bool = True
    check_errors: bool = True
    check_unanswered: bool = True
    tls: bool = True
    journal_size: int | None = None
    profile: str = "documented"
    skip_without_sdk: bool = False


_OPTIONS = {  # name -> help; every one is an ini option and a command-line option
    "scenario": "scenario for each test: demo, empty or a .toml/.json file (default demo)",
    "policy": "transition policy: immediate, reads:N or seconds:T (default the scenario's, "
    "else reads:1, where an add is answered as an engine answers it); "
    "seconds:T on a manual clock moves only when the test advances that clock",
    "strict": "check every API answer against the oVirt XSD: on/off (default on)",
    "check_errors": "fail a test whose requests made fakeovirt raise: on/off (default on)",
    "check_unanswered": "fail a test that sent a request no endpoint serves: on/off (default on)",
    "tls": "serve HTTPS with a generated CA file: on/off (default on)",
    "journal_size": "exchanges the journal keeps per test, older ones dropped (default 5000)",
    "profile": "behaviour profile: documented (the API documentation's contract) or engine "
    "(what oVirt engine 4.5 code does) (default documented)",
    "skip_without_sdk": "skip, not fail, tests asking for fakeovirt_connection when ovirtsdk4 "
    "is not installed: on/off (default off)",
}
_FLAGS = ("strict", "check_errors", "check_unanswered", "tls", "skip_without_sdk")
_SESSION_ONLY = frozenset({"tls", "journal_size", "skip_without_sdk"})
_MARKER_KEYS = frozenset(f.name for f in fields(Settings)) - _SESSION_ONLY
# marker keys that are no ini or command-line option (docs/api.md shows every key)
_MARKER_ONLY = {
    "clock": "the engine's clock: manual (the default, at 2026-01-01), system, a datetime "
    "(a manual clock starting then) or a Clock",
    "faults": "fault rules installed for the test (`fakeovirt.faults`), after those of "
    "fakeovirt_defaults and of outer markers",
}
_SDK_MISSING = (
    "fakeovirt_connection needs the oVirt SDK: pip install ovirt-engine-sdk-python "
    "(or 'fakeovirt[clients]'); to skip such tests instead, set the ini option "
    "fakeovirt_skip_without_sdk = on"
)


# What of the package a test's assertion can fail in: pytest rewrites these modules' asserts
# for its detailed messages. pytest marks the whole package of a plugin for rewriting; the
# engine and the web app assert only invariants, and rewriting them (parsed and compiled
# anew in every run that writes no bytecode) costs each test session a third of a second.
_REWRITTEN = (
    "fakeovirt.pytest_plugin",
    "fakeovirt.stateful",
    "fakeovirt.stateful_sdk",
    "fakeovirt.strategies",
)


def _rewrite_only_what_tests_meet(pluginmanager: pytest.PytestPluginManager) -> None:
    hook = getattr(pluginmanager, "rewrite_hook", None)  # none with --assert=plain
    marked = getattr(hook, "_must_rewrite", None)
    if not isinstance(marked, set) or "fakeovirt" not in marked:
        return
    marked.discard("fakeovirt")
    marked.update(_REWRITTEN)
    cache = getattr(hook, "_marked_for_rewrite_cache", None)
    if isinstance(cache, dict):
        for name in [n for n in cache if n == "fakeovirt" or n.startswith("fakeovirt.")]:
            del cache[name]


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    _rewrite_only_what_tests_meet(pluginmanager)  # before any module of fakeovirt loads
    group = parser.getgroup("fakeovirt", "fakeovirt: a fake oVirt engine")
    for name, text in _OPTIONS.items():
        parser.addini(f"fakeovirt_{name}", text, default=None)
        group.addoption(
            f"--fakeovirt-{name.replace('_', '-')}", dest=f"fakeovirt_{name}", help=text
        )


def pytest_configure(config: pytest.Config) -> None:
    # a bad ini or command-line value is a usage error before any test; the settings are
    # kept for the session, as every test's fixtures start from them
    config.stash[_SESSION] = _read_configured(config)
    config.addinivalue_line(
        "markers",
        "fakeovirt(scenario=None, policy=None, clock=None, faults=(), strict=None, "
        "check_errors=None, check_unanswered=None, profile=None): configure the fakeovirt "
        "fixture "
        "for this test",
    )


_SESSION = pytest.StashKey[Settings]()


def _configured(config: pytest.Config) -> Settings:
    """The session's settings (read once, when pytest is configured)."""
    settings = config.stash.get(_SESSION, None)
    if settings is None:
        settings = config.stash[_SESSION] = _read_configured(config)
    return settings


def _read_configured(config: pytest.Config) -> Settings:
    """The session's settings from the command line, else the ini file, else the defaults."""
    values: dict[str, Any] = {}
    for name in _OPTIONS:
        value = config.getoption(f"fakeovirt_{name}", None) or config.getini(f"fakeovirt_{name}")
        if value in (None, ""):
            continue
        if name in _FLAGS:
            value = _flag(name, str(value))
        elif name == "journal_size":
            value = _size(name, str(value))
        values[name] = value
    return replace(Settings(), **values)


def _flag(name: str, text: str) -> bool:
    if text.lower() in _TRUE:
        return True
    if text.lower() in _FALSE:
        return False
    raise pytest.UsageError(f"fakeovirt_{name} must be on or off, not {text!r}")


def _size(name: str, text: str) -> int:
    if text.isdigit() and int(text) > 0:
        return int(text)
    raise pytest.UsageError(f"fakeovirt_{name} must be a positive whole number, not {text!r}")


def _for_test(request: pytest.FixtureRequest, defaults: dict[str, Any]) -> Settings:
    """The session's settings, then `fakeovirt_defaults`, then the markers, closest last."""
    __tracebackhide__ = True
    settings = _apply(_configured(request.config), defaults, "fakeovirt_defaults")
    for marker in reversed(list(request.node.iter_markers(MARKER))):
        if marker.args:
            pytest.fail("@pytest.mark.fakeovirt takes keyword arguments only", pytrace=False)
        settings = _apply(settings, marker.kwargs, "@pytest.mark.fakeovirt")
    return settings


def _apply(settings: Settings, options: dict[str, Any], where: str) -> Settings:
    __tracebackhide__ = True
    unknown = sorted(set(options) - _MARKER_KEYS)
    if unknown:
        known = ", ".join(sorted(_MARKER_KEYS))
        pytest.fail(f"{where} got unknown {', '.join(unknown)}; use {known}", pytrace=False)
    given = {k: v for k, v in options.items() if v is not None}
    if "faults" in given:
        given["faults"] = settings.faults + tuple(given["faults"])
    return replace(settings, **given)


@pytest.fixture
def fakeovirt_defaults() -> dict[str, Any]:
    """Marker-style defaults for the tests of a directory: override it in a conftest.py.

    @pytest.fixture
    def fakeovirt_defaults():
        return {"scenario": "tests/lab.toml", "policy": "reads:1"}
    """
    return {}


@pytest.fixture(scope="session")
def fakeovirt_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FakeOvirt]:
    """One served fake engine for the session (for each xdist worker), on a free port.

    Tests should use `fakeovirt`, which resets it; this fixture alone never resets.
    """
    from fakeovirt import FakeOvirt

    settings = _configured(request.config)
    fake = _build(FakeOvirt, settings)
    ca_dir = tmp_path_factory.mktemp("fakeovirt-ca") if settings.tls else None
    fake.start(tls=settings.tls, ca_dir=ca_dir)
    yield fake
    fake.stop()


@pytest.fixture
def fakeovirt(
    fakeovirt_server: FakeOvirt,
    fakeovirt_defaults: dict[str, Any],
    request: pytest.FixtureRequest,
) -> Iterator[FakeOvirt]:
    """The session's fake engine, reset to this test's scenario, policy, clock and faults.

    At teardown the test fails if fakeovirt raised while answering it, or if it sent a
    request that no endpoint serves (each check can be turned off).
    """
    settings = _for_test(request, fakeovirt_defaults)
    fake = fakeovirt_server
    _reset(fake, settings)
    yield fake
    fake.faults.clear()
    _check(fake, settings)


@pytest.fixture
def fakeovirt_connection(fakeovirt: FakeOvirt, request: pytest.FixtureRequest) -> Iterator[Any]:
    """An `ovirtsdk4.Connection` to `fakeovirt`, closed (and logged out) after the test.

    Without the SDK installed the test fails with the install hint, or is skipped when the
    ini option `fakeovirt_skip_without_sdk` is on.
    """
    __tracebackhide__ = True
    try:
        import ovirtsdk4
    except ImportError:
        ovirtsdk4 = None
    if ovirtsdk4 is None:
        if _configured(request.config).skip_without_sdk:
            pytest.skip(_SDK_MISSING)
        pytest.fail(_SDK_MISSING, pytrace=False)
    connection = ovirtsdk4.Connection(**fakeovirt.connection_kwargs())
    yield connection
    fakeovirt.faults.clear()  # the test's faults must not break the logout
    connection.close()


@pytest.fixture
def fakeovirt_factory(
    request: pytest.FixtureRequest, fakeovirt_defaults: dict[str, Any], tmp_path: Path
) -> Iterator[Callable[..., FakeOvirt]]:
    """Make more fake engines, each on its own port; stopped and checked after the test.

    other = fakeovirt_factory(scenario="empty", policy="reads:2")
    """
    from fakeovirt import FakeOvirt

    checks = _for_test(request, fakeovirt_defaults)
    base = replace(
        _configured(request.config),
        check_errors=checks.check_errors,
        check_unanswered=checks.check_unanswered,
    )
    made: list[FakeOvirt] = []

    def make(*, serve: bool = True, **options: Any) -> FakeOvirt:
        __tracebackhide__ = True
        unknown = sorted(set(options) - _MARKER_KEYS)
        if unknown:
            known = ", ".join(sorted(_MARKER_KEYS))
            raise TypeError(f"fakeovirt_factory got unknown {', '.join(unknown)}; use {known}")
        wanted = replace(base, **options)
        fake = _build(FakeOvirt, wanted)
        _reset(fake, wanted)
        if serve:
            ca_dir = tmp_path / f"fakeovirt-{len(made) + 1}" if wanted.tls else None
            fake.start(tls=wanted.tls, ca_dir=ca_dir)
        made.append(fake)
        return fake

    yield make
    problems = []
    for fake in made:
        fake.stop()
        problems.append(_problems(fake, base))
    if any(problems):
        pytest.fail("\n".join(p for p in problems if p), pytrace=False)


# -- helpers ---------------------------------------------------------------------------
def _build(factory: Callable[..., FakeOvirt], settings: Settings) -> FakeOvirt:
    __tracebackhide__ = True
    sized = {"journal_size": settings.journal_size} if settings.journal_size else {}
    try:
        return factory(settings.scenario, strict=settings.strict, profile=settings.profile, **sized)
    except ValueError as error:
        problem = str(error)
    pytest.fail(f"fakeovirt: {problem}", pytrace=False)  # outside `except`: one message


def _reset(fake: FakeOvirt, settings: Settings) -> None:
    """Reset `fake` to `settings`; a bad marker or option fails the test's setup clearly."""
    __tracebackhide__ = True
    from fakeovirt import TransitionPolicy

    try:
        scenario = fake.resolve_scenario(settings.scenario)
        policy = settings.policy or scenario.policy or TransitionPolicy.after_reads(1)
        fake.reset(
            scenario,
            policy=policy,
            clock=settings.clock,
            faults=settings.faults,
            strict=settings.strict,
            profile=settings.profile,
        )
        return
    except (ValueError, TypeError) as error:
        problem = str(error)
    pytest.fail(f"@pytest.mark.fakeovirt / fakeovirt options: {problem}", pytrace=False)


def _check(fake: FakeOvirt, settings: Settings) -> None:
    __tracebackhide__ = True
    problems = _problems(fake, settings)
    if problems:
        pytest.fail(problems, pytrace=False)


def _problems(fake: FakeOvirt, settings: Settings) -> str:
    """What went wrong inside the server during the test, in words; empty when nothing."""
    parts = []
    errors = list(fake.errors)
    if settings.check_errors and errors:
        lines = [f"fakeovirt raised while answering {len(errors)} request(s):"]
        for error in errors:
            lines.append(f"  {error.method} {error.path}: {error.error!r}")
            lines.append("    " + error.traceback.rstrip().replace("\n", "\n    "))
        lines.append(_OFF.format(name="check_errors"))
        parts.append("\n".join(lines))
    unrouted = fake.journal.unrouted()
    if settings.check_unanswered and unrouted:
        lines = [f"fakeovirt serves no endpoint for {len(unrouted)} request(s) of this test:"]
        lines.extend(f"  {exchange.line()}" for exchange in unrouted)
        lines.append(_OFF.format(name="check_unanswered"))
        parts.append("\n".join(lines))
    return "\n".join(parts)


_OFF = (
    "(if this is expected: @pytest.mark.fakeovirt({name}=False), "
    "or ini option fakeovirt_{name} = off)"
)
