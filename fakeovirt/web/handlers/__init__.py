"""Endpoint name -> handler function, for every rule in `routes.API_MAP`."""

from __future__ import annotations

from collections.abc import Callable

from werkzeug.wrappers import Response

from . import attachments, backups, disks, inventory, linked, networks, snapshots, transfers, vms

__all__ = ["HANDLERS", "REMEMBERED"]

REMEMBERED = backups.REMEMBERED

HANDLERS: dict[str, Callable[..., Response]] = {
    **inventory.HANDLERS,
    **backups.HANDLERS,
    **transfers.HANDLERS,
    **linked.HANDLERS,
    **snapshots.HANDLERS,
    **disks.HANDLERS,
    **attachments.HANDLERS,
    **vms.HANDLERS,
    **networks.HANDLERS,
}
