"""The engine's entities, as plain dataclasses. No XML here: the codec renders them."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from .content import ContentView, DiskContent
from .phases import BackupPath, BackupPhase, TransferPhase
from .policy import Progress, TransitionPolicy
from .profile import DOCUMENTED, Profile
from .volumes import VolumeChain

__all__ = [
    "DATA_REQUESTS_KEPT",
    "Backup",
    "Checkpoint",
    "Cluster",
    "DataCenter",
    "DataRequest",
    "DataTotals",
    "Disk",
    "DiskAttachment",
    "DiskConfiguration",
    "Event",
    "Host",
    "ImageTransfer",
    "Job",
    "Network",
    "Nic",
    "PendingWork",
    "Snapshot",
    "StorageDomain",
    "Vm",
    "VmConfiguration",
    "VmStatus",
    "VnicProfile",
]


class VmStatus(StrEnum):
    UNASSIGNED = "unassigned"
    DOWN = "down"
    UP = "up"
    POWERING_UP = "powering_up"
    PAUSED = "paused"
    MIGRATING = "migrating"
    UNKNOWN = "unknown"
    NOT_RESPONDING = "not_responding"
    WAIT_FOR_LAUNCH = "wait_for_launch"
    REBOOT_IN_PROGRESS = "reboot_in_progress"
    SAVING_STATE = "saving_state"
    RESTORING_STATE = "restoring_state"
    SUSPENDED = "suspended"
    IMAGE_LOCKED = "image_locked"
    POWERING_DOWN = "powering_down"


@dataclass
class DataCenter:
    id: str
    name: str
    status: str = "up"
    local: bool = False
    storage_format: str = "v5"
    version: tuple[int, int] = (4, 7)


@dataclass
class Cluster:
    id: str
    name: str
    data_center_id: str
    version: tuple[int, int] = (4, 7)


@dataclass
class Host:
    id: str
    name: str
    address: str
    cluster_id: str
    status: str = "up"


@dataclass
class StorageDomain:
    id: str
    name: str
    data_center_id: str
    type: str = "data"  # data, iso or export
    status: str = "active"
    storage_format: str = "v5"
    master: bool = True
    available: int = 1 << 40
    used: int = 1 << 36
    committed: int = 1 << 38
    storage_type: str = "nfs"  # nfs, iscsi, fcp, glusterfs, posixfs or localfs


@dataclass
class Disk:
    """A virtual disk; `volumes` is its chain of volumes (snapshot layers), whose active
    volume's content is what the guest sees."""

    id: str
    alias: str
    storage_domain_id: str
    volumes: VolumeChain
    format: str = "cow"  # cow (qcow2) or raw
    backup: str = "incremental"  # none or incremental
    sparse: bool = True
    status: str = "ok"  # ok, locked, illegal
    shareable: bool = False
    description: str = ""
    backup_mode: str | None = None  # set by the last backup, as the engine stores it
    # -- volumes (snapshots): what differs per volume from the disk's own fields --------
    volume_formats: dict[str, str] = field(default_factory=dict)  # image id -> cow, if not base
    volume_status: dict[str, str] = field(default_factory=dict)  # image id -> status, non-active
    # -- added with disk creation (core/disks.py) --
    content_type: str = "data"
    wipe_after_delete: bool = False
    propagate_errors: bool = False
    initial_size: int | None = None
    created: datetime | None = None
    work: PendingWork | None = None  # the operation that keeps the disk `locked`

    @property
    def content(self) -> DiskContent:
        """The live, guest-visible content (the active volume over its chain)."""
        return self.volumes.content

    @property
    def image_id(self) -> str:
        """The active volume's id."""
        return self.volumes.active_id

    @property
    def provisioned_size(self) -> int:
        return self.content.size

    @property
    def qcow2(self) -> bool:
        return self.format == "cow"

    def volume_format(self, image_id: str) -> str:
        """A volume's format: a snapshot's new volumes are ``cow``, the base keeps the disk's."""
        return self.volume_formats.get(image_id, self.format)

    @property
    def active_format(self) -> str:
        """The active volume's format: what the engine shows as the disk's ``format``."""
        return self.volume_format(self.image_id)

    def volume_state(self, image_id: str) -> str:
        """A volume's status: the disk's own for the active volume (ok, locked, illegal)."""
        if image_id == self.image_id:
            return self.status
        return self.volume_status.get(image_id, "ok")

    def set_volume_state(self, image_id: str, status: str) -> None:
        if image_id == self.image_id:
            self.status = status
        elif status == "ok":
            self.volume_status.pop(image_id, None)
        else:
            self.volume_status[image_id] = status


@dataclass
class DiskAttachment:
    """A disk plugged into a VM; its id is the disk's id, as in the engine."""

    disk_id: str
    vm_id: str
    active: bool = True
    bootable: bool = False
    interface: str = "virtio_scsi"
    read_only: bool = False
    pass_discard: bool = False
    uses_scsi_reservation: bool = False
    snapshot_id: str | None = None  # a disk attached as of this snapshot (another VM's disk)


@dataclass
class GuestAgent:
    """The guest's agent: whether a filesystem freeze succeeds."""

    freeze_fails: bool = False


@dataclass
class Vm:
    id: str
    name: str
    status: VmStatus
    cluster_id: str
    host_id: str | None
    created: datetime
    memory: int = 1 << 30
    guest: GuestAgent = field(default_factory=GuestAgent)
    attachments: list[DiskAttachment] = field(default_factory=list)
    # disks of other VMs attached as of one of their snapshots (core/snapshot_attachments.py)
    snapshot_attachments: list[DiskAttachment] = field(default_factory=list)
    # -- added with VM creation, power actions and NICs (core/vms.py, core/nics.py) --
    description: str = ""
    comment: str = ""
    type: str = "server"  # desktop, server or high_performance
    os: str = "other"
    cpu_sockets: int = 1
    cpu_cores: int = 1
    cpu_threads: int = 1
    memory_guaranteed: int | None = None  # default: memory
    memory_max: int | None = None  # default: 4 x memory
    delete_protected: bool = False
    stateless: bool = False
    template_id: str = "00000000-0000-0000-0000-000000000000"  # Blank
    nics: list[Nic] = field(default_factory=list)
    generation: int = 1  # the engine's db generation: bumped by configuration changes
    started: datetime | None = None
    stopped: datetime | None = None
    stop_reason: str | None = None
    work: PendingWork | None = None  # a power action on its way (core/vms.py)

    def attachment(self, disk_id: str) -> DiskAttachment | None:
        return next((a for a in self.attachments if a.disk_id == disk_id), None)

    def device(self, disk_id: str) -> DiskAttachment | None:
        """The VM's disk device of that id, whether its own disk or a disk snapshot."""
        found = self.attachment(disk_id)
        if found is None:
            found = next((a for a in self.snapshot_attachments if a.disk_id == disk_id), None)
        return found

    def every_attachment(self) -> list[DiskAttachment]:
        """What `GET /vms/{vm}/diskattachments` lists: its disks, then disk snapshots."""
        return [*self.attachments, *self.snapshot_attachments]

    def nic(self, nic_id: str) -> Nic | None:
        return next((n for n in self.nics if n.id == nic_id), None)

    @property
    def cpus(self) -> int:
        return self.cpu_sockets * self.cpu_cores * self.cpu_threads

    @property
    def guaranteed_memory(self) -> int:
        return self.memory if self.memory_guaranteed is None else self.memory_guaranteed

    @property
    def max_memory(self) -> int:
        return 4 * self.memory if self.memory_max is None else self.memory_max


@dataclass
class Network:
    """A logical network of a data center (every data center has `ovirtmgmt`)."""

    id: str
    name: str
    data_center_id: str
    description: str = ""
    mtu: int = 0
    vlan: int | None = None


@dataclass
class VnicProfile:
    """A VM network interface profile on a network (every network has one of its name)."""

    id: str
    name: str
    network_id: str
    description: str = ""
    port_mirroring: bool = False
    pass_through: bool = False


@dataclass
class Nic:
    """A VM's network interface, on a vNIC profile (or on no network)."""

    id: str
    name: str
    vm_id: str
    mac: str
    vnic_profile_id: str | None
    interface: str = "virtio"  # e1000, rtl8139, virtio, ...
    linked: bool = True
    plugged: bool = True
    description: str = ""


@dataclass
class PendingWork:
    """An operation the engine finishes on its own clock: a disk's creation, removal or
    extension (the disk is `locked` meanwhile), or a VM's power action."""

    kind: str  # disk: add, remove, extend; vm: start, stop, shutdown
    progress: Progress
    user: str
    vm_id: str | None = None
    new_size: int | None = None
    plug: bool = False  # a new disk of an Up VM, to be hot plugged when created
    job_id: str | None = None
    reason: str | None = None
    changes: dict[str, object] = field(default_factory=dict)  # an update's "disk.x"/"attachment.x"


@dataclass(frozen=True)
class DiskConfiguration:
    """One disk as a snapshot's VM configuration keeps it; ``image_id`` is the snapshot's
    volume of that disk."""

    disk_id: str
    image_id: str
    alias: str
    format: str
    sparse: bool
    provisioned_size: int
    actual_size: int
    storage_domain_id: str
    description: str = ""
    interface: str = "virtio_scsi"
    bootable: bool = False
    active: bool = True


@dataclass(frozen=True)
class VmConfiguration:
    """The VM as a snapshot keeps it (the engine stores it as OVF with the snapshot)."""

    name: str
    memory: int
    cluster_id: str
    created: datetime
    disks: tuple[DiskConfiguration, ...] = ()
    ovf: str | None = None  # the OVF text, once fakeovirt writes OVF (see core/snapshots.py)


@dataclass
class Snapshot:
    """A VM snapshot; ``images`` maps each of its disks to the volume that belongs to it.

    ``status`` is ``locked`` while it is created or, with ``removing``, merged away.
    """

    id: str
    vm_id: str
    description: str
    date: datetime
    disk_ids: list[str]
    type: str = "regular"  # regular or active
    status: str = "ok"  # ok, locked, in_preview
    images: dict[str, str] = field(default_factory=dict)
    memory: bool = False  # persist_memorystate: memory was saved with it
    configuration: VmConfiguration | None = None
    user: str | None = None
    removing: bool = False
    progress: Progress | None = None  # where its locked status stands (engine clock, policy)
    job_id: str | None = None
    backup_id: str | None = None  # the snapshot-path backup that took it, if any
    locked_disks: list[str] = field(default_factory=list)  # disks it holds locked


@dataclass
class Checkpoint:
    """A point the next incremental backup starts from; `marks` are per-disk generations."""

    id: str
    vm_id: str
    parent_id: str | None
    created: datetime
    disk_ids: list[str]
    marks: dict[str, int]
    description: str | None = None
    state: str = "created"  # created or invalid


@dataclass
class Backup:
    id: str
    vm_id: str
    path: BackupPath
    phase: BackupPhase
    disk_ids: list[str]
    created: datetime
    modified: datetime
    progress: Progress
    user: str
    from_checkpoint_id: str | None = None
    to_checkpoint_id: str | None = None
    checkpoint_id: str | None = None  # the checkpoint it made: to_checkpoint_id once ready
    description: str | None = None
    require_consistency: bool = False
    freeze_failed: bool = False
    host_id: str | None = None
    snapshot_id: str | None = None
    policy: TransitionPolicy | None = None
    stop_requested: bool = False
    backup_modes: dict[str, str] = field(default_factory=dict)
    views: dict[str, ContentView] = field(default_factory=dict)
    marks: dict[str, int] = field(default_factory=dict)
    history: list[tuple[BackupPhase, datetime]] = field(default_factory=list)
    job_id: str | None = None
    profile: Profile = DOCUMENTED  # the profile it started under


DATA_REQUESTS_KEPT = 64  # the last data requests a transfer keeps; its totals count them all


@dataclass
class DataRequest:
    """One imageio data request on a transfer's ticket, as its bytes moved on the wire.

    ``announced`` is the body length the request promised: the response's Content-Length for
    a GET, the request's for a PUT or PATCH; ``moved`` the bytes sent or received. A request is
    torn when its body ended short (``moved < announced``: the client hung up, timed out, or
    the ticket went away mid-body); ``reason`` says which. ``ended`` is None while in flight.
    """

    method: str  # GET, PUT or PATCH
    op: str  # read, write, zero or flush
    offset: int  # where in the image it starts
    length: int  # how many image bytes it addresses
    announced: int
    started: datetime
    moved: int = 0
    torn: bool = False
    reason: str = ""
    ended: datetime | None = None


@dataclass
class DataTotals:
    """A transfer's finished data requests, all of them (the kept list is bounded)."""

    requests: int = 0
    torn: int = 0
    announced: int = 0
    moved: int = 0


@dataclass
class ImageTransfer:
    id: str
    disk_id: str
    direction: str  # download or upload
    format: str
    phase: TransferPhase
    host_id: str
    ticket: str
    created: datetime
    modified: datetime
    progress: Progress
    user: str
    backup_id: str | None = None
    inactivity_timeout: int = 60
    timeout_policy: str = "legacy"
    shallow: bool = False
    image_id: str | None = None  # the volume transferred (`<snapshot id>`, else the active one)
    backend: str = "nbd"  # nbd (guest data) or file (the volume file as stored)
    file: DiskContent | None = None  # a file-backend upload of a cow volume: the file's bytes
    file_end: int = 0  # how far the uploaded file reaches
    served: object | None = None  # what the FILE backend serves, kept while it stays valid
    transferred: int = 0
    last_activity: datetime | None = None  # a client's last use of the ticket (or extend)
    policy: TransitionPolicy | None = None
    history: list[tuple[TransferPhase, datetime]] = field(default_factory=list)
    data_requests: deque[DataRequest] = field(
        default_factory=lambda: deque(maxlen=DATA_REQUESTS_KEPT)
    )
    data_totals: DataTotals = field(default_factory=DataTotals)

    @property
    def torn_requests(self) -> list[DataRequest]:
        """The torn ones among the kept data requests (``data_totals.torn`` counts them all)."""
        return [r for r in self.data_requests if r.torn]


@dataclass(slots=True)  # the event log keeps up to `Retention.events_kept` of these
class Event:
    index: int
    code: int
    severity: str
    time: datetime
    description: str
    user: str | None = None
    vm_id: str | None = None
    host_id: str | None = None
    correlation_id: str | None = None
    subjects: tuple[str, ...] = ()
    # -- a custom (external) event's own members (core/external_events.py) --
    origin: str = "oVirt"
    custom_id: int = -1
    flood_rate: int = 30
    custom_data: str | None = None
    storage_domain_id: str | None = None
    cluster_id: str | None = None
    data_center_id: str | None = None
    template_id: str | None = None


@dataclass
class Job:
    id: str
    description: str
    status: str
    start_time: datetime
    last_updated: datetime
    end_time: datetime | None = None
    owner: str | None = None
