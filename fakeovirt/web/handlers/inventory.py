"""Handlers for what a backup client reads: the API root, VMs, disks, hosts and friends."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

from werkzeug.wrappers import Response

from fakeovirt.core import messages as msg
from fakeovirt.core import searchable
from fakeovirt.core.errors import NotFound
from fakeovirt.core.model import Vm
from fakeovirt.core.search import SearchObject
from fakeovirt.core.state import State
from fakeovirt.web import render as r
from fakeovirt.web.command_bodies import all_content
from fakeovirt.web.context import Context
from fakeovirt.web.follow import Follow
from fakeovirt.web.parse import parse_from
from fakeovirt.web.schema import schema_path

__all__ = ["HANDLERS"]

INSTANCE_ID = "5f1e0d6a-0000-4000-8000-0000fa4e0f7e"


def api_root(ctx: Context) -> Response:
    if "schema" in ctx.request.args:  # the engine serves its XSD at `GET /ovirt-engine/api?schema`
        return Response(
            schema_path().read_bytes(),
            content_type="application/xml",
            headers={"Content-Disposition": 'attachment; filename="ovirt-engine-api-schema.xsd"'},
        )
    return ctx.respond(
        r.render_api(
            ctx.state,
            user_id=r.user_id(ctx.user),
            now=ctx.state.now(),
            instance_id=INSTANCE_ID,
        )
    )


def vms_collection(ctx: Context) -> Response:
    follow = ctx.follow("vm")
    content = all_content(ctx.request)
    return ctx.listing(
        "vms",
        ctx.state.vms.values(),
        lambda vm: r.render_vm(ctx.state, vm, follow, all_content=content),
        search=searchable.vms(ctx.state),
    )


def vms_get(ctx: Context, vm: str) -> Response:
    found = ctx.engine.observe_vm(ctx.state.vm(vm))  # a per-read policy moves its power
    content = all_content(ctx.request)
    return ctx.respond(r.render_vm(ctx.state, found, ctx.follow("vm"), all_content=content))


def attachments_collection(ctx: Context, vm: str) -> Response:
    found: Vm = ctx.state.vm(vm)
    follow = ctx.follow("disk_attachment")
    return ctx.listing(
        "disk_attachments",
        found.every_attachment(),  # disk snapshots too (GetDiskVmElementsByVmId)
        lambda a: r.render_attachment(ctx.state, a, follow),
    )


def attachments_get(ctx: Context, vm: str, id: str) -> Response:
    attachment = ctx.state.vm(vm).device(id)
    if attachment is None:
        raise NotFound(msg.NOT_FOUND.format(kind="disk attachment", id=id))
    return ctx.respond(r.render_attachment(ctx.state, attachment, ctx.follow("disk_attachment")))


def disks_collection(ctx: Context) -> Response:
    follow = ctx.follow("disk")
    return ctx.listing(
        "disks",
        ctx.state.disks.values(),
        lambda d: r.render_disk(ctx.state, d, follow),
        search=searchable.disks(ctx.state),
        always_search=False,
    )


def disks_get(ctx: Context, id: str) -> Response:
    disk = ctx.engine.observe_disk(ctx.state.disk(id))  # a per-read policy ends its work
    return ctx.respond(r.render_disk(ctx.state, disk, ctx.follow("disk")))


Renderer = Callable[[State, Any, Follow], ET.Element]
Handler = Callable[..., Response]


def _simple(
    kind: str,
    tag: str,
    store_name: str,
    renderer: Renderer,
    search: Callable[[State], SearchObject[Any]],
) -> tuple[Handler, Handler]:
    """List and get handlers for a search-backed collection of one store."""

    def collection_handler(ctx: Context) -> Response:
        follow = ctx.follow(kind)
        store = getattr(ctx.state, store_name)
        return ctx.listing(
            tag,
            store.values(),
            lambda item: renderer(ctx.state, item, follow),
            search=search(ctx.state),
        )

    def get_handler(ctx: Context, id: str) -> Response:
        item = getattr(ctx.state, store_name).get(id)
        if item is None:
            raise NotFound(msg.NOT_FOUND.format(kind=kind.replace("_", " "), id=id))
        return ctx.respond(renderer(ctx.state, item, ctx.follow(kind)))

    return collection_handler, get_handler


hosts_collection, hosts_get = _simple("host", "hosts", "hosts", r.render_host, searchable.hosts)
sds_collection, sds_get = _simple(
    "storage_domain",
    "storage_domains",
    "storage_domains",
    r.render_storage_domain,
    searchable.storage_domains,
)
dcs_collection, dcs_get = _simple(
    "data_center", "data_centers", "data_centers", r.render_data_center, searchable.data_centers
)
clusters_collection, clusters_get = _simple(
    "cluster", "clusters", "clusters", r.render_cluster, searchable.clusters
)


def events_collection(ctx: Context) -> Response:
    after = parse_from(ctx.request.args)
    follow = ctx.follow("event")
    state = ctx.state
    events = state.events.iter_newest_first(after=after)
    return ctx.listing(
        "events",
        events,
        lambda e: r.render_event(state, e, follow),
        search=searchable.events(state),
    )


def events_get(ctx: Context, id: str) -> Response:
    event = ctx.state.events.get(int(id)) if id.isdigit() else None
    if event is None:
        raise NotFound(msg.NOT_FOUND.format(kind="event", id=id))
    return ctx.respond(r.render_event(ctx.state, event, ctx.follow("event")))


def jobs_collection(ctx: Context) -> Response:
    follow = ctx.follow("job")
    return ctx.listing(
        "jobs",
        ctx.state.jobs.values(),  # in the order they started
        lambda j: r.render_job(ctx.state, j, follow),
        search=searchable.jobs(ctx.state),
    )


def jobs_get(ctx: Context, id: str) -> Response:
    job = ctx.state.jobs.get(id)
    if job is None:
        raise NotFound(msg.NOT_FOUND.format(kind="job", id=id))
    return ctx.respond(r.render_job(ctx.state, job, ctx.follow("job")))


HANDLERS: dict[str, Callable[..., Response]] = {
    "api.root": api_root,
    "vms.collection": vms_collection,
    "vms.get": vms_get,
    "attachments.collection": attachments_collection,
    "attachments.get": attachments_get,
    "disks.collection": disks_collection,
    "disks.get": disks_get,
    "hosts.collection": hosts_collection,
    "hosts.get": hosts_get,
    "storagedomains.collection": sds_collection,
    "storagedomains.get": sds_get,
    "datacenters.collection": dcs_collection,
    "datacenters.get": dcs_get,
    "clusters.collection": clusters_collection,
    "clusters.get": clusters_get,
    "events.collection": events_collection,
    "events.get": events_get,
    "jobs.collection": jobs_collection,
    "jobs.get": jobs_get,
}
