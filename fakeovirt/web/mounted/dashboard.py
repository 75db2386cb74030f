"""The read-only dashboard under `/fakeovirt/dashboard`: watch backups and snapshots happen.

Rules of this file:
- read-only: the state is read under the engine lock, without a clock tick and without
  counting a read, so watching never moves a phase;
- served without authentication (like the rest of `/fakeovirt/dashboard`): it is meant for
  a fake on your own machine, and shows no credentials;
- plain HTML, CSS and JavaScript from `dashboard_static/`, no build step, nothing fetched
  from the network. The page polls `state.json` every second.
"""

from __future__ import annotations

import json
import mimetypes
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from fakeovirt.core.model import Backup, Checkpoint, Disk, ImageTransfer, Vm
from fakeovirt.core.snapshots import listing as snapshot_list
from fakeovirt.core.snapshots import owner
from fakeovirt.core.state import State
from fakeovirt.core.tickets import data_summary

if TYPE_CHECKING:
    from fakeovirt.web.host import AppHost

__all__ = ["PREFIX", "dashboard_state", "mount"]

PREFIX = "/fakeovirt/dashboard"
JOURNAL_SHOWN = 40
STATIC_DIR = Path(__file__).with_name("dashboard_static")
_STATIC = ("index.html", "dashboard.js", "dashboard.css")


def mount(app: AppHost) -> None:
    """Register the dashboard's routes on `app.extra_routes`."""

    def handler(request: Request) -> Response:
        return _serve(app, request)

    app.extra_routes[PREFIX] = handler


def _serve(app: AppHost, request: Request) -> Response:
    if request.method not in ("GET", "HEAD"):
        return _json({"error": "method_not_allowed", "detail": "the dashboard is read-only"}, 405)
    name = request.path[len(PREFIX) :].strip("/") or "index.html"
    if name == "state.json":
        response = _json(dashboard_state(app))
        response.headers["Cache-Control"] = "no-store"
        return response
    if name not in _STATIC:
        return _json({"error": "not_found", "detail": f"no dashboard file {name}"}, 404)
    data = (STATIC_DIR / name).read_bytes()
    kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return Response(data, content_type=f"{kind}; charset=utf-8")


def _json(data: object, status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, content_type="application/json")


def dashboard_state(app: AppHost) -> dict[str, Any]:
    """Everything the page shows, as plain JSON data; changes nothing."""
    with app.engine.lock:
        state = app.engine.state
        data = {
            "now": _when(state.now()),
            "scenario": app.engine.scenario.name,
            "policy": state.policy.to_dict(),
            "vms": [_vm(state, vm) for vm in state.vms.values()],
            "transfers": [_transfer(state, t) for t in state.transfers.values()],
            "floating_disks": _floating_disks(state),
        }
    entries = [e for e in app.journal.entries if not e.path.startswith(PREFIX)]
    data["journal"] = [
        {
            "index": e.index,
            "method": e.method,
            "path": e.path,
            "query": e.query,
            "status": e.status,
            "user": e.user,
        }
        for e in reversed(entries[-JOURNAL_SHOWN:])
    ]
    return data


def _when(when: datetime | None) -> str | None:
    return when.isoformat(timespec="milliseconds") if when is not None else None


def _vm(state: State, vm: Vm) -> dict[str, Any]:
    chain = state.chain(vm.id)
    chained = {c.id for c in chain}
    others = [c for c in state.checkpoints.values() if c.vm_id == vm.id and c.id not in chained]
    backups = sorted(state.vm_backups(vm.id), key=lambda b: b.created)
    return {
        "id": vm.id,
        "name": vm.name,
        "status": vm.status.value,
        "disks": [
            {
                "id": a.disk_id,
                "alias": state.disks[a.disk_id].alias,
                "format": state.disks[a.disk_id].format,
                "backup": state.disks[a.disk_id].backup,
                "size": state.disks[a.disk_id].provisioned_size,
                "status": state.disks[a.disk_id].status,
                "active": a.active,
                "volumes": _volumes(state, state.disks[a.disk_id]),
            }
            for a in vm.attachments
            if a.disk_id in state.disks
        ],
        "snapshots": [
            {
                "id": s.id,
                "description": s.description,
                "type": s.type,
                "status": s.status,
                "removing": s.removing,
                "date": _when(s.date),
                "disks": _aliases(state, list(s.images)),
            }
            for s in snapshot_list(state, vm.id)
        ],
        "checkpoints": [_checkpoint(state, c) for c in [*chain, *others]],
        "backups": [_backup(state, b) for b in backups],
    }


def _volumes(state: State, disk: Disk) -> list[dict[str, Any]]:
    """A disk's layers, base first, each with the snapshot it belongs to."""
    volumes = []
    for volume in disk.volumes.volumes():
        snapshot = owner(state, disk, volume.image_id)
        volumes.append(
            {
                "image_id": volume.image_id,
                "active": volume.active,
                "format": disk.volume_format(volume.image_id),
                "status": disk.volume_state(volume.image_id),
                "snapshot": snapshot.description if snapshot else None,
                "stored": volume.own.stored_bytes,
            }
        )
    return volumes


def _floating_disks(state: State) -> list[dict[str, Any]]:
    """Disks no VM holds (a restore creates them, then uploads and attaches)."""
    return [
        {
            "id": disk.id,
            "alias": disk.alias,
            "format": disk.format,
            "backup": disk.backup,
            "size": disk.provisioned_size,
            "status": disk.status,
            "storage_domain": domain.name if domain is not None else disk.storage_domain_id,
        }
        for disk in state.floating_disks()
        for domain in [state.storage_domains.get(disk.storage_domain_id)]
    ]


def _aliases(state: State, disk_ids: list[str]) -> list[str]:
    return [state.disks[d].alias if d in state.disks else d for d in disk_ids]


def _checkpoint(state: State, checkpoint: Checkpoint) -> dict[str, Any]:
    return {
        "id": checkpoint.id,
        "parent_id": checkpoint.parent_id,
        "state": checkpoint.state,
        "created": _when(checkpoint.created),
        "disks": _aliases(state, checkpoint.disk_ids),
        "description": checkpoint.description,
    }


def _backup(state: State, backup: Backup) -> dict[str, Any]:
    return {
        "id": backup.id,
        "phase": backup.phase.rest,
        "finished": backup.phase.finished,
        "path": backup.path.value,
        "created": _when(backup.created),
        "from_checkpoint_id": backup.from_checkpoint_id,
        "to_checkpoint_id": backup.to_checkpoint_id,
        "disks": _aliases(state, backup.disk_ids),
        "modes": {
            state.disks[d].alias: mode
            for d, mode in backup.backup_modes.items()
            if d in state.disks
        },
        "description": backup.description,
        "history": [{"phase": phase.rest, "at": _when(at)} for phase, at in backup.history],
    }


def _transfer(state: State, transfer: ImageTransfer) -> dict[str, Any]:
    disk = state.disks.get(transfer.disk_id)
    return {
        "id": transfer.id,
        "disk": disk.alias if disk else transfer.disk_id,
        "size": disk.provisioned_size if disk else None,
        "backup_id": transfer.backup_id,
        "direction": transfer.direction,
        "phase": transfer.phase.value,
        "transferred": transfer.transferred,
        "created": _when(transfer.created),
        "history": [{"phase": phase.value, "at": _when(at)} for phase, at in transfer.history],
        "data": data_summary(transfer),  # the imageio data requests: moved, torn, last torn
    }
