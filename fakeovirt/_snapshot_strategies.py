"""Hypothesis strategies for snapshot requests; `fakeovirt.strategies` exports them."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TypeVar

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from .core import messages as msg
from .core.snapshots import CREATE, MAX_DESCRIPTION, SnapshotRequest

__all__ = [
    "InvalidSnapshotRequest",
    "invalid_snapshot_requests",
    "snapshot_request_http",
    "snapshot_requests",
]

T = TypeVar("T")
# What `CreateSnapshotForVmParameters.description` takes: ASCII or letters, 1..4000 of them.
_DESCRIPTION_CHARS = st.characters(min_codepoint=0x20, max_codepoint=0x7E) | st.characters(
    categories=["Ll", "Lu"], max_codepoint=0x2FF
)


def _lazy(build: Callable[[], st.SearchStrategy[T]]) -> st.SearchStrategy[T]:
    return st.deferred(build)


def snapshot_requests(
    *, disk_ids: Sequence[str], min_disks: int = 0, max_disks: int | None = None
) -> st.SearchStrategy[SnapshotRequest]:
    """Requests the engine's validation accepts for a VM whose attached, not shareable disks
    are `disk_ids`: a description, maybe `persist_memorystate`, all disks (`disk_ids` None)
    or some. The engine then takes it if the VM's status allows and no snapshot is locked."""

    def build() -> st.SearchStrategy[SnapshotRequest]:
        if min_disks < 0 or (max_disks is not None and max_disks < min_disks):
            raise InvalidArgument(f"min_disks={min_disks}, max_disks={max_disks}: no such range")
        if min_disks > len(set(disk_ids)):
            raise InvalidArgument(f"min_disks={min_disks} but only {len(set(disk_ids))} disks")
        chosen = st.lists(
            st.sampled_from(sorted(set(disk_ids))) if disk_ids else st.nothing(),
            min_size=min_disks,
            max_size=max_disks,
            unique=True,
        ).map(tuple)
        all_fit = max_disks is None or max_disks >= len(set(disk_ids))
        every = st.none() if all_fit else st.nothing()
        return st.builds(
            SnapshotRequest,
            description=st.text(_DESCRIPTION_CHARS, min_size=1, max_size=40)
            | st.just("s" * MAX_DESCRIPTION),
            persist_memorystate=st.none() | st.booleans(),
            disk_ids=every | chosen,
        )

    return _lazy(build)


@dataclass(frozen=True)
class InvalidSnapshotRequest:
    """A request the engine refuses, with the status and fault detail it answers."""

    request: SnapshotRequest
    status: int
    detail: str


def invalid_snapshot_requests(
    *, disk_ids: Sequence[str]
) -> st.SearchStrategy[InvalidSnapshotRequest]:
    """Requests with exactly one defect: an empty description, one over 4000 characters, or
    a disk that does not exist. The faults hold for any VM (they are checked first)."""

    def build() -> st.SearchStrategy[InvalidSnapshotRequest]:
        valid = snapshot_requests(disk_ids=disk_ids)
        unknown = st.uuids().map(str).filter(lambda u: u not in set(disk_ids))
        return st.one_of(
            valid.map(_empty),
            st.builds(_too_long, valid, st.integers(MAX_DESCRIPTION + 1, 2 * MAX_DESCRIPTION)),
            st.builds(_unknown_disk, valid, unknown),
        )

    return _lazy(build)


def _empty(request: SnapshotRequest) -> InvalidSnapshotRequest:
    return InvalidSnapshotRequest(
        replace(request, description=""), 400, msg.SNAPSHOT_DESCRIPTION_EMPTY
    )


def _too_long(request: SnapshotRequest, length: int) -> InvalidSnapshotRequest:
    changed = replace(request, description="x" * length)
    return InvalidSnapshotRequest(changed, 400, msg.SNAPSHOT_DESCRIPTION_MAX)


def _unknown_disk(request: SnapshotRequest, disk_id: str) -> InvalidSnapshotRequest:
    changed = replace(request, disk_ids=(*(request.disk_ids or ()), disk_id))
    detail = msg.DISKS_NOT_EXIST.format(what=CREATE, ids=disk_id)
    return InvalidSnapshotRequest(changed, 400, detail)


def snapshot_request_http(request: SnapshotRequest) -> bytes:
    """The `<snapshot>` body of `POST /vms/{vm}/snapshots` for `request`, as the SDK writes
    it (a `disk_attachment` per disk; none at all for every disk)."""
    root = ET.Element("snapshot")
    ET.SubElement(root, "description").text = request.description
    if request.persist_memorystate is not None:
        ET.SubElement(root, "persist_memorystate").text = str(request.persist_memorystate).lower()
    if request.disk_ids is not None:
        attachments = ET.SubElement(root, "disk_attachments")
        images = dict(request.image_ids)
        if not request.disk_ids:  # no disk: an attachment without one, as Bareos sends it
            ET.SubElement(attachments, "disk_attachment")
        for disk_id in request.disk_ids:
            disk = ET.SubElement(
                ET.SubElement(attachments, "disk_attachment"), "disk", {"id": disk_id}
            )
            if disk_id in images:
                ET.SubElement(disk, "image_id").text = images[disk_id]
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return body
