"""Hypothesis profiles of fakeovirt's own suite: `fakeovirt` by default, `deep` on demand.

Rules of this file:
- `fakeovirt` (loaded by tests/conftest.py) is what CI and the README's command run:
  hypothesis's defaults without a deadline (a loaded machine is not a bug) and with the
  reproduction blob printed on failure;
- `deep` is a nightly-style run, ten times the examples of every property test:
  `python -m pytest -n 2 --hypothesis-profile=deep`, or `FAKEOVIRT_DEEP=1` in the environment;
- a test that states its own count writes `max_examples=examples(n)`: `n` under `fakeovirt`,
  ten times `n` under `deep`;
- `find()` takes `EXISTS`: a test that proves a strategy reaches a value needs the first
  example found, not shrinking nor hypothesis's explanation of a "failure" (minutes on XML
  trees), and a local example database must not make it faster than CI.
"""

from __future__ import annotations

import os

from hypothesis import Phase, settings

__all__ = ["DEEP", "DEFAULT", "EXISTS", "examples", "register"]

DEFAULT = "fakeovirt"
DEEP = "deep"
_BASE = 100  # max_examples of the default profile: `examples(n)` scales against it

settings.register_profile(DEFAULT, deadline=None, print_blob=True, max_examples=_BASE)
settings.register_profile(DEEP, settings.get_profile(DEFAULT), max_examples=10 * _BASE)

EXISTS = settings(max_examples=2000, phases=[Phase.generate], database=None)


def register() -> None:
    """Load the default profile, or `deep` when FAKEOVIRT_DEEP is set (an option overrides)."""
    settings.load_profile(DEEP if os.environ.get("FAKEOVIRT_DEEP") else DEFAULT)


def examples(n: int) -> int:
    """A test's example count under the loaded profile: `n`, or ten times `n` under `deep`."""
    return max(1, n * settings.default.max_examples // _BASE)
