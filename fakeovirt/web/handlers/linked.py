"""Handlers for what VMs and hosts link to, read-only: templates (the Blank template), a VM's
permissions and a host's statistics."""

from __future__ import annotations

from collections.abc import Callable

from werkzeug.wrappers import Response

from fakeovirt.core import messages as msg
from fakeovirt.core import searchable
from fakeovirt.core.errors import NotFound
from fakeovirt.core.templates import BLANK
from fakeovirt.web import render as r
from fakeovirt.web.context import Context

__all__ = ["HANDLERS"]


def templates_collection(ctx: Context) -> Response:
    ctx.follow("template")
    return ctx.listing(
        "templates", [BLANK], r.render_template, search=searchable.templates(ctx.state)
    )


def templates_get(ctx: Context, id: str) -> Response:
    ctx.follow("template")
    if id != BLANK.id:
        raise NotFound(msg.NOT_FOUND.format(kind="template", id=id))
    return ctx.respond(r.render_template(BLANK))


def permissions_collection(ctx: Context, vm: str) -> Response:
    ctx.state.vm(vm)
    ctx.follow("permission")
    return ctx.listing("permissions", r.vm_permissions(vm), r.render_permission)


def permissions_get(ctx: Context, vm: str, id: str) -> Response:
    ctx.state.vm(vm)
    ctx.follow("permission")
    found = next((p for p in r.vm_permissions(vm) if p.id == id), None)
    if found is None:
        raise NotFound(msg.NOT_FOUND.format(kind="permission", id=id))
    return ctx.respond(r.render_permission(found))


def statistics_collection(ctx: Context, host: str) -> Response:
    ctx.state.host(host)
    ctx.follow("statistic")
    return ctx.listing("statistics", r.host_statistics(), lambda s: r.render_statistic(host, s))


def statistics_get(ctx: Context, host: str, id: str) -> Response:
    ctx.state.host(host)
    ctx.follow("statistic")
    found = next((s for s in r.host_statistics() if s.id == id), None)
    if found is None:
        raise NotFound(msg.NOT_FOUND.format(kind="statistic", id=id))
    return ctx.respond(r.render_statistic(host, found))


HANDLERS: dict[str, Callable[..., Response]] = {
    "templates.collection": templates_collection,
    "templates.get": templates_get,
    "permissions.collection": permissions_collection,
    "permissions.get": permissions_get,
    "statistics.collection": statistics_collection,
    "statistics.get": statistics_get,
}
