"""Custom events: what backup tools post to the engine's audit log (`POST /events`).

Rules of this file (`BLL/AddExternalEventCommand.java:22-80`):
- the origin `oVirt` (any case) is the engine's own and refused; so is a second event with
  the same origin (exact) and `custom_id` while the first is still in the audit log;
- the event's code follows its severity: 9801 normal, 9802 warning, 9803 error, 9804 alert
  (`AuditLogType.java:1402-1405`); its text is the client's, cut to `MaxAuditLogMessageLength`
  (10000, `StringUtils.abbreviate`);
- the duplicate check costs one lookup, never a scan of the log (`State.custom_events`,
  whose keys of aged-out events are dropped as the log drops them, in batches).
"""

from __future__ import annotations

from dataclasses import dataclass

from . import messages as msg
from .jobs import start_job
from .model import Event
from .state import State
from .translate import Command, refuse

__all__ = ["ADD_EXTERNAL_EVENT", "EventRequest", "add_event"]

ADD_EXTERNAL_EVENT = Command("AddExternalEvent", "add", "External Event")
MAX_MESSAGE = 10000  # MaxAuditLogMessageLength (0000_config.sql)
_KINDS = {
    "normal": "external_normal",
    "warning": "external_warning",
    "error": "external_error",
    "alert": "external_alert",
}


@dataclass(frozen=True)
class EventRequest:
    """A parsed `POST /events` (the REST layer has checked the mandatory members)."""

    origin: str
    severity: str
    custom_id: int
    description: str
    vm_id: str | None = None
    host_id: str | None = None
    storage_domain_id: str | None = None
    cluster_id: str | None = None
    data_center_id: str | None = None
    template_id: str | None = None
    flood_rate: int | None = None
    custom_data: str | None = None
    correlation_id: str | None = None


def add_event(state: State, request: EventRequest, user: str) -> Event:
    """AddExternalEvent."""
    if request.origin.lower() == "ovirt":
        raise refuse(ADD_EXTERNAL_EVENT, msg.EXTERNAL_EVENT_ILLEGAL_ORIGIN)
    key = (request.origin, request.custom_id)
    known = state.custom_events.get(key)
    if known is not None and state.events.get(known) is not None:
        raise refuse(ADD_EXTERNAL_EVENT, msg.EXTERNAL_EVENT_DUPLICATE_CUSTOM_ID)
    description = request.description
    if len(description) > MAX_MESSAGE:
        description = description[: MAX_MESSAGE - 3] + "..."
    start_job(state, msg.JOB_ADD_EXTERNAL_EVENT, user, ended=True)
    event = state.events.add(
        _KINDS[request.severity],
        description,
        time=state.now(),
        vm_id=request.vm_id,
        host_id=request.host_id,
    )
    event.origin = request.origin
    event.custom_id = request.custom_id
    if request.flood_rate is not None:
        event.flood_rate = request.flood_rate
    event.custom_data = request.custom_data
    event.correlation_id = request.correlation_id
    event.storage_domain_id = request.storage_domain_id
    event.cluster_id = request.cluster_id
    event.data_center_id = request.data_center_id
    event.template_id = request.template_id
    state.custom_events[key] = event.index
    if len(state.custom_events) > 2 * len(state.events) + 64:  # events age out: so do keys
        live = {k: i for k, i in state.custom_events.items() if state.events.get(i) is not None}
        state.custom_events = live
    return event
