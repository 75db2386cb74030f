"""Handlers for VM backups, their disks, and checkpoints."""

from __future__ import annotations

from collections.abc import Callable

from werkzeug.wrappers import Response

from fakeovirt.core import messages as msg
from fakeovirt.core.backups import listed_disk_ids
from fakeovirt.core.engine import Engine
from fakeovirt.core.errors import NotFound
from fakeovirt.web import render as r
from fakeovirt.web.context import Context
from fakeovirt.web.documents import Remembered
from fakeovirt.web.parse import parse_backup, parse_body

__all__ = ["HANDLERS", "REMEMBERED"]


def backups_collection(ctx: Context, vm: str) -> Response:
    if ctx.request.method == "POST":
        return backups_add(ctx, vm)
    follow = ctx.follow("backup")
    return ctx.listing(
        "backups",
        ctx.engine.iter_backups(vm),
        lambda b: r.render_backup(ctx.state, b, follow),
        observe=ctx.engine.observe_backup,
    )


def backups_add(ctx: Context, vm: str) -> Response:
    ctx.state.vm(vm)  # an unknown VM is a 404 before anything else
    body, kind = ctx.request.get_data(), ctx.request.mimetype
    request = parse_backup(body, ctx.request.args, content_type=kind)
    backup = ctx.engine.start_backup(vm, request, user=ctx.user)
    element = r.render_backup(ctx.state, backup, ctx.follow("backup"))
    return ctx.created(element)


def backups_get(ctx: Context, vm: str, id: str) -> Response:
    follow = ctx.follow("backup")
    if follow:
        backup = ctx.engine.backup(vm, id, observe=True)
        return ctx.respond(r.render_backup(ctx.state, backup, follow))
    return ctx.respond_remembered(backup_document(ctx.engine, vm, id))


def backup_document(engine: Engine, vm: str, id: str) -> Remembered:
    """A client's read of a backup (nothing followed), as a document the memo may hold."""
    backup = engine.backup(vm, id, observe=True)
    return Remembered(
        ("backup", backup.id),
        r.backup_fingerprint(backup),
        lambda: r.render_backup(engine.state, backup, {}),
    )


def backups_finalize(ctx: Context, vm: str, id: str) -> Response:
    ctx.state.backup(vm, id)
    parse_body(ctx.request.get_data(), "action", optional=True, content_type=ctx.request.mimetype)
    ctx.engine.finalize_backup(vm, id, user=ctx.user)
    return ctx.action_done()


def backup_disks_collection(ctx: Context, vm: str, id: str) -> Response:
    backup = ctx.engine.backup(vm, id)
    follow = ctx.follow("disk")
    return ctx.listing(
        "disks",
        [d for d in listed_disk_ids(backup) if d in ctx.state.disks],
        lambda d: r.render_backup_disk(ctx.state, backup, d, follow),
    )


def backup_disks_get(ctx: Context, vm: str, id: str, disk: str) -> Response:
    backup = ctx.engine.backup(vm, id)
    if disk not in listed_disk_ids(backup) or disk not in ctx.state.disks:
        raise NotFound(msg.NOT_FOUND.format(kind="disk", id=f"{disk} in backup {id}"))
    return ctx.respond(r.render_backup_disk(ctx.state, backup, disk, ctx.follow("disk")))


def checkpoints_collection(ctx: Context, vm: str) -> Response:
    follow = ctx.follow("checkpoint")
    return ctx.listing(
        "checkpoints",
        ctx.engine.iter_checkpoints(vm),
        lambda c: r.render_checkpoint(ctx.state, c, follow),
    )


def checkpoints_get(ctx: Context, vm: str, id: str) -> Response:
    if ctx.request.method == "DELETE":
        ctx.engine.remove_checkpoint(vm, id, user=ctx.user)
        return Response(b"", status=200, content_type="application/xml")
    checkpoint = ctx.engine.checkpoint(vm, id)
    return ctx.respond(r.render_checkpoint(ctx.state, checkpoint, ctx.follow("checkpoint")))


def checkpoint_disks_collection(ctx: Context, vm: str, id: str) -> Response:
    checkpoint = ctx.engine.checkpoint(vm, id)
    follow = ctx.follow("disk")
    return ctx.listing(
        "disks",
        [ctx.state.disks[d] for d in checkpoint.disk_ids if d in ctx.state.disks],
        lambda d: r.render_disk(ctx.state, d, follow),
    )


def checkpoint_disks_get(ctx: Context, vm: str, id: str, disk: str) -> Response:
    checkpoint = ctx.engine.checkpoint(vm, id)
    if disk not in checkpoint.disk_ids or disk not in ctx.state.disks:
        raise NotFound(msg.NOT_FOUND.format(kind="disk", id=f"{disk} in checkpoint {id}"))
    return ctx.respond(r.render_disk(ctx.state, ctx.state.disks[disk], ctx.follow("disk")))


# Endpoints whose answer to a GET without a query is one document the memo may hold.
REMEMBERED: dict[str, Callable[..., Remembered]] = {"backups.get": backup_document}

HANDLERS: dict[str, Callable[..., Response]] = {
    "backups.collection": backups_collection,
    "backups.get": backups_get,
    "backups.finalize": backups_finalize,
    "backup_disks.collection": backup_disks_collection,
    "backup_disks.get": backup_disks_get,
    "checkpoints.collection": checkpoints_collection,
    "checkpoints.get": checkpoints_get,
    "checkpoint_disks.collection": checkpoint_disks_collection,
    "checkpoint_disks.get": checkpoint_disks_get,
}
