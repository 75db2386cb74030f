"""Handlers for creating and removing VMs and for their power actions."""

from __future__ import annotations

from collections.abc import Callable

from werkzeug.wrappers import Response

from fakeovirt.core import messages as msg
from fakeovirt.core.model import Vm, VmStatus
from fakeovirt.core.ovf import OvfError
from fakeovirt.core.vm_import import ImportRequest
from fakeovirt.core.vms import VmRequest
from fakeovirt.web import render as r
from fakeovirt.web.command_bodies import read_vm
from fakeovirt.web.context import Context
from fakeovirt.web.handlers.disks import blocking, removed
from fakeovirt.web.parse import parse_body, parse_flag
from fakeovirt.web.refusals import RawFault

__all__ = ["HANDLERS"]


def vms_add(ctx: Context) -> Response:
    """`POST /vms`: from the Blank template (AddVmFromScratch), from a configuration
    (ImportVmFromConfiguration, answered once done: `importVmFromConfiguration:398-407`),
    or from a snapshot (AddVmFromSnapshot, `cloneVmFromSnapshot:443-479`)."""
    request = read_vm(ctx.state, ctx.request.get_data(), ctx.request.mimetype)
    if isinstance(request, VmRequest):
        vm = ctx.engine.add_vm(request, user=ctx.user)
    elif isinstance(request, ImportRequest):
        try:
            vm = ctx.engine.import_vm(request, user=ctx.user)
        except OvfError as error:  # GetVmFromConfiguration failed: its text, as the engine
            reason = " ".join(str(error).lower().split("_"))
            raise RawFault(400, msg.OVF_NOT_PARSED.format(reason=reason)) from None
    else:
        return _cloned(ctx, ctx.engine.clone_vm(request, user=ctx.user))
    element = r.render_vm(ctx.state, vm, ctx.follow("vm"))
    return ctx.created(element)


def _cloned(ctx: Context, vm: Vm) -> Response:
    """AddVmFromSnapshot's answer: 202 with the `image_locked` VM while its disks are
    copied (VDSM tasks), or 201 once done: at once without disks, or for `Expect:
    201-created` (`AbstractBackendCollectionResource.performCreate:230-262`)."""
    if blocking(ctx):
        ctx.engine.finish_clone(vm.id)
    if vm.status is not VmStatus.IMAGE_LOCKED:
        element = r.render_vm(ctx.state, vm, ctx.follow("vm"))
        return ctx.created(element)
    element = r.render_vm(ctx.state, vm, ctx.follow("vm"), creation_status="pending")
    return ctx.respond(element, 202)


def vms_remove(ctx: Context, vm: str) -> Response:
    """`DELETE /vms/{vm}` (`BackendVmResource.remove:204-214`): read first (404)."""
    ctx.state.vm(vm)
    detach_only = parse_flag(ctx.request.args, "detach_only")[0]
    force = parse_flag(ctx.request.args, "force")[0]
    ctx.engine.remove_vm(vm, detach_only=detach_only, force=force, user=ctx.user)
    return removed(ctx)


def vms_action(ctx: Context, vm: str, action: str) -> Response:
    """`POST /vms/{vm}/start|stop|shutdown` (`BackendVmResource:358-558`)."""
    root = parse_body(
        ctx.request.get_data(), "action", optional=True, content_type=ctx.request.mimetype
    )
    force = root is not None and (root.findtext("force") or "") == "true"
    reason = root.findtext("reason") if root is not None else None
    ctx.engine.vm_action(vm, action, force=force, reason=reason or None, user=ctx.user)
    return ctx.action_done()


HANDLERS: dict[str, Callable[..., Response]] = {
    "vms.add": vms_add,
    "vms.remove": vms_remove,
    "vms.action": vms_action,
}
