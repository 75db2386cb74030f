"""Handlers for image transfers; the bytes themselves go through `web/imageio.py`."""

from __future__ import annotations

from collections.abc import Callable

from werkzeug.wrappers import Response

from fakeovirt.web import render as r
from fakeovirt.web.context import Context
from fakeovirt.web.parse import parse_body, parse_transfer

__all__ = ["HANDLERS"]


def transfers_collection(ctx: Context) -> Response:
    if ctx.request.method == "POST":
        request = parse_transfer(ctx.request.get_data(), content_type=ctx.request.mimetype)
        transfer = ctx.engine.start_transfer(request, user=ctx.user)
        element = r.render_transfer(
            ctx.state, transfer, ctx.follow("image_transfer"), data_url=ctx.base_url
        )
        return ctx.created(element)
    follow = ctx.follow("image_transfer")
    return ctx.listing(
        "image_transfers",
        ctx.engine.iter_transfers(),
        lambda t: r.render_transfer(ctx.state, t, follow, data_url=ctx.base_url),
        observe=ctx.engine.observe_transfer,
    )


def transfers_get(ctx: Context, id: str) -> Response:
    transfer = ctx.engine.transfer(id, observe=True)
    return ctx.respond(
        r.render_transfer(ctx.state, transfer, ctx.follow("image_transfer"), data_url=ctx.base_url)
    )


def transfers_action(ctx: Context, id: str, action: str) -> Response:
    ctx.engine.transfer(id)
    parse_body(ctx.request.get_data(), "action", optional=True, content_type=ctx.request.mimetype)
    ctx.engine.transfer_action(id, action, user=ctx.user)
    return ctx.action_done()


HANDLERS: dict[str, Callable[..., Response]] = {
    "imagetransfers.collection": transfers_collection,
    "imagetransfers.get": transfers_get,
    "imagetransfers.action": transfers_action,
}
