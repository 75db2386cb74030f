"""The qcow2 format as fakeovirt writes and reads it: constants, errors, what a header says.

See the package's docstring for the rules; this module holds what the writer and the parser
share.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass

__all__ = [
    "CLUSTER_SIZE",
    "COMPRESSED",
    "COPIED",
    "EXT_BACKING_FORMAT",
    "EXT_DATA_FILE",
    "HEADER",
    "HEADER_LENGTH",
    "HEADER_V3",
    "INCOMPATIBLE",
    "MAGIC",
    "MAX_BACKING_NAME",
    "MAX_L1_BYTES",
    "NO_ENTRIES",
    "OFFSET",
    "REFCOUNT_ONE",
    "SPAN",
    "ZERO",
    "ZERO_ENTRIES",
    "ZERO_ENTRY",
    "Backing",
    "CorruptQcow2",
    "Extent",
    "NotQcow2",
    "Qcow2Error",
    "Qcow2Info",
    "ReadAt",
    "Runs",
    "UnsupportedQcow2",
    "l1_entries",
    "pad8",
]

CLUSTER_SIZE = 64 * 1024
ReadAt = Callable[[int, int], bytes]

MAGIC = b"QFI\xfb"
HEADER = struct.Struct(">4sIQIIQIIQQIIQ")  # the 72 bytes every version has
HEADER_V3 = struct.Struct(">QQQII")  # features, refcount_order, header_length
HEADER_LENGTH = 112  # as qemu writes it: 104 bytes, compression type 0 (zlib), padding
COPIED = 1 << 63
COMPRESSED = 1 << 62
ZERO = 1
OFFSET = 0x00FF_FFFF_FFFF_FE00  # bits 9-55: a host offset
EXT_BACKING_FORMAT = 0xE2792ACA
EXT_DATA_FILE = 0x44415441
MAX_L1_BYTES = 32 * 1024 * 1024  # qemu's QCOW_MAX_L1_SIZE
MAX_BACKING_NAME = 1023
INCOMPATIBLE = {0: "dirty", 1: "corrupt", 2: "external data file", 3: "compression type"}
INCOMPATIBLE |= {4: "extended L2 entries"}
ZERO_ENTRY = struct.pack(">Q", ZERO)
SPAN = 64  # L2 entries compared at once when parsing
NO_ENTRIES = bytes(8 * SPAN)
ZERO_ENTRIES = ZERO_ENTRY * SPAN
REFCOUNT_ONE = struct.pack(">H", 1)


class Qcow2Error(ValueError):
    """An uploaded file this module cannot turn into guest content; the message says why."""


class NotQcow2(Qcow2Error):
    """The bytes are not a qcow2 image."""


class UnsupportedQcow2(Qcow2Error):
    """A valid qcow2 image using a feature fakeovirt does not read."""


class CorruptQcow2(Qcow2Error):
    """A qcow2 image whose metadata is inconsistent."""


@dataclass(frozen=True, slots=True)
class Backing:
    """A backing file reference: the name as stored (VDSM: the parent volume's UUID)."""

    file: str
    format: str | None = None  # "raw" or "qcow2"; None when the image does not say


@dataclass(frozen=True, slots=True)
class Extent:
    """Guest bytes ``[start, start + length)`` of the layer; ``data`` None reads as zeros."""

    start: int
    length: int
    data: bytes | None


@dataclass(frozen=True, slots=True)
class Qcow2Info:
    """What a qcow2 header says."""

    version: int
    cluster_size: int
    virtual_size: int
    backing: Backing | None


Runs = list[tuple[int, int]]  # sorted, disjoint, non-adjacent [first, end) cluster ranges


def l1_entries(virtual_size: int, cs: int) -> int:
    """L1 entries a disk needs: one per L2 table of ``cs // 8`` clusters."""
    clusters = -(-virtual_size // cs)
    return -(-clusters // (cs // 8))


def pad8(raw: bytes) -> bytes:
    return raw + bytes(-len(raw) % 8)
