"""What a transfer's ticket serves and takes: the NBD backend's guest data or the FILE
backend's volume file, and what an upload leaves in the disk.

Rules of this file (oVirt/ovirt-engine `TransferDiskImageCommand.java`: backend 549-556,
ticket size 689-750, verification at finalize 887-942; vdsm `hsm.verify_untrusted_volume`;
ovirt-imageio `backends/file.py`, `backends/nbd.py`):
- a backup transfer, or ``format=raw``, uses the NBD backend: the guest's view of the volume
  (the chain up to it), or with ``shallow=true`` that volume's own layer only; its size is the
  disk's virtual size;
- otherwise the FILE backend serves the volume as stored: a ``raw`` volume's bytes, or a
  ``cow`` volume's qcow2 file (`qcow2.synthesize`: that layer's clusters, its backing file
  the parent volume's id as VDSM names it), whose length is the ticket's size; the file
  backend reports one data extent over the whole file;
- a FILE upload into a ``cow`` volume writes the file, whose ticket is the virtual size
  times 1.1 plus 1 MiB (`QCOW_OVERHEAD_FACTOR`, `QCOW_HEADER_OVERHEAD`); the disk takes its
  guest content when the transfer is finalized;
- at finalize an upload is verified as VDSM does: the file's format must be the volume's
  (a qcow2 file in a raw volume fails, a cow volume must hold qcow2) and a qcow2 file must
  have no backing file; fakeovirt also refuses a qcow2 file larger than the disk. A failed
  verification ends the transfer ``finished_failure`` and the disk ``illegal``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from . import qcow2
from .content import BLOCK_SIZE, ContentView, DiskContent, LayerView, ZeroExtent
from .model import Disk, ImageTransfer
from .state import State

__all__ = ["FileImage", "Source", "source", "upload_size", "verify"]

QCOW_OVERHEAD_FACTOR = 1.1  # StorageConstants.java:27
QCOW_HEADER_OVERHEAD = 1024 * 1024  # StorageConstants.java:28

Source = DiskContent | ContentView | LayerView


@dataclass(frozen=True)
class FileImage:
    """A cow volume as its qcow2 file: what the FILE backend reads."""

    image: qcow2.Qcow2Image
    generation: int  # of the volume it was made from

    @property
    def size(self) -> int:
        return self.image.length

    def read(self, offset: int, length: int) -> bytes:
        return self.image.read(offset, length)

    def zero_extents(self) -> list[ZeroExtent]:
        return [ZeroExtent(0, self.image.length, False, False)]


def source(state: State, transfer: ImageTransfer) -> Source | FileImage:
    """What a plain (not backup) transfer reads: guest data, a layer or a volume's file."""
    disk = state.disks[transfer.disk_id]
    image_id = transfer.image_id or disk.image_id
    if image_id not in disk.volumes:  # the volume is gone: its guest data was merged
        return disk.content
    volume = disk.volumes.volume(image_id)
    if transfer.backend == "nbd":
        return volume.own if transfer.shallow else volume.guest
    if transfer.direction == "upload":
        if disk.volume_format(image_id) == "cow":
            return _upload_file(disk, transfer)
        return disk.content
    if disk.volume_format(image_id) == "raw":
        return volume.guest
    cached = transfer.served
    if isinstance(cached, FileImage) and cached.generation == volume.generation:
        return cached
    parent = volume.parent_id
    backing = None
    if parent is not None:
        backing = qcow2.Backing(parent, "qcow2" if disk.volume_format(parent) == "cow" else "raw")
    own = volume.own
    image = qcow2.synthesize(
        disk.content.size,
        data=[(e.start, e.length) for e in own.zero_extents() if not e.zero],
        zero=[(e.start, e.length) for e in own.zero_extents() if e.zero and not e.hole],
        read=volume.guest.read,
        backing=backing,
    )
    served = FileImage(image, volume.generation)
    transfer.served = served
    return served


def upload_size(disk: Disk) -> int:
    """The ticket size of a FILE upload into a cow volume (file domain formula)."""
    return math.ceil(disk.content.size * QCOW_OVERHEAD_FACTOR) + QCOW_HEADER_OVERHEAD


def _upload_file(disk: Disk, transfer: ImageTransfer) -> DiskContent:
    if transfer.file is None:
        size = -(-upload_size(disk) // BLOCK_SIZE) * BLOCK_SIZE
        transfer.file = DiskContent(size)
    return transfer.file


def verify(state: State, transfer: ImageTransfer) -> bool:
    """At finalize: VDSM's check of an upload, and a cow file's content into the disk."""
    disk = state.disks.get(transfer.disk_id)
    if transfer.direction != "upload" or transfer.backup_id is not None or disk is None:
        return True
    image_id = transfer.image_id or disk.image_id
    if disk.volume_format(image_id) == "raw" or transfer.backend == "nbd":
        if disk.volume_format(image_id) == "raw":
            return not qcow2.sniff(disk.content.read)
        return True
    file = transfer.file
    try:
        layer = qcow2.parse(transfer.file_end, file.read if file is not None else _nothing)
    except qcow2.Qcow2Error:
        return False
    if layer.info.backing is not None or layer.info.virtual_size > disk.content.size:
        return False
    content = disk.content
    content.zero(0, content.size)
    for extent in layer.extents():
        if extent.data is not None:
            content.write(extent.start, extent.data)
    return True


def _nothing(offset: int, length: int) -> bytes:
    return bytes(length)
