"""Handlers for changing a VM's disk attachments: add (attach or create), update, remove."""

from __future__ import annotations

from collections.abc import Callable

from werkzeug.wrappers import Response

from fakeovirt.core import messages as msg
from fakeovirt.core.errors import NotFound
from fakeovirt.web import render as r
from fakeovirt.web.command_bodies import (
    read_attachment,
    read_attachment_update,
    read_disk,
)
from fakeovirt.web.context import Context
from fakeovirt.web.handlers.disks import blocking, removed
from fakeovirt.web.parse import parse_body, parse_flag
from fakeovirt.web.refusals import RawFault

__all__ = ["HANDLERS"]


def attachments_add(ctx: Context, vm: str) -> Response:
    """`POST /vms/{vm}/diskattachments` (`BackendDiskAttachmentsResource.add:53-60`): a
    `<disk id>` attaches that disk (201), as of a snapshot with `<disk id><snapshot id/>`
    (AttachDiskToVm with a snapshot id, lines 108-111), otherwise a new disk is added (202)."""
    root = parse_body(ctx.request.get_data(), "disk_attachment", content_type=ctx.request.mimetype)
    assert root is not None
    disk = root.find("disk")
    follow = ctx.follow("disk_attachment")
    if disk is not None and disk.get("id"):
        attachment = ctx.engine.attach_disk(vm, read_attachment(root), user=ctx.user)
        element = r.render_attachment(ctx.state, attachment, follow)
        return ctx.created(element)
    request = read_disk(
        ctx.state, disk, method="invoke", legacy_size=True, attachment=root, vm_id=vm
    )
    created = ctx.engine.add_disk(request, user=ctx.user)
    found = ctx.state.vm(vm).attachment(created.id)
    assert found is not None
    if blocking(ctx):
        ctx.engine.finish_disk(created.id)
        element = r.render_attachment(ctx.state, found, follow)
        return ctx.created(element)
    status = "complete" if created.work is None else "pending"
    element = r.render_attachment(ctx.state, found, follow, creation_status=status)
    return ctx.respond(element, 202)


def attachments_change(ctx: Context, vm: str, id: str) -> Response:
    """`PUT` (plug or unplug when `active` changes, then UpdateDisk) or `DELETE`
    (`detach_only`, default true: DetachDiskFromVm; false: RemoveDisk)."""
    if ctx.request.method == "DELETE":
        detach_only = parse_flag(ctx.request.args, "detach_only")
        if "detach_only" in ctx.request.args and not detach_only[0] and detach_only[1] is None:
            ctx.engine.remove_disk(id, user=ctx.user)
        else:
            ctx.engine.detach_disk(vm, id, user=ctx.user)
        return removed(ctx)
    root = parse_body(ctx.request.get_data(), "disk_attachment", content_type=ctx.request.mimetype)
    assert root is not None
    change = read_attachment_update(root)
    attachment = ctx.state.vm(vm).device(id)
    if attachment is None:
        raise NotFound(msg.NOT_FOUND.format(kind="disk attachment", id=id))
    if attachment.snapshot_id is not None:
        raise RawFault(400, msg.SNAPSHOT_ATTACHMENT_UPDATE, msg.NOT_MODELLED_REASON)
    if change.active is not None and change.active != attachment.active:
        ctx.engine.plug_disk(vm, id, change.active, user=ctx.user)
    ctx.engine.update_attachment(vm, id, change, user=ctx.user)
    return ctx.respond(r.render_attachment(ctx.state, attachment, ctx.follow("disk_attachment")))


HANDLERS: dict[str, Callable[..., Response]] = {
    "attachments.add": attachments_add,
    "attachments.change": attachments_change,
}
