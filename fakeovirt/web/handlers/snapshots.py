"""Handlers for VM snapshots, a snapshot's disks, and disk snapshots."""

from __future__ import annotations

from collections.abc import Callable

from werkzeug.wrappers import Response

from fakeovirt.core import messages as msg
from fakeovirt.core.errors import NotFound
from fakeovirt.web import render as r
from fakeovirt.web.context import Context
from fakeovirt.web.parse import parse_flag, parse_snapshot

__all__ = ["HANDLERS"]


def snapshots_collection(ctx: Context, vm: str) -> Response:
    if ctx.request.method == "POST":
        return snapshots_add(ctx, vm)
    follow = ctx.follow("snapshot")
    return ctx.listing(
        "snapshots",
        ctx.engine.snapshots(vm, observe=True),
        lambda s: r.render_snapshot(ctx.state, s, follow, render_vm=r.render_vm),
    )


def snapshots_add(ctx: Context, vm: str) -> Response:
    """202 while the snapshot is locked (the engine leaves VDSM tasks), 201 once it is done."""
    request = parse_snapshot(ctx.request.get_data(), content_type=ctx.request.mimetype)
    snapshot = ctx.engine.create_snapshot(vm, request, user=ctx.user)
    element = r.render_snapshot(ctx.state, snapshot, ctx.follow("snapshot"), render_vm=r.render_vm)
    status = 202 if snapshot.status == "locked" else 201
    return ctx.created(element, status)


def snapshots_get(ctx: Context, vm: str, id: str) -> Response:
    if ctx.request.method == "DELETE":
        ctx.engine.remove_snapshot(vm, id, user=ctx.user)
        return ctx.action_done()
    snapshot = ctx.engine.snapshot(id, observe=True)
    if snapshot.id not in ctx.state.snapshots:  # merged away on this very read
        raise NotFound(msg.NOT_FOUND.format(kind="snapshot", id=id))
    return ctx.respond(
        r.render_snapshot(ctx.state, snapshot, ctx.follow("snapshot"), render_vm=r.render_vm)
    )


def snapshot_disks_collection(ctx: Context, vm: str, id: str) -> Response:
    snapshot = ctx.engine.snapshot(id)
    follow = ctx.follow("disk")
    config = snapshot.configuration
    return ctx.listing(
        "disks",
        list(config.disks) if config is not None else [],
        lambda d: r.render_snapshot_disk(ctx.state, snapshot, d, follow),
    )


def snapshot_disks_get(ctx: Context, vm: str, id: str, disk: str) -> Response:
    snapshot = ctx.engine.snapshot(id)
    config = snapshot.configuration
    found = next((d for d in config.disks if d.disk_id == disk), None) if config else None
    if found is None:
        raise NotFound(msg.NOT_FOUND.format(kind="disk", id=f"{disk} in snapshot {id}"))
    return ctx.respond(r.render_snapshot_disk(ctx.state, snapshot, found, ctx.follow("disk")))


def _include_active(ctx: Context) -> bool:
    """`include_active` as `ParametersHelper.getBooleanParameter(.., true, false)` reads it
    (`include_template` is read too, but fakeovirt has no template images)."""
    value, _ = parse_flag(ctx.request.args, "include_active")
    return value


def disk_snapshots_collection(ctx: Context, disk: str) -> Response:
    ctx.follow("disk_snapshot")
    found = ctx.engine.disk_snapshots(disk, include_active=_include_active(ctx))
    return ctx.listing("disk_snapshots", found, lambda d: r.render_disk_snapshot(ctx.state, d))


def disk_snapshots_get(ctx: Context, disk: str, id: str) -> Response:
    ctx.follow("disk_snapshot")
    found = ctx.engine.disk_snapshot(id)
    return ctx.respond(r.render_disk_snapshot(ctx.state, found))


def domain_disk_snapshots_collection(ctx: Context, sd: str) -> Response:
    ctx.follow("disk_snapshot")
    found = ctx.engine.domain_disk_snapshots(sd, include_active=_include_active(ctx))
    return ctx.listing(
        "disk_snapshots", found, lambda d: r.render_disk_snapshot(ctx.state, d, domain_id=sd)
    )


def domain_disk_snapshots_get(ctx: Context, sd: str, id: str) -> Response:
    ctx.follow("disk_snapshot")
    found = ctx.engine.disk_snapshot(id)
    return ctx.respond(r.render_disk_snapshot(ctx.state, found, domain_id=sd))


HANDLERS: dict[str, Callable[..., Response]] = {
    "snapshots.collection": snapshots_collection,
    "snapshots.get": snapshots_get,
    "snapshot_disks.collection": snapshot_disks_collection,
    "snapshot_disks.get": snapshot_disks_get,
    "disksnapshots.collection": disk_snapshots_collection,
    "disksnapshots.get": disk_snapshots_get,
    "domain_disksnapshots.collection": domain_disk_snapshots_collection,
    "domain_disksnapshots.get": domain_disk_snapshots_get,
}
