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

import struct
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import pairwise

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

CLUSTER_SIZE = 64 * 1024
ReadAt = Callable[[int, int], bytes]

_MAGIC = b"QFI\xfb"
_HEADER = struct.Struct(">4sIQIIQIIQQIIQ")  # the 72 bytes every version has
_HEADER_V3 = struct.Struct(">QQQII")  # features, refcount_order, header_length
_HEADER_LENGTH = 112  # as qemu writes it: 104 bytes, compression type 0 (zlib), padding
_COPIED = 1 << 63
_COMPRESSED = 1 << 62
_ZERO = 1
_OFFSET = 0x00FF_FFFF_FFFF_FE00  # bits 9-55: a host offset
_EXT_BACKING_FORMAT = 0xE2792ACA
_EXT_DATA_FILE = 0x44415441
_MAX_L1_BYTES = 32 * 1024 * 1024  # qemu's QCOW_MAX_L1_SIZE
_MAX_BACKING_NAME = 1023
_INCOMPATIBLE = {0: "dirty", 1: "corrupt", 2: "external data file", 3: "compression type"}
_INCOMPATIBLE |= {4: "extended L2 entries"}
_ZERO_ENTRY = struct.pack(">Q", _ZERO)
_SPAN = 64  # L2 entries compared at once when parsing
_NO_ENTRIES = bytes(8 * _SPAN)
_ZERO_ENTRIES = _ZERO_ENTRY * _SPAN
_REFCOUNT_ONE = struct.pack(">H", 1)


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


_Runs = list[tuple[int, int]]  # sorted, disjoint, non-adjacent [first, end) cluster ranges


# -- writer -------------------------------------------------------------------------------


def synthesize(
    virtual_size: int,
    *,
    data: Iterable[tuple[int, int]],
    read: ReadAt,
    zero: Iterable[tuple[int, int]] = (),
    backing: Backing | None = None,
    cluster_size: int = CLUSTER_SIZE,
) -> Qcow2Image:
    """The qcow2 file of one layer; extents are ``(offset, length)`` in guest bytes.

    ``read(offset, length)`` gives the guest's bytes (this layer over its backing chain); it is
    called only for data clusters, inside ``[0, virtual_size)``, while the file is read.
    """
    if virtual_size <= 0 or virtual_size % 512:
        raise ValueError(f"virtual size {virtual_size} is not a positive multiple of 512")
    if cluster_size & (cluster_size - 1) or not 512 <= cluster_size <= 2 * 1024 * 1024:
        raise ValueError(f"cluster size {cluster_size} is not a power of two in 512 B..2 MiB")
    data_bytes, zero_bytes = _merge_bytes(data, virtual_size), _merge_bytes(zero, virtual_size)
    cs = cluster_size
    touched_zero = _touched(zero_bytes, cs)
    whole_zero = _covered(zero_bytes, cs, virtual_size) if backing else touched_zero
    data_runs = _union(_touched(data_bytes, cs), _subtract(touched_zero, whole_zero))
    zero_runs = _subtract(whole_zero, data_runs)
    return Qcow2Image(virtual_size, cs, data_runs, zero_runs, read, backing)


class Qcow2Image:
    """A synthesized qcow2 file: its ``length`` and the bytes of any range of it."""

    def __init__(
        self,
        virtual_size: int,
        cluster_size: int,
        data_runs: _Runs,
        zero_runs: _Runs,
        read: ReadAt,
        backing: Backing | None,
    ) -> None:
        cs = cluster_size
        self.cluster_size = cs
        self.virtual_size = virtual_size
        self._read_guest = read
        self._data, self._zero = data_runs, zero_runs
        self._data_rank = _ranks(data_runs)  # data clusters before each data run
        per_l2 = cs // 8
        l1_size = _l1_entries(virtual_size, cs)
        self._l2_index = sorted(  # the L1 indexes with an L2 table
            {i for a, b in data_runs + zero_runs for i in range(a // per_l2, (b - 1) // per_l2 + 1)}
        )
        l1_clusters = -(-l1_size * 8 // cs)
        data_clusters = self._data_rank[-1] if data_runs else 0
        fixed = 1 + l1_clusters + len(self._l2_index) + data_clusters
        per_block = cs // 2  # 16-bit refcounts
        ref_blocks, ref_table = 1, 1
        while True:
            blocks = -(-(fixed + ref_table + ref_blocks) // per_block)
            table = -(-blocks * 8 // cs)
            if (blocks, table) == (ref_blocks, ref_table):
                break
            ref_blocks, ref_table = blocks, table
        self._l1_at = 1
        self._ref_table_at = self._l1_at + l1_clusters
        self._ref_blocks_at = self._ref_table_at + ref_table
        self._l2_at = self._ref_blocks_at + ref_blocks
        self._data_at = self._l2_at + len(self._l2_index)
        self._clusters = self._data_at + data_clusters
        self.length = self._clusters * cs
        self._ref_blocks = ref_blocks
        head = _header(virtual_size, cs, l1_size, l1_clusters, ref_table, backing)
        self._regions: list[tuple[int, Callable[[int, int], bytes]]] = [
            (0, lambda off, n: head[off : off + n].ljust(n, b"\0")),
            (self._l1_at * cs, self._l1_bytes),
            (self._ref_table_at * cs, self._ref_table_bytes),
            (self._ref_blocks_at * cs, self._refcount_bytes),
            (self._l2_at * cs, self._l2_bytes),
            (self._data_at * cs, self._data_bytes),
        ]
        self._region_starts = [start for start, _ in self._regions]

    def read(self, offset: int, length: int) -> bytes:
        """The file's bytes at ``[offset, offset + length)``."""
        if offset < 0 or length < 0 or offset + length > self.length:
            raise ValueError(
                f"range offset={offset} length={length} is outside the file (length={self.length})"
            )
        ends = [*self._region_starts[1:], self.length]
        out = []
        pos, end = offset, offset + length
        while pos < end:
            i = bisect_right(self._region_starts, pos) - 1
            start, produce = self._regions[i]
            stop = min(end, ends[i])
            if stop > pos:
                out.append(produce(pos - start, stop - pos))
            pos = stop
        return b"".join(out)

    def _l1_bytes(self, offset: int, length: int) -> bytes:
        lo, hi = offset // 8, -(-(offset + length) // 8)
        entries = bytearray(8 * (hi - lo))
        first = bisect_left(self._l2_index, lo)
        for rank in range(first, bisect_left(self._l2_index, hi)):
            l2 = (self._l2_at + rank) * self.cluster_size | _COPIED
            struct.pack_into(">Q", entries, 8 * (self._l2_index[rank] - lo), l2)
        return bytes(entries[offset - 8 * lo : offset - 8 * lo + length])

    def _ref_table_bytes(self, offset: int, length: int) -> bytes:
        lo, hi = offset // 8, -(-(offset + length) // 8)
        used = range(lo, min(hi, self._ref_blocks))
        base = self._ref_blocks_at
        entries = struct.pack(f">{len(used)}Q", *[(base + i) * self.cluster_size for i in used])
        entries += bytes(8 * (hi - lo - len(used)))
        return entries[offset - 8 * lo : offset - 8 * lo + length]

    def _refcount_bytes(self, offset: int, length: int) -> bytes:
        first, end = offset // 2, -(-(offset + length) // 2)
        used = max(0, min(end, self._clusters) - first)
        table = _REFCOUNT_ONE * used + bytes(2 * (end - first - used))
        return table[offset - 2 * first : offset - 2 * first + length]

    def _l2_bytes(self, offset: int, length: int) -> bytes:
        cs = self.cluster_size
        out = []
        pos, end = offset, offset + length
        while pos < end:
            rank, within = divmod(pos, cs)
            stop = min(end, (rank + 1) * cs)
            lo, hi = within // 8, -(-(stop - rank * cs) // 8)
            table = self._l2_table(self._l2_index[rank] * (cs // 8), lo, hi)
            out.append(table[within - 8 * lo : within - 8 * lo + stop - pos])
            pos = stop
        return b"".join(out)

    def _l2_table(self, guest0: int, lo: int, hi: int) -> bytes:
        """Entries ``[lo, hi)`` of the L2 table whose first entry maps guest cluster ``guest0``."""
        cs = self.cluster_size
        entries = bytearray(8 * (hi - lo))
        first, end = guest0 + lo, guest0 + hi
        for k, (a, b) in _overlapping(self._data, first, end):
            host0 = self._data_at + self._data_rank[k] - self._data[k][0]  # host of guest 0
            raw = struct.pack(f">{b - a}Q", *[(host0 + g) * cs | _COPIED for g in range(a, b)])
            entries[8 * (a - first) : 8 * (b - first)] = raw
        for _, (a, b) in _overlapping(self._zero, first, end):
            entries[8 * (a - first) : 8 * (b - first)] = _ZERO_ENTRY * (b - a)
        return bytes(entries)

    def _data_bytes(self, offset: int, length: int) -> bytes:
        cs = self.cluster_size
        out = []
        pos, end = offset, offset + length
        while pos < end:
            k = bisect_right(self._data_rank, pos // cs) - 1
            first, run_end = self._data[k]
            run_start = self._data_rank[k] * cs  # this run's first byte in the data region
            stop = min(end, run_start + (run_end - first) * cs)
            guest = first * cs + (pos - run_start)
            want = stop - pos
            have = max(0, min(want, self.virtual_size - guest))
            chunk = self._read_guest(guest, have) if have else b""
            if len(chunk) != have:
                raise ValueError(f"read({guest}, {have}) returned {len(chunk)} bytes")
            out.append(chunk + bytes(want - have))
            pos = stop
        return b"".join(out)


def _header(
    virtual_size: int,
    cs: int,
    l1_size: int,
    l1_clusters: int,
    ref_table: int,
    backing: Backing | None,
) -> bytes:
    extensions = b""
    name = b""
    if backing is not None:
        name = backing.file.encode()
        if backing.format is not None:
            fmt = backing.format.encode()
            extensions += struct.pack(">II", _EXT_BACKING_FORMAT, len(fmt)) + _pad8(fmt)
    extensions += struct.pack(">II", 0, 0)
    name_at = _HEADER_LENGTH + len(extensions)
    if backing is not None and not 0 < len(name) <= min(_MAX_BACKING_NAME, cs - name_at):
        raise ValueError(f"backing file name of {len(name)} bytes does not fit the header")
    fixed = _HEADER.pack(
        _MAGIC,
        3,
        name_at if name else 0,
        len(name),
        cs.bit_length() - 1,
        virtual_size,
        0,  # no encryption
        l1_size,
        cs,  # the L1 table: cluster 1
        (1 + l1_clusters) * cs,
        ref_table,
        0,  # no snapshots
        0,
    )
    v3 = _HEADER_V3.pack(0, 0, 0, 4, _HEADER_LENGTH)
    return (fixed + v3).ljust(_HEADER_LENGTH, b"\0") + extensions + name


def _l1_entries(virtual_size: int, cs: int) -> int:
    """L1 entries a disk needs: one per L2 table of ``cs // 8`` clusters."""
    clusters = -(-virtual_size // cs)
    return -(-clusters // (cs // 8))


def _pad8(raw: bytes) -> bytes:
    return raw + bytes(-len(raw) % 8)


def _merge_bytes(extents: Iterable[tuple[int, int]], size: int) -> list[tuple[int, int]]:
    """Byte extents as sorted, merged ``[start, end)`` ranges inside ``[0, size)``."""
    out: list[tuple[int, int]] = []
    for start, length in sorted(extents):
        if start < 0 or length < 0 or start + length > size:
            raise ValueError(f"extent offset={start} length={length} is outside the disk")
        if length == 0:
            continue
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], start + length))
        else:
            out.append((start, start + length))
    return out


def _touched(ranges: list[tuple[int, int]], cs: int) -> _Runs:
    return _normalise([(start // cs, -(-end // cs)) for start, end in ranges])


def _covered(ranges: list[tuple[int, int]], cs: int, size: int) -> _Runs:
    """The clusters wholly inside the ranges (the disk's end counts as a cluster's end)."""
    return _normalise(
        [(-(-start // cs), -(-end // cs) if end == size else end // cs) for start, end in ranges]
    )


def _normalise(runs: Iterable[tuple[int, int]]) -> _Runs:
    out: _Runs = []
    for first, end in sorted(runs):
        if first >= end:
            continue
        if out and first <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((first, end))
    return out


def _union(a: _Runs, b: _Runs) -> _Runs:
    return _normalise(a + b)


def _subtract(a: _Runs, b: _Runs) -> _Runs:
    out: _Runs = []
    j = 0
    for first, end in a:
        pos = first
        while j < len(b) and b[j][1] <= pos:
            j += 1
        k = j
        while k < len(b) and b[k][0] < end:
            if b[k][0] > pos:
                out.append((pos, b[k][0]))
            pos = max(pos, b[k][1])
            k += 1
        if pos < end:
            out.append((pos, end))
    return out


def _ranks(runs: _Runs) -> list[int]:
    """Prefix counts: ``ranks[k]`` clusters come before run ``k``; the last item is the total."""
    ranks = [0]
    for first, end in runs:
        ranks.append(ranks[-1] + end - first)
    return ranks


def _overlapping(runs: _Runs, first: int, end: int) -> Iterator[tuple[int, tuple[int, int]]]:
    """``(k, clipped run)`` for the runs overlapping clusters ``[first, end)``."""
    k = max(0, bisect_right(runs, (first, first)) - 1)
    while k < len(runs) and runs[k][0] < end:
        a, b = max(runs[k][0], first), min(runs[k][1], end)
        if a < b:
            yield k, (a, b)
        k += 1


# -- parser -------------------------------------------------------------------------------


def sniff(read: ReadAt) -> bool:
    """Whether the file starts as a qcow2 image (magic and version 2 or 3); reads 8 bytes."""
    head = read(0, 8)
    return len(head) == 8 and head[:4] == _MAGIC and head[4:8] in (b"\0\0\0\2", b"\0\0\0\3")


def parse(size: int, read: ReadAt) -> Qcow2Layer:
    """Check a qcow2 file of ``size`` bytes and map its guest clusters; raises Qcow2Error."""
    source = _Source(size, read)
    info, l1_offset, l1_size = _read_header(source)
    return Qcow2Layer(info, source, _map_clusters(source, info, l1_offset, l1_size))


class Qcow2Layer:
    """The guest content one qcow2 file holds: ``info`` and its data and zero ``extents``."""

    def __init__(self, info: Qcow2Info, source: _Source, runs: list[tuple[int, int, int]]) -> None:
        self.info = info
        self._source = source
        self._runs = runs  # (first guest cluster, count, host cluster or -1 for zeros)

    @property
    def data_bytes(self) -> int:
        """Guest bytes this layer holds as data."""
        return sum(self._clip(g, n)[1] for g, n, host in self._runs if host >= 0)

    @property
    def zero_bytes(self) -> int:
        """Guest bytes this layer reads as zeros whatever its backing file holds."""
        return sum(self._clip(g, n)[1] for g, n, host in self._runs if host < 0)

    def extents(self, max_data: int = 1024 * 1024) -> Iterator[Extent]:
        """Data and zero extents in guest order; gaps are not in this layer (backing or zeros).

        A data extent holds at most ``max_data`` bytes; adjacent zero clusters are joined.
        """
        cs = self.info.cluster_size
        pending: tuple[int, int] | None = None  # a zero extent not yet given out
        for first, count, host in self._runs:
            start, length = self._clip(first, count)
            if host < 0:
                if pending and pending[0] + pending[1] == start:
                    pending = (pending[0], pending[1] + length)
                else:
                    if pending:
                        yield Extent(*pending, None)
                    pending = (start, length)
                continue
            if pending:
                yield Extent(*pending, None)
                pending = None
            for pos in range(0, length, max_data):
                n = min(max_data, length - pos)
                yield Extent(start + pos, n, self._source.read(host * cs + pos, n))
        if pending:
            yield Extent(*pending, None)

    def _clip(self, first: int, count: int) -> tuple[int, int]:
        cs = self.info.cluster_size
        start = first * cs
        return start, min(count * cs, self.info.virtual_size - start)


class _Source:
    """The uploaded file: reads past its end give zeros, as qemu's file driver does."""

    def __init__(self, size: int, read: ReadAt) -> None:
        self.size = size
        self._read = read

    def read(self, offset: int, length: int) -> bytes:
        have = max(0, min(length, self.size - offset))
        raw = self._read(offset, have) if have else b""
        if len(raw) != have:
            raise ValueError(f"read({offset}, {have}) returned {len(raw)} bytes")
        return raw + bytes(length - have)


def _read_header(source: _Source) -> tuple[Qcow2Info, int, int]:
    if source.size < _HEADER.size or source.read(0, 4) != _MAGIC:
        raise NotQcow2("the file is not a qcow2 image (it does not start with QFI\\xfb)")
    (
        _magic,
        version,
        backing_at,
        backing_len,
        cluster_bits,
        virtual_size,
        crypt,
        l1_size,
        l1_offset,
        _ref_table,
        _ref_clusters,
        snapshots,
        _snapshots_at,
    ) = _HEADER.unpack(source.read(0, _HEADER.size))
    if version not in (2, 3):
        raise UnsupportedQcow2(f"qcow2 version {version} is not supported (only 2 and 3)")
    if not 9 <= cluster_bits <= 21:
        raise UnsupportedQcow2(f"qcow2 cluster size 2^{cluster_bits} is outside 512 B..2 MiB")
    cs = 1 << cluster_bits
    incompatible, header_length = 0, _HEADER.size
    if version == 3:
        incompatible, _, _, refcount_order, header_length = _HEADER_V3.unpack(
            source.read(_HEADER.size, _HEADER_V3.size)
        )
        if header_length < 104 or header_length % 8 or header_length > cs:
            raise CorruptQcow2(f"qcow2 header length {header_length} is invalid")
        if refcount_order > 6:
            raise CorruptQcow2(f"qcow2 refcount order {refcount_order} is over 6")
    if crypt:
        method = {1: "AES", 2: "LUKS"}.get(crypt, f"method {crypt}")
        raise UnsupportedQcow2(f"the qcow2 image is encrypted ({method}); fakeovirt reads none")
    if snapshots:
        raise UnsupportedQcow2(f"the qcow2 image has {snapshots} internal snapshot(s)")
    _check_features(incompatible)
    head = source.read(0, cs)
    backing_format = _extensions(head, header_length, backing_at)
    backing = None
    if backing_at:
        if not 0 < backing_len <= _MAX_BACKING_NAME or backing_at + backing_len > cs:
            raise CorruptQcow2("the qcow2 backing file name is not inside the header cluster")
        try:
            name = head[backing_at : backing_at + backing_len].decode()
        except UnicodeDecodeError:
            raise CorruptQcow2("the qcow2 backing file name is not UTF-8") from None
        backing = Backing(name, backing_format)
    needed = _l1_entries(virtual_size, cs)
    if l1_size * 8 > _MAX_L1_BYTES or l1_size < needed:
        raise CorruptQcow2(
            f"qcow2 L1 table of {l1_size} entries does not fit a {virtual_size}-byte disk"
        )
    if needed and (l1_offset % cs or not 0 < l1_offset <= source.size - 8 * needed):
        raise CorruptQcow2(f"qcow2 L1 table offset {l1_offset} is not a cluster in the file")
    return Qcow2Info(version, cs, virtual_size, backing), l1_offset, needed


def _check_features(incompatible: int) -> None:
    if incompatible & 2:
        raise CorruptQcow2("the qcow2 image is marked corrupt (run qemu-img check -r all)")
    refused = [
        _INCOMPATIBLE.get(bit, f"unknown feature bit {bit}")
        for bit in range(64)
        if incompatible >> bit & 1 and bit not in (0, 3)  # dirty, compression type: harmless
    ]
    if refused:
        raise UnsupportedQcow2(f"the qcow2 image needs {', '.join(refused)}")


def _extensions(head: bytes, at: int, backing_at: int) -> str | None:
    """Walk the header extensions; the backing format, if the image names it."""
    end = backing_at or len(head)
    backing_format = None
    while at + 8 <= end:
        kind, length = struct.unpack_from(">II", head, at)
        if kind == 0:
            break
        body = head[at + 8 : at + 8 + length]
        if at + 8 + length > end:
            raise CorruptQcow2(f"qcow2 header extension 0x{kind:08x} runs past the header")
        if kind == _EXT_DATA_FILE:
            raise UnsupportedQcow2("the qcow2 image uses an external data file")
        if kind == _EXT_BACKING_FORMAT:
            backing_format = body.decode("ascii", "replace")
        at += 8 + length + (-length % 8)
    return backing_format


def _map_clusters(
    source: _Source, info: Qcow2Info, l1_offset: int, l1_size: int
) -> list[tuple[int, int, int]]:
    """Walk L1 and L2: runs of (guest cluster, count, host cluster or -1 for zeros)."""
    cs = info.cluster_size
    per_l2 = cs // 8
    guest_clusters = -(-info.virtual_size // cs)
    l1 = struct.unpack(f">{l1_size}Q", source.read(l1_offset, 8 * l1_size))
    used: list[tuple[int, int]] = [(0, 1), (l1_offset // cs, -(-8 * l1_size // cs))]
    runs: list[tuple[int, int, int]] = []
    for index, l1_entry in enumerate(l1):
        l2_offset = l1_entry & _OFFSET
        if not l2_offset:
            continue
        if l2_offset % cs or l2_offset + cs > source.size:
            raise CorruptQcow2(f"qcow2 L2 table offset {l2_offset} is not a cluster in the file")
        used.append((l2_offset // cs, 1))
        guest0 = index * per_l2
        count = min(per_l2, guest_clusters - guest0)
        table = source.read(l2_offset, 8 * count)
        for at in range(0, count, _SPAN):  # whole spans of one kind cost one comparison
            span = table[8 * at : 8 * (at + _SPAN)]
            n = len(span) // 8
            if span == _NO_ENTRIES[: 8 * n]:
                continue
            if span == _ZERO_ENTRIES[: 8 * n]:
                _append(runs, guest0 + at, n, -1)
                continue
            for i, entry in enumerate(struct.unpack(f">{n}Q", span), guest0 + at):
                if entry:
                    _append(runs, i, 1, _host_cluster(entry, i, cs, source.size))
    used += [(host, count) for _, count, host in runs if host >= 0]
    _check_disjoint(used, cs)
    return runs


def _host_cluster(entry: int, guest: int, cs: int, file_size: int) -> int:
    """The host cluster of a non-empty L2 entry, or -1 when it reads as zeros."""
    if entry & _COMPRESSED:
        raise UnsupportedQcow2(
            f"the qcow2 image has compressed clusters (guest offset {guest * cs}); "
            "convert it without -c"
        )
    host = entry & _OFFSET
    if entry & _ZERO:
        return -1
    if not host:
        return -2  # unallocated (only COPIED or reserved bits set)
    if host % cs or host >= file_size:
        raise CorruptQcow2(f"qcow2 data cluster at host offset {host} is not a cluster in the file")
    return host // cs


def _append(runs: list[tuple[int, int, int]], guest: int, count: int, host: int) -> None:
    """Add clusters, extending the last run when guest (and host) clusters follow on."""
    if host == -2:
        return
    if runs:
        first, last_count, last_host = runs[-1]
        zeros = host == last_host == -1
        contiguous = host >= 0 and last_host >= 0 and last_host + last_count == host
        if first + last_count == guest and (zeros or contiguous):
            runs[-1] = (first, last_count + count, last_host)
            return
    runs.append((guest, count, host))


def _check_disjoint(used: list[tuple[int, int]], cs: int) -> None:
    """Every host cluster serves one purpose: no table or data cluster is used twice."""
    used.sort()
    for (a, n), (b, _) in pairwise(used):
        if b < a + n:
            raise CorruptQcow2(f"qcow2 host cluster at offset {b * cs} is used twice")
