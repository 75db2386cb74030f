"""The read-only dashboard under `/fakeovirt/dashboard` (placeholder until it is built)."""

from __future__ import annotations

from typing import Any

__all__ = ["mount"]


def mount(app: Any) -> None:
    """Register the dashboard's routes on `app.extra_routes`."""
