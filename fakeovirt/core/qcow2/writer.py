"""The qcow2 writer: one volume's layer as a file, computed range by range (``synthesize``)."""

from __future__ import annotations

import struct
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable

from .format import (
    CLUSTER_SIZE,
    COPIED,
    EXT_BACKING_FORMAT,
    HEADER,
    HEADER_LENGTH,
    HEADER_V3,
    MAGIC,
    MAX_BACKING_NAME,
    REFCOUNT_ONE,
    ZERO_ENTRY,
    Backing,
    ReadAt,
    Runs,
    l1_entries,
    pad8,
)
from .runs import covered, merge_bytes, overlapping, ranks, subtract, touched, union

__all__ = ["Qcow2Image", "synthesize"]


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
    data_bytes, zero_bytes = merge_bytes(data, virtual_size), merge_bytes(zero, virtual_size)
    cs = cluster_size
    touched_zero = touched(zero_bytes, cs)
    whole_zero = covered(zero_bytes, cs, virtual_size) if backing else touched_zero
    data_runs = union(touched(data_bytes, cs), subtract(touched_zero, whole_zero))
    zero_runs = subtract(whole_zero, data_runs)
    return Qcow2Image(virtual_size, cs, data_runs, zero_runs, read, backing)


class Qcow2Image:
    """A synthesized qcow2 file: its ``length`` and the bytes of any range of it."""

    def __init__(
        self,
        virtual_size: int,
        cluster_size: int,
        data_runs: Runs,
        zero_runs: Runs,
        read: ReadAt,
        backing: Backing | None,
    ) -> None:
        cs = cluster_size
        self.cluster_size = cs
        self.virtual_size = virtual_size
        self._read_guest = read
        self._data, self._zero = data_runs, zero_runs
        self._data_rank = ranks(data_runs)  # data clusters before each data run
        per_l2 = cs // 8
        l1_size = l1_entries(virtual_size, cs)
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
            l2 = (self._l2_at + rank) * self.cluster_size | COPIED
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
        table = REFCOUNT_ONE * used + bytes(2 * (end - first - used))
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
        for k, (a, b) in overlapping(self._data, first, end):
            host0 = self._data_at + self._data_rank[k] - self._data[k][0]  # host of guest 0
            raw = struct.pack(f">{b - a}Q", *[(host0 + g) * cs | COPIED for g in range(a, b)])
            entries[8 * (a - first) : 8 * (b - first)] = raw
        for _, (a, b) in overlapping(self._zero, first, end):
            entries[8 * (a - first) : 8 * (b - first)] = ZERO_ENTRY * (b - a)
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
            extensions += struct.pack(">II", EXT_BACKING_FORMAT, len(fmt)) + pad8(fmt)
    extensions += struct.pack(">II", 0, 0)
    name_at = HEADER_LENGTH + len(extensions)
    if backing is not None and not 0 < len(name) <= min(MAX_BACKING_NAME, cs - name_at):
        raise ValueError(f"backing file name of {len(name)} bytes does not fit the header")
    fixed = HEADER.pack(
        MAGIC,
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
    v3 = HEADER_V3.pack(0, 0, 0, 4, HEADER_LENGTH)
    return (fixed + v3).ljust(HEADER_LENGTH, b"\0") + extensions + name
