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
- `disk_requests`, `invalid_disk_requests`, `vm_requests`, `invalid_vm_requests`: the disks
  and VMs a restore creates, and what the engine refuses (with its fault);
  `disk_request_http` and `vm_request_http` turn one into a `POST /disks` or `/vms` body;
- `xml_elements`, `xml_documents`: any document of `schemas/api.xsd` (or your XSD), valid by
  construction.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
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
from .core.disks import ADD_DISK, DiskRequest
from .core.model import VmStatus
from .core.scenario import DiskSpec, Scenario, VmSpec
from .core.translate import Message, refuse
from .core.vms import ADD_VM, VM_NAME_SIZE, VmRequest

if TYPE_CHECKING:
    from .fake import FakeOvirt

__all__ = [
    "GuestWrite",
    "InvalidBackupRequest",
    "InvalidDiskRequest",
    "InvalidSnapshotRequest",
    "InvalidVmRequest",
    "backup_request_http",
    "backup_requests",
    "disk_request_http",
    "disk_requests",
    "disk_specs",
    "guest_workloads",
    "guest_writes",
    "invalid_backup_requests",
    "invalid_disk_requests",
    "invalid_snapshot_requests",
    "invalid_vm_requests",
    "scenarios",
    "snapshot_request_http",
    "snapshot_requests",
    "vm_request_http",
    "vm_requests",
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
        draw_fields = _disk_fields(min_blocks, max_blocks, formats)

        @st.composite
        def draw_disk(draw: st.DrawFn) -> DiskSpec:
            return draw_fields(draw, names)

        return draw_disk()

    return _lazy(build)


_BACKUP_MODES = st.sampled_from(["incremental", "none"])


def _disk_fields(
    min_blocks: int, max_blocks: int, formats: Sequence[str]
) -> Callable[[st.DrawFn, str | st.SearchStrategy[str]], DiskSpec]:
    """Draws one disk with `draw`, named `alias` (or drawn from it); the strategies it draws
    from are built here once, not on every draw (hypothesis checks each new strategy)."""
    blocks_of = st.integers(min_blocks, max_blocks)
    formats_of = st.sampled_from(list(formats))

    def draw_disk(draw: st.DrawFn, alias: str | st.SearchStrategy[str]) -> DiskSpec:
        blocks = draw(blocks_of)
        fmt = draw(formats_of)
        backup = draw(_BACKUP_MODES) if fmt == "cow" else "none"
        return DiskSpec(
            alias=alias if isinstance(alias, str) else draw(alias),
            size=blocks * BLOCK_SIZE,
            format=fmt,
            backup=backup,
            seeded_blocks=draw(st.integers(0, blocks)),
            active=draw(st.integers(0, 3)) > 0,  # a quarter are unplugged
        )

    return draw_disk


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
        _check_vm_specs(statuses, min_disks, max_disks)
        _check_range("blocks", 1, max_blocks, at_least=1)
        vm_names = names if names is not None else _NAMES.map(lambda n: f"vm-{n}")
        draw_fields = _vm_fields(statuses, min_disks, max_disks, max_blocks)

        @st.composite
        def draw_vm(draw: st.DrawFn) -> VmSpec:
            return draw_fields(draw, draw(vm_names))

        return draw_vm()

    return _lazy(build)


def _check_vm_specs(statuses: Sequence[str], min_disks: int, max_disks: int) -> None:
    _check_range("disks", min_disks, max_disks)
    bad = [s for s in statuses if s not in VM_STATUSES]
    if not statuses or bad:
        raise InvalidArgument(f"statuses={statuses!r}: use engine VM statuses, e.g. up, down")


def _vm_fields(
    statuses: Sequence[str], min_disks: int, max_disks: int, max_blocks: int
) -> Callable[[st.DrawFn, str], VmSpec]:
    """Draws the VM `name` with `draw`, its disks named `<name>-disk<N>` (strategies built
    once, as in `_disk_fields`)."""
    counts = st.integers(min_disks, max_disks)
    statuses_of = st.sampled_from(list(statuses))
    draw_disk = _disk_fields(1, max_blocks, ("cow", "raw"))

    def draw_vm(draw: st.DrawFn, name: str) -> VmSpec:
        count = draw(counts)
        disks = tuple(draw_disk(draw, f"{name}-disk{n + 1}") for n in range(count))
        return VmSpec(
            name=name,
            status=draw(statuses_of),
            freeze_fails=draw(st.booleans()),
            disks=disks,
        )

    return draw_vm


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
        _check_vm_specs(statuses, 1, max_disks)
        _check_range("blocks", 1, max_blocks, at_least=1)
        names = st.lists(_NAMES, min_size=min_vms, max_size=max_vms, unique=True)
        draw_vm = _vm_fields(statuses, 1, max_disks, max_blocks)

        @st.composite
        def draw_scenario(draw: st.DrawFn) -> Scenario:
            vms = tuple(draw_vm(draw, f"vm-{name}") for name in draw(names))
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
    return _backup_requests(
        tuple(disk_ids), tuple(checkpoint_ids), min_disks, max_disks, incremental
    )


@lru_cache(maxsize=256)
def _backup_requests(
    disk_ids: tuple[str, ...],
    checkpoint_ids: tuple[str, ...],
    min_disks: int,
    max_disks: int | None,
    incremental: bool | None,
) -> st.SearchStrategy[BackupRequest]:
    """`backup_requests`, one strategy per arguments: a test that asks for it in its body on
    every example (the ids of the VM it drew) has hypothesis check it once, not each time."""

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

    return _invalid_backup_requests(tuple(disk_ids), tuple(checkpoint_ids))


@lru_cache(maxsize=256)
def _invalid_backup_requests(
    disk_ids: tuple[str, ...], checkpoint_ids: tuple[str, ...]
) -> st.SearchStrategy[InvalidBackupRequest]:
    """`invalid_backup_requests`, one strategy per arguments (as `_backup_requests`)."""

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
    return _guest_writes(tuple(sorted(disks.items())), max_length)


@lru_cache(maxsize=256)
def _guest_writes(
    sizes: tuple[tuple[str, int], ...], max_length: int
) -> st.SearchStrategy[GuestWrite]:
    """`guest_writes`, one strategy per arguments (as `_backup_requests`)."""
    disks = dict(sizes)

    def build() -> st.SearchStrategy[GuestWrite]:
        if not disks:
            raise InvalidArgument("disks must name at least one disk and its size")
        if max_length < 1:
            raise InvalidArgument(f"max_length={max_length} must be at least 1")

        names = st.sampled_from(sorted(disks))  # built once, not per draw
        patterns = st.binary(min_size=1, max_size=32) | st.just(b"\0")

        @st.composite
        def draw_write(draw: st.DrawFn) -> GuestWrite:
            disk = draw(names)
            size = disks[disk]
            length = draw(st.integers(1, min(max_length, size)))
            if draw(st.booleans()):
                start = draw(st.integers(0, (size - length) // BLOCK_SIZE)) * BLOCK_SIZE
            else:
                start = draw(st.integers(0, size - length))
            pattern = draw(patterns)
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
    return _guest_workloads(tuple(sorted(disks.items())), min_size, max_size, max_length)


@lru_cache(maxsize=256)
def _guest_workloads(
    sizes: tuple[tuple[str, int], ...], min_size: int, max_size: int, max_length: int
) -> st.SearchStrategy[tuple[GuestWrite, ...]]:
    """`guest_workloads`, one strategy per arguments (as `_backup_requests`)."""

    def build() -> st.SearchStrategy[tuple[GuestWrite, ...]]:
        _check_range("size", min_size, max_size)
        writes = _guest_writes(sizes, max_length)
        return st.lists(writes, min_size=min_size, max_size=max_size).map(tuple)

    return _lazy(build)


# -- disks and VMs a restore creates -----------------------------------------------------
# (format, sparse, backup) the engine accepts (ImagesHandler.checkImageConfiguration); on block
# storage (iSCSI, FC) a raw disk is preallocated.
_FILE_CONFIGURATIONS = (
    ("cow", True, None),
    ("cow", True, "incremental"),
    ("cow", False, "incremental"),
    ("raw", True, None),
    ("raw", False, None),
)
_BAD_CONFIGURATIONS = (("cow", False, None), ("raw", True, "incremental"))


def disk_requests(
    *,
    storage_domain_ids: Sequence[str],
    block_storage: bool = False,
    formats: Sequence[str] = ("cow", "raw"),
    min_size: int = BLOCK_SIZE,
    max_size: int = 1 << 30,
) -> st.SearchStrategy[DiskRequest]:
    """Floating disks (`POST /disks`) the engine creates on one of `storage_domain_ids`:
    active data domains of file storage (of block storage with `block_storage=True`) with
    room for `max_size` bytes. A client-chosen id is a fresh UUID."""
    return _disk_requests(
        tuple(storage_domain_ids), block_storage, tuple(formats), min_size, max_size
    )


@lru_cache(maxsize=256)
def _disk_requests(
    storage_domain_ids: tuple[str, ...],
    block_storage: bool,
    formats: tuple[str, ...],
    min_size: int,
    max_size: int,
) -> st.SearchStrategy[DiskRequest]:
    """`disk_requests`, one strategy per arguments (as `_backup_requests`)."""

    def build() -> st.SearchStrategy[DiskRequest]:
        if not storage_domain_ids:
            raise InvalidArgument("storage_domain_ids must name at least one storage domain")
        _check_range("size", min_size, max_size, at_least=1)
        unknown = sorted(set(formats) - {"cow", "raw"})
        if unknown or not formats:
            raise InvalidArgument(f"formats must be among cow and raw, got {list(formats)}")
        allowed = [
            c
            for c in _FILE_CONFIGURATIONS
            if c[0] in formats and not (block_storage and c[0] == "raw" and c[1])
        ]

        # Every strategy a draw uses is built here, once, not per draw.
        configurations = st.sampled_from(allowed)
        sizes = st.integers(min_size, max_size)
        domains = st.sampled_from(list(storage_domain_ids))
        aliases = st.none() | _NAMES
        descriptions = st.none() | xml_safe_text(max_size=40)
        disk_ids = st.none() | st.uuids().map(str)

        @st.composite
        def draw_disk(draw: st.DrawFn) -> DiskRequest:
            fmt, sparse, backup = draw(configurations)
            return DiskRequest(
                provisioned_size=draw(sizes),
                format=fmt,
                storage_domain_id=draw(domains),
                alias=draw(aliases),
                description=draw(descriptions),
                sparse=draw(st.none()) if sparse and draw(st.booleans()) else sparse,
                backup=backup if backup or draw(st.booleans()) else "none",
                disk_id=draw(disk_ids),
            )

        return draw_disk()

    return _lazy(build)


@dataclass(frozen=True)
class InvalidDiskRequest:
    """A disk the engine refuses to create, with the status and fault detail it answers
    (the engine puts its validation messages inside brackets: `[detail]`)."""

    request: DiskRequest
    status: int
    detail: str


def invalid_disk_requests(
    *, storage_domain_ids: Sequence[str], block_storage: bool = False
) -> st.SearchStrategy[InvalidDiskRequest]:
    """Disk requests with exactly one defect: a configuration the domain refuses (COW
    preallocated without incremental backup, raw with it, raw sparse on block storage), no
    storage domain, an unknown one (by id), a size of 0, a shareable COW disk.

    The expected fault holds for `storage_domain_ids` as `disk_requests` takes them."""
    return _invalid_disk_requests(tuple(storage_domain_ids), block_storage)


@lru_cache(maxsize=256)
def _invalid_disk_requests(
    storage_domain_ids: tuple[str, ...], block_storage: bool
) -> st.SearchStrategy[InvalidDiskRequest]:
    """`invalid_disk_requests`, one strategy per arguments (as `_backup_requests`)."""

    def build() -> st.SearchStrategy[InvalidDiskRequest]:
        valid = disk_requests(storage_domain_ids=storage_domain_ids, block_storage=block_storage)
        bad = list(_BAD_CONFIGURATIONS) + ([("raw", True, None)] if block_storage else [])
        unknown = st.uuids().map(str).filter(lambda u: u not in storage_domain_ids)
        cow = disk_requests(
            storage_domain_ids=storage_domain_ids, block_storage=block_storage, formats=["cow"]
        )
        return st.one_of(
            st.builds(_bad_configuration, valid, st.sampled_from(bad)),
            st.builds(
                _disk_defect,
                valid,
                st.just({"storage_domain_id": None}),
                st.just(msg.STORAGE_DOMAIN_NOT_SPECIFIED),
            ),
            st.builds(_unknown_domain, valid, unknown),
            st.builds(
                _disk_defect, valid, st.just({"provisioned_size": 0}), st.just(msg.DISK_SIZE_ZERO)
            ),
            st.builds(
                _disk_defect,
                cow,
                st.just({"shareable": True}),
                st.just(msg.SHAREABLE_NOT_SUPPORTED_BY_FORMAT),
            ),
        )

    return _lazy(build)


def _bad_configuration(
    request: DiskRequest, configuration: tuple[str, bool, str | None]
) -> InvalidDiskRequest:
    fmt, sparse, backup = configuration
    changes = {"format": fmt, "sparse": sparse, "backup": backup}
    values = {
        "volumeFormat": fmt.upper(),
        "volumeType": "Sparse" if sparse else "Preallocated",
        "backup": "Incremental" if backup == "incremental" else "None",
    }
    return _disk_defect(request, changes, msg.DISK_CONFIGURATION_NOT_SUPPORTED, **values)


def _unknown_domain(request: DiskRequest, domain_id: str) -> InvalidDiskRequest:
    """REST looks the domain up first (`updateStorageTypeForDisk`): 404, no brackets."""
    changed = replace(request, storage_domain_id=domain_id)
    return InvalidDiskRequest(changed, 404, msg.ENTITY_NOT_FOUND.format(identifier=domain_id))


def _disk_defect(
    request: DiskRequest, changes: dict[str, object], message: Message, **values: object
) -> InvalidDiskRequest:
    changed = replace(request, **changes)  # type: ignore[arg-type]
    refused = refuse(ADD_DISK, message, **values)
    return InvalidDiskRequest(changed, refused.status, refused.detail)


def disk_request_http(request: DiskRequest) -> bytes:
    """The `<disk>` body of `POST /disks` for `request`."""
    root = ET.Element("disk", {"id": request.disk_id} if request.disk_id else {})
    members: list[tuple[str, object]] = [
        ("backup", request.backup),
        ("description", request.description),
        ("format", request.format),
        ("initial_size", request.initial_size),
        ("name", request.alias),
        ("provisioned_size", request.provisioned_size),
        ("shareable", request.shareable or None),
        ("sparse", request.sparse),
    ]
    for name, value in members:
        if value is not None:
            text = str(value).lower() if isinstance(value, bool) else str(value)
            ET.SubElement(root, name).text = text
    if request.storage_domain_id is not None:
        domains = ET.SubElement(root, "storage_domains")
        ET.SubElement(domains, "storage_domain", {"id": request.storage_domain_id})
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return body


MiB = 1 << 20
_VM_NAMES = st.from_regex(r"[A-Za-z0-9_.-]{1,20}", fullmatch=True)
_MEMORY_MIB = st.integers(256, 16 * 1024)


def vm_requests(
    *, cluster_ids: Sequence[str], taken_names: Sequence[str] = ()
) -> st.SearchStrategy[VmRequest]:
    """VMs from the Blank template (`POST /vms`, Bareos' body) the engine creates in one of
    `cluster_ids`, named unlike `taken_names` (the VMs of the clusters' data centers)."""
    return _vm_requests(tuple(cluster_ids), tuple(taken_names))


@lru_cache(maxsize=256)
def _vm_requests(
    cluster_ids: tuple[str, ...], taken_names: tuple[str, ...]
) -> st.SearchStrategy[VmRequest]:
    """`vm_requests`, one strategy per arguments (as `_backup_requests`)."""

    def build() -> st.SearchStrategy[VmRequest]:
        if not cluster_ids:
            raise InvalidArgument("cluster_ids must name at least one cluster")
        taken = set(taken_names)
        # Every strategy a draw uses is built here, once, not per draw (but the guaranteed
        # memory, bounded by the memory drawn).
        names = _VM_NAMES.filter(lambda n: n not in taken)
        clusters = st.sampled_from(list(cluster_ids))
        cpus = st.none() | st.integers(1, 4)
        threads = st.none() | st.integers(1, 2)
        descriptions = st.none() | xml_safe_text(max_size=40)

        @st.composite
        def draw_vm(draw: st.DrawFn) -> VmRequest:
            memory = draw(_MEMORY_MIB)
            guaranteed = draw(st.none() | st.integers(1, memory))
            return VmRequest(
                name=draw(names),
                cluster_id=draw(clusters),
                memory=memory * MiB,
                memory_guaranteed=None if guaranteed is None else guaranteed * MiB,
                sockets=draw(cpus),
                cores=draw(cpus),
                threads=draw(threads),
                description=draw(descriptions),
            )

        return draw_vm()

    return _lazy(build)


@dataclass(frozen=True)
class InvalidVmRequest:
    """A VM the engine refuses to create, with the status and fault detail it answers."""

    request: VmRequest
    status: int
    detail: str


def invalid_vm_requests(
    *, cluster_ids: Sequence[str], taken_names: Sequence[str] = ()
) -> st.SearchStrategy[InvalidVmRequest]:
    """VM requests with exactly one defect: a name with a character outside letters,
    digits, `_`, `-`, `.`; a name over 255 characters; guaranteed memory over the memory;
    one of `taken_names` (when given)."""
    return _invalid_vm_requests(tuple(cluster_ids), tuple(taken_names))


@lru_cache(maxsize=256)
def _invalid_vm_requests(
    cluster_ids: tuple[str, ...], taken_names: tuple[str, ...]
) -> st.SearchStrategy[InvalidVmRequest]:
    """`invalid_vm_requests`, one strategy per arguments (as `_backup_requests`)."""

    def build() -> st.SearchStrategy[InvalidVmRequest]:
        valid = vm_requests(cluster_ids=cluster_ids, taken_names=taken_names)
        special = st.sampled_from(list(" /:;,*!?#@$%&()[]{}<>'\"+=~^|"))
        defects = [
            st.builds(
                _vm_defect,
                valid,
                special.map(lambda c: {"name": f"vm{c}x"}),
                st.just(msg.NAME_SPECIAL_CHARS),
            ),
            st.builds(
                _vm_defect,
                valid,
                st.integers(VM_NAME_SIZE + 1, 2 * VM_NAME_SIZE).map(lambda n: {"name": "v" * n}),
                st.just(msg.NAME_TOO_LONG),
            ),
            st.builds(
                _vm_defect,
                valid.filter(lambda r: (r.memory or 0) < 16 * 1024 * MiB),
                st.integers(1, 1024).map(lambda extra: {"guaranteed_extra": extra * MiB}),
                st.just(msg.MIN_MEMORY_EXCEEDS_MEMORY),
            ),
        ]
        if taken_names:
            defects.append(
                st.builds(
                    _vm_defect,
                    valid,
                    st.sampled_from(sorted(taken_names)).map(lambda n: {"name": n}),
                    st.just(msg.NAME_ALREADY_USED),
                )
            )
        return st.one_of(defects)

    return _lazy(build)


def _vm_defect(
    request: VmRequest, changes: dict[str, object], message: Message
) -> InvalidVmRequest:
    extra = changes.pop("guaranteed_extra", None)
    if isinstance(extra, int):
        changes["memory_guaranteed"] = (request.memory or 0) + extra
    changed = replace(request, **changes)  # type: ignore[arg-type]
    refused = refuse(ADD_VM, message)
    return InvalidVmRequest(changed, refused.status, refused.detail)


def vm_request_http(request: VmRequest) -> bytes:
    """The `<vm>` body of `POST /vms` for `request`, from the Blank template."""
    root = ET.Element("vm", {"id": request.vm_id} if request.vm_id else {})
    ET.SubElement(root, "name").text = request.name
    ET.SubElement(root, "cluster", {"id": request.cluster_id})
    template = ET.SubElement(root, "template")
    ET.SubElement(template, "name").text = "Blank"
    if request.description is not None:
        ET.SubElement(root, "description").text = request.description
    if request.memory is not None:
        ET.SubElement(root, "memory").text = str(request.memory)
    if request.memory_guaranteed is not None:
        policy = ET.SubElement(root, "memory_policy")
        ET.SubElement(policy, "guaranteed").text = str(request.memory_guaranteed)
    topology = {"sockets": request.sockets, "cores": request.cores, "threads": request.threads}
    if any(v is not None for v in topology.values()):
        cpu_topology = ET.SubElement(ET.SubElement(root, "cpu"), "topology")
        for name, value in topology.items():
            if value is not None:
                ET.SubElement(cpu_topology, name).text = str(value)
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return body


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
    return _lazy_xml_elements(
        element,
        max_depth,
        max_occurs,
        tuple(sorted((ids or {}).items(), key=lambda item: item[0])),
        tuple(sorted((texts or {}).items(), key=lambda item: item[0])),
        schema,
    )


@lru_cache(maxsize=128)
def _lazy_xml_elements(
    element: str,
    max_depth: int,
    max_occurs: int,
    ids: tuple[tuple[str, st.SearchStrategy[str]], ...],
    texts: tuple[tuple[str, st.SearchStrategy[str]], ...],
    schema: Path | None,
) -> st.SearchStrategy[ET.Element]:
    """`xml_elements`, one strategy object per arguments, built on its first draw: a test
    that asks for it in its body on every example has hypothesis check the schema-wide tree
    of strategies once, not on every draw (the same strategy objects in `ids` and `texts`
    hit)."""

    def build() -> st.SearchStrategy[ET.Element]:
        if max_depth < 0:
            raise InvalidArgument(f"max_depth={max_depth} must be at least 0")
        if max_occurs < 1:
            raise InvalidArgument(f"max_occurs={max_occurs} must be at least 1")
        return _xsd_elements(max_depth, max_occurs, ids, texts, schema).root(element)

    return _lazy(build)


@lru_cache(maxsize=32)
def _xsd_elements(
    max_depth: int,
    max_occurs: int,
    ids: tuple[tuple[str, st.SearchStrategy[str]], ...],
    texts: tuple[tuple[str, st.SearchStrategy[str]], ...],
    schema: Path | None,
) -> XsdElements:
    """One builder per options, shared by every root element: `<vm>` and `<vms>` draw
    their `<disk>`s from the same strategy objects, which hypothesis checks once."""
    return XsdElements(
        load_schema(schema), max_depth=max_depth, max_occurs=max_occurs, ids=dict(ids),
        texts=dict(texts),
    )  # fmt: skip


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
    return _documents(elements)


@lru_cache(maxsize=128)
def _documents(elements: st.SearchStrategy[ET.Element]) -> st.SearchStrategy[bytes]:
    """One mapped strategy per `xml_elements` strategy (itself one per arguments)."""
    return elements.map(_document)


def _document(element: ET.Element) -> bytes:
    data: bytes = ET.tostring(element, encoding="utf-8", xml_declaration=True)
    return data
