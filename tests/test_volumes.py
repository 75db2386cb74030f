"""A disk's volume chain: snapshots freeze layers, merges keep every guest view."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fakeovirt.core.content import BLOCK_SIZE, DirtyExtent, DiskContent, seed_content
from fakeovirt.core.volumes import Volume, VolumeChain

B = BLOCK_SIZE
BLOCKS = 12


def hole_blocks(volume: Volume) -> set[int]:
    """The blocks the volume's own layer does not hold."""
    return {
        e.start // B + i for e in volume.own.zero_extents() if e.hole for i in range(e.length // B)
    }


# The engine's ids and order


def test_a_snapshot_freezes_the_active_volume_under_its_image_id() -> None:
    disk = DiskContent(4 * B)
    chain = VolumeChain(disk, "base")
    disk.write(0, b"before")
    assert chain.create_snapshot("top") == "base"
    disk.write(0, b"after!")
    assert chain.image_ids == ("base", "top") and chain.active_id == "top"
    base, top = chain.volumes()
    assert base.guest.read(0, 6) == b"before" and not base.active and base.parent_id is None
    assert top.guest is disk and top.active and top.parent_id == "base"
    assert top.own.read(0, 6) == b"after!"


def test_removing_a_snapshot_keeps_its_image_id_in_the_childs_place() -> None:
    """A backward merge, as the engine's RemoveSnapshotSingleDiskCommandBase.handleBackwardMerge."""
    disk = DiskContent(4 * B)
    chain = VolumeChain(disk, "a")
    disk.write(0, b"one")
    chain.create_snapshot("b")
    disk.write(B, b"two")
    chain.create_snapshot("c")
    disk.write(2 * B, b"three")
    assert chain.remove("b") == "c"
    assert chain.image_ids == ("a", "b") and chain.active_id == "b"
    merged = chain.volume("b")
    assert merged.active and merged.guest is disk
    assert merged.own.read(B, 3) == b"two" and merged.own.read(2 * B, 5) == b"three"
    assert hole_blocks(merged) == {0, 3}


def test_the_active_volume_and_unknown_ids_are_refused() -> None:
    chain = VolumeChain(DiskContent(B), "only")
    with pytest.raises(ValueError, match="active volume"):
        chain.remove("only")
    with pytest.raises(KeyError, match="nope"):
        chain.volume("nope")
    with pytest.raises(ValueError, match="already in the chain"):
        chain.create_snapshot("only")
    assert chain.image_ids == ("only",)


def test_the_base_volume_of_a_seeded_disk_holds_the_seeded_blocks() -> None:
    disk = DiskContent(16 * B)
    seed_content(disk, seed=3, blocks=4)
    chain = VolumeChain(disk, "base")
    chain.create_snapshot("top")
    base, top = chain.volumes()
    assert base.own.stored_blocks == 4 and top.own.stored_blocks == 0
    assert base.own.read(0, disk.size) == disk.read(0, disk.size)


def test_a_snapshot_of_a_large_index_copies_no_data_and_little_index() -> None:
    import tracemalloc

    disk = DiskContent(1 << 30)
    for index in range(0, (1 << 30) // B, 2):
        disk.write(index * B + 7, b"scattered")
    chain = VolumeChain(disk, "base")
    tracemalloc.start()
    try:
        for number in range(10):
            chain.create_snapshot(f"s{number}")
            disk.write(number * B, b"one write per layer")
        allocated, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert disk.index_entries == (1 << 30) // B // 2 + 5
    assert allocated < 10 * 64 * 1024, "each snapshot copied the whole index"


# Random histories


@dataclass
class Model:
    """What the disk and each volume must read: flat bytes and per-block change generations."""

    live: bytearray
    gens: list[int]
    generation: int = 0
    frozen: dict[str, tuple[bytes, tuple[int, ...], int]] = field(default_factory=dict)

    def guest(self, image_id: str, active: str) -> tuple[bytes, tuple[int, ...], int]:
        if image_id == active:
            return bytes(self.live), tuple(self.gens), self.generation
        return self.frozen[image_id]


ops = st.lists(
    st.tuples(
        st.sampled_from(["write", "write", "zero", "snapshot", "remove"]),
        st.integers(0, BLOCKS * B - 1),  # offset, or which snapshot to remove
        st.integers(1, 2 * B),  # length
        st.integers(0, 255),  # the byte written
    ),
    max_size=18,
)


def check(chain: VolumeChain, model: Model) -> None:
    """Every volume reads as the model: its guest view, its own layer, its generation.

    And the layers overlaid base first, each block from its topmost holder (a qcow2 chain),
    give each volume's guest view.
    """
    volumes = chain.volumes()
    size = chain.content.size
    chain_so_far = bytearray(size)
    for number, volume in enumerate(volumes):
        data, gens, generation = model.guest(volume.image_id, chain.active_id)
        assert volume.guest.read(0, size) == data
        assert volume.generation == generation
        after = volumes[number - 1].generation if number else 0
        held = {block for block, gen in enumerate(gens) if gen > after}
        assert hole_blocks(volume) == set(range(BLOCKS)) - held
        own = bytearray(size)  # the held blocks as the guest saw them, holes as zeros
        for block in held:
            own[block * B : (block + 1) * B] = data[block * B : (block + 1) * B]
            chain_so_far[block * B : (block + 1) * B] = own[block * B : (block + 1) * B]
        assert volume.own.read(0, size) == own
        assert chain_so_far == data


@settings(max_examples=60, deadline=None)
@given(ops=ops, marks=st.lists(st.integers(0, 20), min_size=1, max_size=3))
def test_every_volume_reads_as_the_disk_did_at_its_snapshot_and_merges_change_no_view(
    ops: list[tuple[str, int, int, int]], marks: list[int]
) -> None:
    disk = DiskContent(BLOCKS * B)
    chain = VolumeChain(disk, "v0")
    model = Model(bytearray(BLOCKS * B), [0] * BLOCKS)
    names = iter(f"v{n}" for n in range(1, 100))
    for kind, offset, length, byte in ops:
        dirty_before = {mark: disk.dirty_extents(mark) for mark in marks}
        if kind in ("write", "zero"):
            length = min(length, disk.size - offset)
            data = bytes([byte]) * length if kind == "write" else bytes(length)
            if kind == "write":
                disk.write(offset, data)
            else:
                disk.zero(offset, length)
            model.generation += 1
            model.live[offset : offset + length] = data
            for block in range(offset // B, (offset + length - 1) // B + 1):
                model.gens[block] = model.generation
        elif kind == "snapshot":
            frozen = chain.create_snapshot(next(names))
            model.frozen[frozen] = (bytes(model.live), tuple(model.gens), model.generation)
        else:
            snapshots = chain.image_ids[:-1]
            if not snapshots:
                continue
            victim = snapshots[offset % len(snapshots)]
            views = {v.image_id: v.guest.read(0, disk.size) for v in chain.volumes()}
            gone = chain.remove(victim)
            assert gone not in chain and victim in chain
            after = {v.image_id: v.guest.read(0, disk.size) for v in chain.volumes()}
            assert after[victim] == views[gone], "the merged volume is not its child's view"
            assert all(after[i] == views[i] for i in after if i != victim)
            if gone in model.frozen:
                model.frozen[victim] = model.frozen.pop(gone)
            else:
                model.frozen.pop(victim)
        if kind in ("snapshot", "remove"):
            assert {mark: disk.dirty_extents(mark) for mark in marks} == dirty_before
        check(chain, model)


def test_an_incremental_answer_is_the_same_with_a_snapshot_taken_and_removed_between() -> None:
    plain, layered = DiskContent(8 * B), DiskContent(8 * B)
    chain = VolumeChain(layered, "base")
    for disk in (plain, layered):
        disk.write(0, b"full backup sees this")
    mark = plain.generation
    plain.write(3 * B, b"after the checkpoint")
    layered.write(3 * B, b"after the checkpoint")
    snapshot = chain.create_snapshot("top")
    plain.write(6 * B, b"after the snapshot")
    layered.write(6 * B, b"after the snapshot")
    chain.remove(snapshot)
    assert layered.dirty_extents(mark) == plain.dirty_extents(mark)
    assert [e for e in layered.dirty_extents(mark) if e.dirty] == [
        DirtyExtent(3 * B, B, dirty=True, zero=False),
        DirtyExtent(6 * B, B, dirty=True, zero=False),
    ]
