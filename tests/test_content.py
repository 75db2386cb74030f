"""Simulated disk content: sparse bytes, zeroing, frozen views, zero and dirty extents."""

from __future__ import annotations

import hashlib
import tracemalloc
from collections.abc import Sequence
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fakeovirt.core.content import (
    BLOCK_SIZE,
    DirtyExtent,
    DiskContent,
    ZeroExtent,
    seed_content,
    sha256,
)

B = BLOCK_SIZE
TIB = 1024**4


def assert_tiles(extents: Sequence[ZeroExtent | DirtyExtent], size: int) -> None:
    """Extents run contiguously from 0 to ``size`` and no two neighbours are of the same kind."""
    pos = 0
    for extent in extents:
        assert extent.start == pos
        assert extent.length > 0
        pos += extent.length
    assert pos == size
    for a, b in pairwise(extents):
        assert _kind(a) != _kind(b), f"{a} and {b} are not merged"


def _kind(extent: ZeroExtent | DirtyExtent) -> tuple[bool, bool]:
    if isinstance(extent, ZeroExtent):
        return extent.zero, extent.hole
    return extent.dirty, extent.zero


def dirty_blocks(extents: Sequence[DirtyExtent]) -> set[int]:
    return {
        index
        for e in extents
        if e.dirty
        for index in range(e.start // B, (e.start + e.length) // B)
    }


# Reading and writing


def test_a_new_disk_reads_as_zeros() -> None:
    disk = DiskContent(4 * B)
    assert disk.read(0, 4 * B) == bytes(4 * B)
    assert disk.generation == 0


@pytest.mark.parametrize("size", [0, -B, 1000, B + 1])
def test_size_must_be_a_positive_multiple_of_the_block_size(size: int) -> None:
    with pytest.raises(ValueError, match="multiple"):
        DiskContent(size)


def test_a_write_at_an_unaligned_offset_across_blocks_reads_back() -> None:
    disk = DiskContent(6 * B)
    data = bytes(range(256)) * 1000
    disk.write(B - 123, data)
    assert disk.read(B - 123, len(data)) == data
    assert disk.read(0, B - 123) == bytes(B - 123)
    assert disk.read(B - 123 + len(data), 10) == bytes(10)


def test_a_partial_block_write_keeps_the_rest_of_the_block() -> None:
    disk = DiskContent(2 * B)
    disk.write(0, b"a" * B)
    disk.write(10, b"bb")
    assert disk.read(0, 16) == b"a" * 10 + b"bb" + b"a" * 4
    assert disk.read(12, B - 12) == b"a" * (B - 12)


def test_write_accepts_bytearray_and_memoryview() -> None:
    disk = DiskContent(B)
    disk.write(0, bytearray(b"xy"))
    disk.write(2, memoryview(b"z"))
    assert disk.read(0, 3) == b"xyz"


@pytest.mark.parametrize(("offset", "length"), [(-1, 1), (0, 2 * B + 1), (2 * B, 1), (5, -1)])
def test_a_read_outside_the_disk_is_a_value_error(offset: int, length: int) -> None:
    with pytest.raises(ValueError, match="outside the disk"):
        DiskContent(2 * B).read(offset, length)


def test_a_write_past_the_end_is_a_value_error_and_changes_nothing() -> None:
    disk = DiskContent(2 * B)
    with pytest.raises(ValueError, match="outside the disk"):
        disk.write(2 * B - 1, b"xx")
    assert disk.generation == 0
    assert disk.zero_extents() == [ZeroExtent(0, 2 * B, zero=True, hole=True)]


def test_zero_clears_exactly_an_unaligned_range() -> None:
    disk = DiskContent(4 * B)
    disk.write(0, b"\xff" * 4 * B)
    disk.zero(B - 1, 2 * B + 2)
    assert disk.read(0, B - 1) == b"\xff" * (B - 1)
    assert disk.read(B - 1, 2 * B + 2) == bytes(2 * B + 2)
    assert disk.read(3 * B + 1, B - 1) == b"\xff" * (B - 1)


def test_every_write_and_zero_bumps_the_generation() -> None:
    disk = DiskContent(2 * B)
    disk.write(0, b"x")
    disk.zero(0, 1)
    disk.write(B, b"y")
    assert disk.generation == 3


# Frozen views


def test_a_frozen_view_does_not_see_later_writes_or_zeroes() -> None:
    disk = DiskContent(4 * B)
    disk.write(0, b"before" * 30000)
    view = disk.freeze()
    expected = disk.read(0, 4 * B)
    disk.write(100, b"after")
    disk.zero(2 * B, B)
    disk.write(3 * B + 5, b"new block")
    assert view.read(0, 4 * B) == expected
    assert view.generation == 1
    assert view.zero_extents() == [
        ZeroExtent(0, 3 * B, zero=False, hole=False),
        ZeroExtent(3 * B, B, zero=True, hole=True),
    ]
    assert disk.read(100, 5) == b"after"


def test_freeze_copies_the_block_index_not_the_data() -> None:
    disk = DiskContent(256 * B)
    disk.write(0, b"\x01" * 100 * B)
    tracemalloc.start()
    try:
        view = disk.freeze()
        allocated, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert view.stored_blocks == 100
    assert allocated < 10 * B, "freeze copied block data"


# Extents


def test_zero_extents_tell_data_zeroed_and_never_written_apart() -> None:
    disk = DiskContent(8 * B)
    disk.write(B, b"data")
    disk.write(3 * B, bytes(B))
    disk.zero(4 * B, B)
    disk.write(5 * B, b"more")
    assert disk.zero_extents() == [
        ZeroExtent(0, B, zero=True, hole=True),
        ZeroExtent(B, B, zero=False, hole=False),
        ZeroExtent(2 * B, B, zero=True, hole=True),
        ZeroExtent(3 * B, 2 * B, zero=True, hole=False),
        ZeroExtent(5 * B, B, zero=False, hole=False),
        ZeroExtent(6 * B, 2 * B, zero=True, hole=True),
    ]


def test_a_block_overwritten_with_zeros_becomes_a_zero_extent() -> None:
    disk = DiskContent(2 * B)
    disk.write(10, b"x")
    disk.write(10, b"\x00")
    assert disk.stored_blocks == 0
    assert disk.zero_extents()[0] == ZeroExtent(0, B, zero=True, hole=False)


def test_zero_extents_of_a_seeded_disk_cover_the_size_and_are_merged() -> None:
    disk = DiskContent(64 * B)
    seed_content(disk, seed=3, blocks=20)
    disk.zero(5 * B + 7, 9 * B)
    disk.write(40 * B - 3, b"z" * (B + 6))
    assert_tiles(disk.zero_extents(), disk.size)
    assert_tiles(disk.dirty_extents(0), disk.size)
    assert_tiles(disk.dirty_extents(disk.generation - 1), disk.size)


def test_dirty_extents_show_only_blocks_changed_after_the_mark() -> None:
    disk = DiskContent(8 * B)
    disk.write(0, b"old" * B)
    mark = disk.generation
    disk.write(4 * B + 1, b"new")
    disk.zero(B, B)
    assert disk.dirty_extents(mark) == [
        DirtyExtent(0, B, dirty=False, zero=False),
        DirtyExtent(B, B, dirty=True, zero=True),
        DirtyExtent(2 * B, B, dirty=False, zero=False),
        DirtyExtent(3 * B, B, dirty=False, zero=True),
        DirtyExtent(4 * B, B, dirty=True, zero=False),
        DirtyExtent(5 * B, 3 * B, dirty=False, zero=True),
    ]


def test_dirty_extents_of_a_view_ignore_writes_after_the_freeze() -> None:
    disk = DiskContent(4 * B)
    mark = disk.generation
    disk.write(B, b"in the backup")
    view = disk.freeze()
    disk.write(3 * B, b"after the backup")
    assert dirty_blocks(view.dirty_extents(mark)) == {1}
    assert dirty_blocks(disk.dirty_extents(mark)) == {1, 3}


writes = st.lists(
    st.tuples(
        st.integers(0, 32 * B - 1),
        st.integers(1, 3 * B),
        st.booleans(),  # True: zero the range instead of writing it
    ),
    max_size=12,
)


@settings(max_examples=60, deadline=None)
@given(before=writes, after=writes)
def test_dirty_extents_cover_exactly_the_blocks_written_after_the_mark(
    before: list[tuple[int, int, bool]], after: list[tuple[int, int, bool]]
) -> None:
    disk = DiskContent(32 * B)
    model = bytearray(32 * B)
    for offset, length, _ in before:
        length = min(length, disk.size - offset)
        disk.write(offset, b"\x07" * length)
        model[offset : offset + length] = b"\x07" * length
    mark = disk.generation
    touched: set[int] = set()
    for offset, length, zero in after:
        length = min(length, disk.size - offset)
        if zero:
            disk.zero(offset, length)
        else:
            disk.write(offset, b"\x09" * length)
        model[offset : offset + length] = bytes(length) if zero else b"\x09" * length
        touched.update(range(offset // B, (offset + length - 1) // B + 1))

    extents = disk.dirty_extents(mark)
    assert_tiles(extents, disk.size)
    assert dirty_blocks(extents) == touched
    assert disk.read(0, disk.size) == model
    for e in extents:
        assert e.zero == (model[e.start : e.start + e.length] == bytes(e.length))


# Size and speed


def test_a_disk_made_from_a_view_starts_equal_and_diverges() -> None:
    template = DiskContent(8 * B)
    seed_content(template, seed=2, blocks=3)
    view = template.freeze()
    disk = DiskContent.from_view(view)
    assert sha256(disk) == sha256(view)
    assert disk.generation == view.generation
    assert dirty_blocks(disk.dirty_extents(disk.generation)) == set()
    disk.write(0, b"only in the copy")
    assert view.read(0, 16) != b"only in the copy"
    assert dirty_blocks(disk.dirty_extents(view.generation)) == {0}


def test_a_terabyte_disk_with_a_few_writes_stays_small() -> None:
    disk = DiskContent(TIB)
    disk.write(0, b"boot sector")
    disk.write(TIB // 2 - 5, b"straddles two blocks")
    disk.write(TIB - B, b"\x01" * B)
    assert disk.stored_blocks == 4
    extents = disk.zero_extents()
    assert len(extents) == 5
    assert_tiles(extents, TIB)
    assert disk.read(TIB // 2 - 5, 20) == b"straddles two blocks"


def test_zeroing_a_whole_terabyte_disk_costs_one_index_entry() -> None:
    disk = DiskContent(TIB)
    disk.write(12345, b"gone soon")
    mark = disk.generation
    disk.zero(0, TIB)
    assert disk.index_entries == 1
    assert disk.stored_blocks == 0
    assert disk.dirty_extents(mark) == [DirtyExtent(0, TIB, dirty=True, zero=True)]


# Seeding and hashing


def test_seed_content_is_deterministic_non_zero_and_recognisable() -> None:
    a, b, c = DiskContent(64 * B), DiskContent(64 * B), DiskContent(64 * B)
    seed_content(a, seed=42, blocks=5)
    seed_content(b, seed=42, blocks=5)
    seed_content(c, seed=43, blocks=5)
    assert sha256(a) == sha256(b) != sha256(c)
    assert a.stored_blocks == 5
    data = [e for e in a.zero_extents() if not e.zero]
    first = data[0].start
    assert a.read(first, 30).startswith(b"fakeovirt seed=42 block=")


def test_seed_content_refuses_more_blocks_than_the_disk_has() -> None:
    with pytest.raises(ValueError, match="cannot seed"):
        seed_content(DiskContent(4 * B), seed=1, blocks=5)


def test_sha256_is_the_digest_of_the_whole_virtual_content() -> None:
    disk = DiskContent(40 * B)
    seed_content(disk, seed=9, blocks=7)
    disk.zero(3 * B, 2 * B)
    view = disk.freeze()
    expected = hashlib.sha256(disk.read(0, disk.size)).hexdigest()
    assert sha256(disk) == sha256(view) == expected


# Partial writes keep only the bytes written


def test_a_4k_write_holds_4k_not_a_block() -> None:
    disk = DiskContent(TIB)
    disk.write(3 * B + 4096, b"\x01" * 4096)
    assert disk.stored_bytes == 4096
    assert disk.stored_blocks == 1
    assert disk.read(3 * B, B) == bytes(4096) + b"\x01" * 4096 + bytes(B - 8192)


def test_a_partial_write_over_data_keeps_the_old_bytes_around_it() -> None:
    disk = DiskContent(2 * B)
    old = bytes(range(256)) * (B // 256)
    disk.write(0, old)
    disk.write(100, b"new")
    disk.write(102, b"NEW")  # overlaps the previous piece
    disk.write(B - 2, b"end")  # straddles into the next block
    expected = bytearray(old + bytes(B))
    expected[100:103] = b"new"
    expected[102:105] = b"NEW"
    expected[B - 2 : B + 1] = b"end"
    assert disk.read(0, 2 * B) == expected
    assert disk.stored_bytes == B + 5 + 2 + 1


def test_pieces_fold_into_a_whole_block_at_half_a_block() -> None:
    disk = DiskContent(B)
    for offset in range(0, B // 2, 4096):
        disk.write(offset, b"\x02" * 4096)
    assert disk.stored_bytes == B
    assert disk.read(0, B) == b"\x02" * (B // 2) + bytes(B // 2)


def test_zeros_written_over_every_piece_leave_a_zero_block() -> None:
    disk = DiskContent(B)
    disk.write(10, b"ab")
    disk.write(5000, b"cd")
    disk.zero(0, 100)
    disk.write(5000, b"\x00\x00")
    assert disk.stored_blocks == 0 and disk.stored_bytes == 0
    assert disk.zero_extents() == [ZeroExtent(0, B, zero=True, hole=False)]


def test_zeroing_part_of_a_data_block_keeps_the_rest() -> None:
    disk = DiskContent(B)
    disk.write(0, b"\x03" * B)
    disk.zero(4096, 4096)
    assert disk.read(0, B) == b"\x03" * 4096 + bytes(4096) + b"\x03" * (B - 8192)
    disk.zero(0, 4096)
    disk.zero(8192, B - 8192)
    assert disk.stored_blocks == 0


@settings(max_examples=80, deadline=None)
@given(
    ops=st.lists(
        st.tuples(st.integers(0, 8 * B - 1), st.integers(1, 2 * B), st.integers(0, 3)),
        max_size=20,
    )
)
def test_any_writes_read_back_as_a_flat_model_and_views_keep_their_time(
    ops: list[tuple[int, int, int]],
) -> None:
    """Writes of any size and place (random bytes, zeros, zero calls) against a bytearray."""
    disk = DiskContent(8 * B)
    model = bytearray(8 * B)
    views = []
    for number, (offset, length, kind) in enumerate(ops):
        length = min(length, disk.size - offset)
        if kind == 0:
            disk.zero(offset, length)
            model[offset : offset + length] = bytes(length)
        else:
            data = bytes(length) if kind == 1 else number.to_bytes(2, "little") * length
            disk.write(offset, data[:length])
            model[offset : offset + length] = data[:length]
        if kind == 3:
            views.append((disk.freeze(), bytes(model)))
    assert disk.read(0, disk.size) == model
    for view, expected in views:
        assert view.read(0, view.size) == expected
    for extent in disk.zero_extents():
        zeros = model[extent.start : extent.start + extent.length] == bytes(extent.length)
        assert extent.zero == zeros
    assert disk.stored_bytes <= 2 * sum(min(n, disk.size - o) for o, n, _ in ops) + B


# Reading without copies


def test_iter_chunks_yields_views_and_zero_counts_that_join_to_read() -> None:
    disk = DiskContent(8 * B)
    disk.write(B + 10, b"x" * 100)
    disk.write(4 * B, b"y" * B)
    parts = list(disk.iter_chunks(5, 6 * B))
    assert all(isinstance(p, (memoryview, int)) for p in parts)
    assert not any(isinstance(a, int) and isinstance(b, int) for a, b in pairwise(parts))
    joined = b"".join(bytes(p) if isinstance(p, int) else p for p in parts)
    assert joined == disk.read(5, 6 * B)
    assert sum(p if isinstance(p, int) else p.nbytes for p in parts) == 6 * B


def test_iter_chunks_is_unaffected_by_writes_after_the_call() -> None:
    disk = DiskContent(4 * B)
    disk.write(0, b"a" * 4 * B)
    parts = disk.iter_chunks(0, 4 * B)
    disk.write(0, b"b" * 4 * B)
    disk.zero(0, 4 * B)
    assert b"".join(p for p in parts if not isinstance(p, int)) == b"a" * 4 * B


def test_iter_chunks_of_a_stored_block_shares_its_bytes() -> None:
    disk = DiskContent(2 * B)
    disk.write(0, b"s" * B)
    (part,) = disk.iter_chunks(0, B)
    assert isinstance(part, memoryview) and part.readonly
    assert disk.read(0, B) is part.obj, "reading a whole stored block copied it"


@pytest.mark.parametrize(("offset", "size"), [(0, 3 * B), (B - 7, B + 14), (5, 3), (2 * B, 2 * B)])
def test_readinto_fills_a_callers_buffer_as_read_would(offset: int, size: int) -> None:
    disk = DiskContent(4 * B)
    seed_content(disk, seed=4, blocks=2)
    disk.write(B - 3, b"z" * 10)
    buffer = bytearray(b"\xff" * size)
    assert disk.readinto(offset, buffer) == size
    assert buffer == disk.read(offset, size)
    window = bytearray(size + 20)
    assert disk.readinto(offset, memoryview(window)[10 : 10 + size]) == size
    assert window[10 : 10 + size] == buffer and window[:10] == bytes(10)


def test_readinto_past_the_end_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="outside the disk"):
        DiskContent(B).readinto(1, bytearray(B))


def test_a_read_of_a_large_hole_is_zeros() -> None:
    disk = DiskContent(TIB)
    disk.write(TIB - 1, b"!")
    assert disk.read(0, 3 << 20) == bytes(3 << 20)
    assert disk.read(TIB - (2 << 20), 2 << 20) == bytes((2 << 20) - 1) + b"!"


# Seeded blocks are generated on read


def test_seeded_blocks_hold_no_memory_until_read_and_read_the_same_each_time() -> None:
    disk = DiskContent(64 * B)
    seed_content(disk, seed=11, blocks=8)
    assert disk.stored_blocks == 8 and disk.stored_bytes == 0
    first = disk.read(0, disk.size)
    other = DiskContent(64 * B)
    seed_content(other, seed=11, blocks=8)
    assert other.read(0, other.size) == first
    assert disk.stored_bytes == 0


def test_seeded_blocks_differ_from_each_other_and_are_not_zeros() -> None:
    disk = DiskContent(64 * B)
    seed_content(disk, seed=1, blocks=16)
    data = [e for e in disk.zero_extents() if not e.zero]
    blocks = {disk.read(e.start + i, B)[64:] for e in data for i in range(0, e.length, B)}
    assert len(blocks) == 16
    assert all(block.count(0) < len(block) // 16 for block in blocks)


def test_a_partial_write_into_a_seeded_block_keeps_the_seeded_rest() -> None:
    disk = DiskContent(8 * B)
    seed_content(disk, seed=2, blocks=8)
    before = disk.read(3 * B, B)
    disk.write(3 * B + 4096, b"w" * 4096)
    assert disk.stored_bytes == 4096
    assert disk.read(3 * B, B) == before[:4096] + b"w" * 4096 + before[8192:]


# Layers: what a layer holds on its own


def test_a_layer_holds_only_the_blocks_changed_after_its_generation() -> None:
    disk = DiskContent(8 * B)
    disk.write(0, b"old" * 1000)
    disk.write(5 * B, b"old too")
    mark = disk.generation
    disk.write(10, b"new")  # partial write in a block the parent holds: the whole block
    disk.zero(3 * B, B)
    layer = disk.layer(mark)
    assert layer.read(0, B) == disk.read(0, B)
    assert layer.read(5 * B, B) == bytes(B)
    assert layer.zero_extents() == [
        ZeroExtent(0, B, zero=False, hole=False),
        ZeroExtent(B, 2 * B, zero=True, hole=True),
        ZeroExtent(3 * B, B, zero=True, hole=False),
        ZeroExtent(4 * B, 4 * B, zero=True, hole=True),
    ]
    assert layer.stored_blocks == 1 and layer.index_entries == 2


def test_a_layer_of_the_live_disk_follows_later_writes() -> None:
    disk = DiskContent(4 * B)
    disk.write(0, b"base")
    layer = disk.layer(disk.generation)
    assert layer.zero_extents() == [ZeroExtent(0, 4 * B, zero=True, hole=True)]
    disk.write(2 * B, b"later")
    assert layer.read(2 * B, 5) == b"later" and layer.generation == disk.generation


def test_a_layer_of_a_layer_hides_what_either_hides() -> None:
    disk = DiskContent(4 * B)
    disk.write(0, b"first")
    disk.write(B, b"second")
    disk.write(2 * B, b"third")
    assert disk.layer(2).layer(1).read(B, 6) == bytes(6)
    assert disk.layer(1).layer(2).read(2 * B, 5) == b"third"
