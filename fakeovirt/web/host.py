"""What the mounted apps (control plane, dashboard) and fault injection see of the app.

These protocols let `web/mounted/` and `fakeovirt.injection` depend on an interface rather
than on `web/app.py`, which mounts them: imports stay a tree.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from werkzeug.wrappers import Request, Response

from fakeovirt.core.engine import Engine
from fakeovirt.core.scenario import Scenario

from .auth import Authenticator
from .journal import Journal

__all__ = ["AppHost", "FaultHook"]


class FaultHook(Protocol):
    """Fault injection as the app sees it (`fakeovirt.injection.FaultSet` implements it)."""

    @property
    def active(self) -> bool:
        """Whether any rule or pending effect could change an answer."""

    def __call__(self, request: Request, answer: Callable[[], Response]) -> Response:
        """Answer `request`, calling `answer()` for the real answer when it needs one."""

    def clear(self) -> None:
        """Remove every rule and forget pending effects."""

    def load(self, specs: list[Any]) -> list[dict[str, Any]]:
        """Add rules from JSON-like mappings (`ValueError` for a bad one); describe them."""

    def describe(self) -> list[dict[str, Any]]:
        """Every installed rule as JSON-like data, with its counters."""


class AppHost(Protocol):
    """The parts of `FakeOvirtApp` a mounted app uses."""

    engine: Engine
    auth: Authenticator
    journal: Journal
    faults: FaultHook | None
    extra_routes: dict[str, Callable[[Request], Response]]

    def reset(self, scenario: Scenario | None = None) -> None:
        """Back to the scenario's start."""
