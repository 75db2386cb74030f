"""Handlers for networks, vNIC profiles and a VM's NICs, and for custom events."""

from __future__ import annotations

from collections.abc import Callable

from werkzeug.wrappers import Response

from fakeovirt.core import messages as msg
from fakeovirt.core.errors import NotFound
from fakeovirt.web import render as r
from fakeovirt.web.command_bodies import read_event, read_nic
from fakeovirt.web.context import Context

__all__ = ["HANDLERS"]


def vnic_profiles_collection(ctx: Context) -> Response:
    """`GET /vnicprofiles` (a plain list: `GetAllVnicProfiles`), what Bareos reads first."""
    follow = ctx.follow("vnic_profile")
    return ctx.listing(
        "vnic_profiles",
        ctx.state.vnic_profiles.values(),
        lambda p: r.render_vnic_profile(ctx.state, p, follow),
    )


def vnic_profiles_get(ctx: Context, id: str) -> Response:
    profile = ctx.state.vnic_profiles.get(id)
    if profile is None:
        raise NotFound(msg.NOT_FOUND.format(kind="vnic profile", id=id))
    return ctx.respond(r.render_vnic_profile(ctx.state, profile, ctx.follow("vnic_profile")))


def networks_collection(ctx: Context) -> Response:
    follow = ctx.follow("network")
    return ctx.listing(
        "networks", ctx.state.networks.values(), lambda n: r.render_network(ctx.state, n, follow)
    )


def networks_get(ctx: Context, id: str) -> Response:
    network = ctx.state.networks.get(id)
    if network is None:
        raise NotFound(msg.NOT_FOUND.format(kind="network", id=id))
    return ctx.respond(r.render_network(ctx.state, network, ctx.follow("network")))


def network_profiles(ctx: Context, network: str) -> Response:
    if network not in ctx.state.networks:
        raise NotFound(msg.NOT_FOUND.format(kind="network", id=network))
    follow = ctx.follow("vnic_profile")
    return ctx.listing(
        "vnic_profiles",
        [p for p in ctx.state.vnic_profiles.values() if p.network_id == network],
        lambda p: r.render_vnic_profile(ctx.state, p, follow),
    )


def nics_collection(ctx: Context, vm: str) -> Response:
    """`GET` a VM's NICs, or `POST` one (AddVmInterface: 201)."""
    if ctx.request.method == "POST":
        request = read_nic(ctx.request.get_data(), ctx.request.mimetype)
        nic = ctx.engine.add_nic(vm, request, user=ctx.user)
        element = r.render_nic(ctx.state, nic, ctx.follow("nic"))
        return ctx.created(element)
    found = ctx.state.vm(vm)
    follow = ctx.follow("nic")
    return ctx.listing("nics", found.nics, lambda n: r.render_nic(ctx.state, n, follow))


def nics_get(ctx: Context, vm: str, id: str) -> Response:
    nic = ctx.state.vm(vm).nic(id)
    if nic is None:
        raise NotFound(msg.NOT_FOUND.format(kind="nic", id=id))
    return ctx.respond(r.render_nic(ctx.state, nic, ctx.follow("nic")))


def events_add(ctx: Context) -> Response:
    """`POST /events` (AddExternalEvent): 201 with the event."""
    request = read_event(ctx.request.get_data(), ctx.request.mimetype)
    event = ctx.engine.add_event(request, user=ctx.user)
    element = r.render_event(ctx.state, event, ctx.follow("event"))
    return ctx.created(element)


HANDLERS: dict[str, Callable[..., Response]] = {
    "vnicprofiles.collection": vnic_profiles_collection,
    "vnicprofiles.get": vnic_profiles_get,
    "networks.collection": networks_collection,
    "networks.get": networks_get,
    "networks.profiles": network_profiles,
    "nics.collection": nics_collection,
    "nics.get": nics_get,
    "events.add": events_add,
}
