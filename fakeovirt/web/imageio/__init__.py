"""The ovirt-imageio data endpoint: `/images/<ticket>`, its extents and its checksum."""

from __future__ import annotations

from .app import ALL_FEATURES, BASE_FEATURES, CHUNK_SIZE, IDLE_TIMEOUT, ImageioApp
from .ticket import DataTicket, TicketNotFound

__all__ = [
    "ALL_FEATURES",
    "BASE_FEATURES",
    "CHUNK_SIZE",
    "IDLE_TIMEOUT",
    "DataTicket",
    "ImageioApp",
    "TicketNotFound",
]
