"""Handlers for creating and removing disks: `/disks` and `/storagedomains/{sd}/disks`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from werkzeug.wrappers import Response

from fakeovirt.core import messages as msg
from fakeovirt.core.errors import NotFound
from fakeovirt.core.model import Disk
from fakeovirt.web import render as r
from fakeovirt.web.command_bodies import read_disk
from fakeovirt.web.context import Context
from fakeovirt.web.parse import parse_body, parse_flag

__all__ = ["HANDLERS", "blocking", "created_disk", "removed"]

BLOCKING = "201-created"  # the `Expect` value that makes an add wait for its tasks


def blocking(ctx: Context) -> bool:
    """`Expect: 201-created` (`AbstractBackendCollectionResource.expectBlocking`)."""
    expect = ctx.request.headers.get("Expect", "")
    return BLOCKING in [part.strip() for part in expect.split(",")]


def created_disk(ctx: Context, disk: Disk) -> Response:
    """An AddDisk answer: 202 with the `locked` disk while the volume is created, or, for
    `Expect: 201-created`, 201 once it is (`fetchCreatedEntity:230-262`)."""
    if blocking(ctx):
        ctx.engine.finish_disk(disk.id)
        element = r.render_disk(ctx.state, disk, ctx.follow("disk"))
        return ctx.created(element)
    status = "complete" if disk.work is None else "pending"
    element = r.render_disk(ctx.state, disk, ctx.follow("disk"), creation_status=status)
    return ctx.respond(element, 202)


def disks_add(ctx: Context) -> Response:
    """`POST /disks` (`BackendDisksResource.add`)."""
    root = parse_body(ctx.request.get_data(), "disk", content_type=ctx.request.mimetype)
    request = read_disk(ctx.state, root)
    return created_disk(ctx, ctx.engine.add_disk(request, user=ctx.user))


def removed(ctx: Context) -> Response:
    """A DELETE's answer: the action, done; `async=true` answers 202 (`BackendResource:178-199`)."""
    if parse_flag(ctx.request.args, "async")[0]:
        return Response(b"", status=202, content_type="application/xml")
    return ctx.action_done()


def disks_remove(ctx: Context, id: str) -> Response:
    """`DELETE /disks/{id}`: the disk is read first (404), then RemoveDisk."""
    ctx.state.disk(id)
    ctx.engine.remove_disk(id, user=ctx.user)
    return removed(ctx)


def _domain(ctx: Context, sd: str) -> None:
    if sd not in ctx.state.storage_domains:
        raise NotFound(msg.NOT_FOUND.format(kind="storage domain", id=sd))


def _domain_disk(ctx: Context, sd: str, id: str) -> Disk:
    _domain(ctx, sd)
    disk = ctx.state.disks.get(id)
    if disk is None or disk.storage_domain_id != sd:
        raise NotFound(msg.NOT_FOUND.format(kind="disk", id=id))
    return disk


def sd_disks_collection(ctx: Context, sd: str) -> Response:
    """`/storagedomains/{sd}/disks`: the domain's disks (GET), or a new disk there (POST)."""
    _domain(ctx, sd)
    if ctx.request.method == "POST":
        root = parse_body(ctx.request.get_data(), "disk", content_type=ctx.request.mimetype)
        request = read_disk(ctx.state, root)
        if request.storage_domain_id is None:
            request = replace(request, storage_domain_id=sd)
        return created_disk(ctx, ctx.engine.add_disk(request, user=ctx.user))
    follow = ctx.follow("disk")
    return ctx.listing(
        "disks",
        [d for d in ctx.state.disks.values() if d.storage_domain_id == sd],
        lambda d: r.render_disk(ctx.state, d, follow),
    )


def sd_disks_get(ctx: Context, sd: str, id: str) -> Response:
    """GET, or DELETE as `/disks/{id}` does (`BackendStorageDomainDiskResource.remove`)."""
    disk = _domain_disk(ctx, sd, id)
    if ctx.request.method == "DELETE":
        ctx.engine.remove_disk(disk.id, user=ctx.user)
        return removed(ctx)
    return ctx.respond(r.render_disk(ctx.state, ctx.engine.observe_disk(disk), ctx.follow("disk")))


HANDLERS: dict[str, Callable[..., Response]] = {
    "disks.add": disks_add,
    "disks.remove": disks_remove,
    "sd_disks.collection": sd_disks_collection,
    "sd_disks.get": sd_disks_get,
}
