"""The qcow2 parser: an uploaded file's metadata walked and checked whole (``parse``), its
guest data read later by extents."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from itertools import pairwise

from .format import (
    COMPRESSED,
    EXT_BACKING_FORMAT,
    EXT_DATA_FILE,
    HEADER,
    HEADER_V3,
    INCOMPATIBLE,
    MAGIC,
    MAX_BACKING_NAME,
    MAX_L1_BYTES,
    NO_ENTRIES,
    OFFSET,
    SPAN,
    ZERO,
    ZERO_ENTRIES,
    Backing,
    CorruptQcow2,
    Extent,
    NotQcow2,
    Qcow2Info,
    ReadAt,
    UnsupportedQcow2,
    l1_entries,
)

__all__ = ["Qcow2Layer", "parse", "sniff"]


def sniff(read: ReadAt) -> bool:
    """Whether the file starts as a qcow2 image (magic and version 2 or 3); reads 8 bytes."""
    head = read(0, 8)
    return len(head) == 8 and head[:4] == MAGIC and head[4:8] in (b"\0\0\0\2", b"\0\0\0\3")


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
    if source.size < HEADER.size or source.read(0, 4) != MAGIC:
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
    ) = HEADER.unpack(source.read(0, HEADER.size))
    if version not in (2, 3):
        raise UnsupportedQcow2(f"qcow2 version {version} is not supported (only 2 and 3)")
    if not 9 <= cluster_bits <= 21:
        raise UnsupportedQcow2(f"qcow2 cluster size 2^{cluster_bits} is outside 512 B..2 MiB")
    cs = 1 << cluster_bits
    incompatible, header_length = 0, HEADER.size
    if version == 3:
        incompatible, _, _, refcount_order, header_length = HEADER_V3.unpack(
            source.read(HEADER.size, HEADER_V3.size)
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
        if not 0 < backing_len <= MAX_BACKING_NAME or backing_at + backing_len > cs:
            raise CorruptQcow2("the qcow2 backing file name is not inside the header cluster")
        try:
            name = head[backing_at : backing_at + backing_len].decode()
        except UnicodeDecodeError:
            raise CorruptQcow2("the qcow2 backing file name is not UTF-8") from None
        backing = Backing(name, backing_format)
    needed = l1_entries(virtual_size, cs)
    if l1_size * 8 > MAX_L1_BYTES or l1_size < needed:
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
        INCOMPATIBLE.get(bit, f"unknown feature bit {bit}")
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
        if kind == EXT_DATA_FILE:
            raise UnsupportedQcow2("the qcow2 image uses an external data file")
        if kind == EXT_BACKING_FORMAT:
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
        l2_offset = l1_entry & OFFSET
        if not l2_offset:
            continue
        if l2_offset % cs or l2_offset + cs > source.size:
            raise CorruptQcow2(f"qcow2 L2 table offset {l2_offset} is not a cluster in the file")
        used.append((l2_offset // cs, 1))
        guest0 = index * per_l2
        count = min(per_l2, guest_clusters - guest0)
        table = source.read(l2_offset, 8 * count)
        for at in range(0, count, SPAN):  # whole spans of one kind cost one comparison
            span = table[8 * at : 8 * (at + SPAN)]
            n = len(span) // 8
            if span == NO_ENTRIES[: 8 * n]:
                continue
            if span == ZERO_ENTRIES[: 8 * n]:
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
    if entry & COMPRESSED:
        raise UnsupportedQcow2(
            f"the qcow2 image has compressed clusters (guest offset {guest * cs}); "
            "convert it without -c"
        )
    host = entry & OFFSET
    if entry & ZERO:
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
