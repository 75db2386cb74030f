"""Running a test under both behaviour profiles (docs/fidelity.md).

`@both_profiles` parametrizes a test with the plugin's own marker, so the `fakeovirt`
fixture (and `fake`) is reset to each profile in turn; the test takes a `profile` argument
naming it. `active()` are the `add()` arguments that select the active-volume path on every
profile: the engine reads only `legacy` (BackendVmBackupsResource.java:84-86), the
documentation also `use_active`. They are made afresh for each call, as the SDK adds its own
flags (`require_consistency=True`) to the `query` dict it is given.
"""

from __future__ import annotations

from typing import Any

import pytest

__all__ = ["PROFILES", "active", "both_profiles", "path_args"]

PROFILES = ("documented", "engine")


def active() -> dict[str, Any]:
    """`add()` keyword arguments for the active-volume path."""
    return {"query": {"legacy": "true"}}


def path_args(legacy: bool) -> dict[str, Any]:
    """`add()` keyword arguments for the legacy (active-volume) path or the default one."""
    return active() if legacy else {}


both_profiles = pytest.mark.parametrize(
    "profile",
    [pytest.param(name, marks=pytest.mark.fakeovirt(profile=name), id=name) for name in PROFILES],
)
