"""qcow2 volume files: synthesize one layer as a file served by ranges, parse an uploaded one.

Why: a transfer without ``format`` uses imageio's FILE backend, which serves a ``cow`` volume
as its qcow2 file, that volume only, its backing file being the parent volume
(``TransferDiskImageCommand.java:539-556``, imageio ``backends/file.py``); Bareos uploads those
bytes back with one PUT. Backing file names follow VDSM: the parent volume's UUID, relative,
with its format (``raw``/``qcow2``) in the backing format extension (vdsm
``lib/vdsm/storage/volume.py:32-39`` ``getBackingVolumePath``, ``1126-1138`` ``clone``).

Rules of this file:
- The writer emits version 3 (compat 1.1), ``refcount_order`` 4 (16-bit refcounts), no
  compression, no encryption, no snapshots, clusters of ``CLUSTER_SIZE`` unless told otherwise.
- Layout, in host clusters, always in this order and nothing else: the header cluster (header,
  112 bytes; backing format extension; end of extensions; backing file name), the L1 table,
  the refcount table, the refcount blocks, the L2 tables (in guest order, only those covering
  a data or zero cluster), the data clusters (in guest order). Every cluster has refcount 1,
  so L1 and data entries carry ``COPIED``; the file ends at its last data cluster.
- A layer is given in bytes: ``data`` extents it wrote and ``zero`` extents it zeroed. A
  cluster touched by data is a data cluster, read whole through ``read`` (the guest's view, as
  qemu's copy-on-write would have filled it). A cluster zeroed whole is a zero cluster
  (``QCOW_OFLAG_ZERO``, masking the backing file); a cluster zeroed in part is a data cluster
  when there is a backing file, a zero cluster when there is none (the rest reads as zeros).
- Nothing is built whole: ``read(offset, length)`` computes the bytes of the range it is asked
  for, so memory and time follow the allocated clusters and the range, not the virtual size.
- The parser reads version 2 and 3, clusters of 512 B to 2 MiB, data, zero (plain and
  preallocated) and unallocated clusters, as qemu reads them. It refuses, with a
  ``Qcow2Error`` (a ``ValueError``), encryption, internal snapshots, external data files,
  extended L2 entries, compressed clusters, images marked corrupt and broken metadata.
- The parser walks all metadata in ``parse`` (validate before changing anything); only the
  data is read later, by ``extents``. Every host cluster may be used once, so the work is
  bounded by the file's size. Refcounts are not read: they do not change what the guest sees.
"""

from __future__ import annotations

from .format import (
    CLUSTER_SIZE,
    Backing,
    CorruptQcow2,
    Extent,
    NotQcow2,
    Qcow2Error,
    Qcow2Info,
    ReadAt,
    UnsupportedQcow2,
)
from .parser import Qcow2Layer, parse, sniff
from .writer import Qcow2Image, synthesize

__all__ = [
    "CLUSTER_SIZE",
    "Backing",
    "CorruptQcow2",
    "Extent",
    "NotQcow2",
    "Qcow2Error",
    "Qcow2Image",
    "Qcow2Info",
    "Qcow2Layer",
    "ReadAt",
    "UnsupportedQcow2",
    "parse",
    "sniff",
    "synthesize",
]
