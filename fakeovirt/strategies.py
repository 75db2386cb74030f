"""Hypothesis strategies for contract tests of backup software against fakeovirt.

In hypothesis's house style: plural nouns of what they produce, keyword-only options,
arguments checked with `InvalidArgument` when the strategy is first drawn from.

    from fakeovirt import strategies as fst

    @given(fst.scenarios(), fst.guest_workloads(disks={"vm-up-disk1": 1 << 30}))

- `disk_specs`, `vm_specs`, `scenarios`: inventories to reset a fake to;
- `backup_requests`, `invalid_backup_requests`: what a client may ask for, and what it must
  not (with the fault the engine answers); `backup_request_http` turns one into a body
  and query for raw HTTP clients;
- `snapshot_requests`, `invalid_snapshot_requests`, `snapshot_request_http`: the same for
  `POST /vms/{vm}/snapshots`;
- `guest_writes`, `guest_workloads`: what the guest writes between backups;
- `xml_elements`, `xml_documents`: any document of `schemas/api.xsd` (or your XSD), valid by
  construction.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urlencode

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from ._snapshot_strategies import (
    InvalidSnapshotRequest,
    invalid_snapshot_requests,
    snapshot_request_http,
    snapshot_requests,
)
from ._xsd_strategies import XsdElements, load_schema, xml_safe_text
from .core import messages as msg
from .core.backups import MAX_DESCRIPTION, BackupRequest
from .core.content import BLOCK_SIZE
from .core.model import VmStatus
from .core.scenario import DiskSpec, Scenario, VmSpec

if TYPE_CHECKING:
    from .fake import FakeOvirt

__all__ = [
    "GuestWrite",
    "InvalidBackupRequest",
    "InvalidSnapshotRequest",
    "backup_request_http",
    "backup_requests",
    "disk_specs",
    "guest_workloads",
    "guest_writes",
    "invalid_backup_requests",
    "invalid_snapshot_requests",
    "scenarios",
    "snapshot_request_http",
    "snapshot_requests",
    "vm_specs",
    "xml_documents",
    "xml_elements",
]

T = TypeVar("T")
VM_STATUSES = tuple(s.value for s in VmStatus)
_NAMES = st.from_regex(r"[a-z][a-z0-9]{0,7}", fullmatch=True)


def _lazy(build: Callable[[], st.SearchStrategy[T]]) -> st.SearchStrategy[T]:
    """Check arguments and build the strategy when it is first drawn from, not when called."""
    return st.deferred(build)


def _check_range(name: str, low: int, high: int | None, *, at_least: int = 0) -> None:
    if low < at_least:
        raise InvalidArgument(f"min_{name}={low} must be at least {at_least}")
    if high is not None and high < low:
        raise InvalidArgument(f"max_{name}={high} must be at least min_{name}={low}")


# -- inventories -------------------------------------------------------------------
def disk_specs(
    *,
    aliases: st.SearchStrategy[str] | None = None,
    min_blocks: int = 1,
    max_blocks: int = 64,
    formats: Sequence[str] = ("cow", "raw"),
) -> st.SearchStrategy[DiskSpec]:
    """Disks of `min_blocks`..`max_blocks` 64 KiB blocks; qcow2 disks may be incremental."""

    def build() -> st.SearchStrategy[DiskSpec]:
        _check_range("blocks", min_blocks, max_blocks, at_least=1)
        unknown = set(formats) - {"cow", "raw"}
        if not formats or unknown:
            raise InvalidArgument(f"formats={formats!r}: use a non-empty subset of cow, raw")
        names = aliases if aliases is not None else _NAMES.map(lambda n: f"disk-{n}")

        @st.composite
        def draw_disk(draw: st.DrawFn) -> DiskSpec:
            blocks = draw(st.integers(min_blocks, max_blocks))
            fmt = draw(st.sampled_from(list(formats)))
            backup = draw(st.sampled_from(["incremental", "none"])) if fmt == "cow" else "none"
            return DiskSpec(
                alias=draw(names),
                size=blocks * BLOCK_SIZE,
                format=fmt,
                backup=backup,
                seeded_blocks=draw(st.integers(0, blocks)),
                active=draw(st.integers(0, 3)) > 0,  # a quarter are unplugged
            )

        return draw_disk()

    return _lazy(build)


def vm_specs(
    *,
    names: st.SearchStrategy[str] | None = None,
    statuses: Sequence[str] = ("up", "down", "paused"),
    min_disks: int = 1,
    max_disks: int = 3,
    max_blocks: int = 64,
) -> st.SearchStrategy[VmSpec]:
    """VMs in one of `statuses`, whose disks are named `<vm>-disk<N>`."""

    def build() -> st.SearchStrategy[VmSpec]:
        _check_range("disks", min_disks, max_disks)
        bad = [s for s in statuses if s not in VM_STATUSES]
        if not statuses or bad:
            raise InvalidArgument(f"statuses={statuses!r}: use engine VM statuses, e.g. up, down")
        vm_names = names if names is not None else _NAMES.map(lambda n: f"vm-{n}")

        @st.composite
        def draw_vm(draw: st.DrawFn) -> VmSpec:
            name = draw(vm_names)
            count = draw(st.integers(min_disks, max_disks))
            disks = tuple(
                draw(disk_specs(aliases=st.just(f"{name}-disk{n + 1}"), max_blocks=max_blocks))
                for n in range(count)
            )
            return VmSpec(
                name=name,
                status=draw(st.sampled_from(list(statuses))),
                freeze_fails=draw(st.booleans()),
                disks=disks,
            )

        return draw_vm()

    return _lazy(build)


def scenarios(
    *,
    min_vms: int = 1,
    max_vms: int = 4,
    statuses: Sequence[str] = ("up", "down", "paused"),
    max_disks: int = 3,
    max_blocks: int = 64,
) -> st.SearchStrategy[Scenario]:
    """Small inventories (VM names unique) to give `FakeOvirt.reset(scenario)`."""

    def build() -> st.SearchStrategy[Scenario]:
        _check_range("vms", min_vms, max_vms)
        names = st.lists(_NAMES, min_size=min_vms, max_size=max_vms, unique=True)

        @st.composite
        def draw_scenario(draw: st.DrawFn) -> Scenario:
            vms = tuple(
                draw(
                    vm_specs(
                        names=st.just(f"vm-{name}"),
                        statuses=statuses,
                        max_disks=max_disks,
                        max_blocks=max_blocks,
                    )
                )
                for name in draw(names)
            )
            return Scenario(name="generated", vms=vms, seed=draw(st.integers(0, 2**16)))

        return draw_scenario()

    return _lazy(build)


# -- backup requests ------------------------------------------------------------------
def _descriptions() -> st.SearchStrategy[str | None]:
    return st.none() | xml_safe_text(max_size=40) | st.just("d" * MAX_DESCRIPTION)


def backup_requests(
    *,
    disk_ids: Sequence[str],
    checkpoint_ids: Sequence[str] = (),
    min_disks: int = 1,
    max_disks: int | None = None,
    incremental: bool | None = None,
) -> st.SearchStrategy[BackupRequest]:
    """Requests the engine's validation accepts, given the VM's active `disk_ids` and
    the `checkpoint_ids` of its chain (valid ones).

    `incremental=True` always names a checkpoint, `False` never, `None` either. Whether the
    engine then starts the backup still depends on the VM: it must be up or down, with no
    unfinished backup.
    """

    def build() -> st.SearchStrategy[BackupRequest]:
        if not disk_ids:
            raise InvalidArgument("disk_ids must name at least one disk of the VM")
        _check_range("disks", min_disks, max_disks, at_least=1)
        if min_disks > len(set(disk_ids)):
            raise InvalidArgument(f"min_disks={min_disks} but only {len(set(disk_ids))} disks")
        if incremental and not checkpoint_ids:
            raise InvalidArgument("incremental=True needs at least one checkpoint id")
        froms: st.SearchStrategy[str | None] = st.none()
        if checkpoint_ids and incremental is not False:
            named = st.sampled_from(list(checkpoint_ids))
            froms = named if incremental else st.none() | named
        return st.builds(
            BackupRequest,
            disk_ids=st.lists(
                st.sampled_from(sorted(set(disk_ids))),
                min_size=min_disks,
                max_size=max_disks,
                unique=True,
            ).map(tuple),
            backup_id=st.none() | st.uuids().map(str),
            from_checkpoint_id=froms,
            description=_descriptions(),
            require_consistency=st.booleans(),
            use_active=st.booleans(),
        )

    return _lazy(build)


@dataclass(frozen=True)
class InvalidBackupRequest:
    """A request the engine refuses, with the status and fault detail it answers."""

    request: BackupRequest
    status: int
    detail: str


def invalid_backup_requests(
    *, disk_ids: Sequence[str], checkpoint_ids: Sequence[str] = ()
) -> st.SearchStrategy[InvalidBackupRequest]:
    """Requests with exactly one defect: no disks, an unknown disk or checkpoint, a description
    over 1024 characters, or a query flag that is not a boolean.

    The expected fault holds when the VM is up or down, has no unfinished backup, and all
    `disk_ids` are active disks of it (the engine checks those first).
    """

    def build() -> st.SearchStrategy[InvalidBackupRequest]:
        valid = backup_requests(disk_ids=disk_ids, checkpoint_ids=checkpoint_ids)
        known = {*disk_ids, *checkpoint_ids}
        unknown = st.uuids().map(str).filter(lambda u: u not in known)
        too_long = st.integers(MAX_DESCRIPTION + 1, 2 * MAX_DESCRIPTION)
        return st.one_of(
            st.builds(_no_disks, valid, st.sampled_from([None, ()])),
            st.builds(_unknown_disk, valid, unknown),
            st.builds(_unknown_checkpoint, valid, unknown),
            st.builds(_long_description, valid, too_long),
            st.builds(
                _bad_flag,
                valid,
                st.sampled_from(["require_consistency", "use_active", "legacy"]),
                st.from_regex(r"[a-z2-9]{1,6}", fullmatch=True).filter(_not_boolean),
            ),
        )

    return _lazy(build)


def _replace(request: BackupRequest, **changes: object) -> BackupRequest:
    return replace(request, **changes)  # type: ignore[arg-type]


def _no_disks(request: BackupRequest, disk_ids: tuple[str, ...] | None) -> InvalidBackupRequest:
    return InvalidBackupRequest(_replace(request, disk_ids=disk_ids), 400, msg.BACKUP_NO_DISKS)


def _unknown_disk(request: BackupRequest, disk_id: str) -> InvalidBackupRequest:
    assert request.disk_ids is not None
    changed = _replace(request, disk_ids=(*request.disk_ids, disk_id))
    return InvalidBackupRequest(changed, 400, msg.BACKUP_DISKS_NOT_EXIST.format(ids=disk_id))


def _unknown_checkpoint(request: BackupRequest, checkpoint_id: str) -> InvalidBackupRequest:
    changed = _replace(request, from_checkpoint_id=checkpoint_id)
    detail = msg.BACKUP_CHECKPOINT_NOT_EXIST.format(id=checkpoint_id)
    return InvalidBackupRequest(changed, 400, detail)


def _long_description(request: BackupRequest, length: int) -> InvalidBackupRequest:
    changed = _replace(request, description="x" * length)
    return InvalidBackupRequest(changed, 400, msg.BACKUP_DESCRIPTION_TOO_LONG)


def _bad_flag(request: BackupRequest, name: str, value: str) -> InvalidBackupRequest:
    changed = _replace(request, bad_flag=(name, value))
    return InvalidBackupRequest(changed, 400, msg.BAD_FLAG.format(name=name, value=value))


def _not_boolean(value: str) -> bool:
    return value not in {"t", "true", "y", "yes", "1", "f", "false", "n", "no", "0"}


def backup_request_http(request: BackupRequest) -> tuple[bytes, str]:
    """The `<backup>` body and the query string of `POST /vms/{vm}/backups` for `request`."""
    root = ET.Element("backup", {"id": request.backup_id} if request.backup_id else {})
    if request.description is not None:
        ET.SubElement(root, "description").text = request.description
    if request.from_checkpoint_id is not None:
        ET.SubElement(root, "from_checkpoint_id").text = request.from_checkpoint_id
    if request.disk_ids is not None:
        disks = ET.SubElement(root, "disks")
        for disk_id in request.disk_ids:
            ET.SubElement(disks, "disk", {"id": disk_id})
    query = {
        "require_consistency": str(request.require_consistency).lower(),
        "use_active": str(request.use_active).lower(),
    }
    if request.bad_flag is not None:
        name, value = request.bad_flag
        query[name] = value
    return ET.tostring(root, encoding="utf-8", xml_declaration=True), urlencode(query)


# -- guest writes ------------------------------------------------------------------------
@dataclass(frozen=True)
class GuestWrite:
    """The guest writes `data` at `offset` of a disk (named by alias or id)."""

    disk: str
    offset: int
    data: bytes

    def apply(self, fake: FakeOvirt) -> None:
        fake.guest_write(self.disk, self.offset, self.data)


def guest_writes(
    *, disks: Mapping[str, int], max_length: int = 2 * BLOCK_SIZE
) -> st.SearchStrategy[GuestWrite]:
    """Writes inside one of `disks` (alias or id -> size in bytes): aligned or not, data or
    zeros, at most `max_length` bytes."""

    def build() -> st.SearchStrategy[GuestWrite]:
        if not disks:
            raise InvalidArgument("disks must name at least one disk and its size")
        if max_length < 1:
            raise InvalidArgument(f"max_length={max_length} must be at least 1")

        @st.composite
        def draw_write(draw: st.DrawFn) -> GuestWrite:
            disk = draw(st.sampled_from(sorted(disks)))
            size = disks[disk]
            length = draw(st.integers(1, min(max_length, size)))
            if draw(st.booleans()):
                start = draw(st.integers(0, (size - length) // BLOCK_SIZE)) * BLOCK_SIZE
            else:
                start = draw(st.integers(0, size - length))
            pattern = draw(st.binary(min_size=1, max_size=32) | st.just(b"\0"))
            data = (pattern * (length // len(pattern) + 1))[:length]
            return GuestWrite(disk, start, data)

        return draw_write()

    return _lazy(build)


def guest_workloads(
    *,
    disks: Mapping[str, int],
    min_size: int = 0,
    max_size: int = 8,
    max_length: int = 2 * BLOCK_SIZE,
) -> st.SearchStrategy[tuple[GuestWrite, ...]]:
    """Sequences of `guest_writes`, applied in order between two backups."""

    def build() -> st.SearchStrategy[tuple[GuestWrite, ...]]:
        _check_range("size", min_size, max_size)
        writes = guest_writes(disks=disks, max_length=max_length)
        return st.lists(writes, min_size=min_size, max_size=max_size).map(tuple)

    return _lazy(build)


# -- XML documents ------------------------------------------------------------------------
def xml_elements(
    element: str,
    *,
    max_depth: int = 2,
    max_occurs: int = 2,
    ids: Mapping[str, st.SearchStrategy[str]] | None = None,
    texts: Mapping[str, st.SearchStrategy[str]] | None = None,
    schema: Path | None = None,
) -> st.SearchStrategy[ET.Element]:
    """`<element>` trees valid against `schemas/api.xsd` (or `schema`).

    `max_depth` bounds nesting below the root (past it only required children appear);
    `max_occurs` caps unbounded repetitions. `ids` maps an element name to the strategy of
    its `id` attribute (e.g. `{"disk": sampled_from(disk_ids)}`); `texts` maps an element
    name to the strategy of its text, which must be valid for its type.
    """

    def build() -> st.SearchStrategy[ET.Element]:
        if max_depth < 0:
            raise InvalidArgument(f"max_depth={max_depth} must be at least 0")
        if max_occurs < 1:
            raise InvalidArgument(f"max_occurs={max_occurs} must be at least 1")
        builder = XsdElements(
            load_schema(schema),
            max_depth=max_depth,
            max_occurs=max_occurs,
            ids=dict(ids or {}),
            texts=dict(texts or {}),
        )
        return builder.root(element)

    return _lazy(build)


def xml_documents(
    element: str,
    *,
    max_depth: int = 2,
    max_occurs: int = 2,
    ids: Mapping[str, st.SearchStrategy[str]] | None = None,
    texts: Mapping[str, st.SearchStrategy[str]] | None = None,
    schema: Path | None = None,
) -> st.SearchStrategy[bytes]:
    """`xml_elements` serialised as UTF-8 documents with an XML declaration."""
    elements = xml_elements(
        element, max_depth=max_depth, max_occurs=max_occurs, ids=ids, texts=texts, schema=schema
    )
    return elements.map(lambda e: ET.tostring(e, encoding="utf-8", xml_declaration=True))
