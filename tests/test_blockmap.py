"""The block index: runs in order, chunked, shared copy-on-write between copies."""

from __future__ import annotations

import tracemalloc

from hypothesis import given, settings
from hypothesis import strategies as st

from fakeovirt.core import blockmap
from fakeovirt.core.blockmap import BlockMap, Run

BLOCKS = 3000  # more than a few chunks of runs


def as_model(blocks: BlockMap) -> dict[int, tuple[bytes | None, int]]:
    """Block number -> (data, generation) for every block the map covers."""
    model: dict[int, tuple[bytes | None, int]] = {}
    previous_end = -1
    for run in blocks.runs():
        assert run.start >= previous_end, "runs overlap or are out of order"
        assert run.data is None or run.end == run.start + 1, "a data run covers one block"
        previous_end = run.end
        for index in range(run.start, run.end):
            model[index] = (run.data if isinstance(run.data, bytes) else None, run.generation)
    return model


def runs_for(first: int, end: int, data: bool, generation: int) -> list[Run]:
    if not data:
        return [Run(first, end, None, generation)]
    return [Run(i, i + 1, i.to_bytes(4, "little"), generation) for i in range(first, end)]


operations = st.lists(
    st.tuples(
        st.integers(0, BLOCKS - 1),
        st.integers(1, 700),
        st.booleans(),  # data runs, or one zero run
        st.booleans(),  # copy the map before this change
    ),
    max_size=25,
)


@settings(max_examples=60, deadline=None)
@given(operations=operations)
def test_replace_and_copy_behave_as_a_dict_of_blocks(
    operations: list[tuple[int, int, bool, bool]],
) -> None:
    blocks = BlockMap()
    model: dict[int, tuple[bytes | None, int]] = {}
    copies: list[tuple[BlockMap, dict[int, tuple[bytes | None, int]]]] = []
    for generation, (first, length, data, copy) in enumerate(operations, 1):
        if copy:
            copies.append((blocks.copy(), dict(model)))
        end = min(first + length, BLOCKS)
        blocks.replace(first, end, runs_for(first, end, data, generation))
        for index in range(first, end):
            model[index] = (index.to_bytes(4, "little") if data else None, generation)
        assert as_model(blocks) == model
        assert blocks.data_blocks == sum(1 for d, _ in model.values() if d is not None)
        assert blocks.stored_bytes == 4 * blocks.data_blocks
        assert len(blocks) == sum(1 for _ in blocks.runs())
    for copy, expected in copies:
        assert as_model(copy) == expected, "a change reached a copy"


@settings(max_examples=40, deadline=None)
@given(
    first=st.integers(0, BLOCKS - 1),
    end=st.integers(1, BLOCKS),
    ops=st.lists(st.tuples(st.integers(0, BLOCKS - 1), st.integers(1, 50)), max_size=10),
)
def test_runs_answers_exactly_the_runs_overlapping_a_range(
    first: int, end: int, ops: list[tuple[int, int]]
) -> None:
    blocks = BlockMap()
    blocks.replace(0, BLOCKS, runs_for(0, BLOCKS, True, 1))
    for generation, (at, length) in enumerate(ops, 2):
        blocks.replace(
            at, min(at + length, BLOCKS), [Run(at, min(at + length, BLOCKS), None, generation)]
        )
    every = list(blocks.runs())
    expected = [run for run in every if run.end > first and run.start < end]
    assert list(blocks.runs(first, end)) == expected


def test_a_copy_costs_a_pointer_per_chunk_and_a_change_copies_one_chunk() -> None:
    blocks = BlockMap()
    blocks.replace(0, 100_000, runs_for(0, 100_000, True, 1))
    tracemalloc.start()
    try:
        copy = blocks.copy()
        copied, _ = tracemalloc.get_traced_memory()
        blocks.replace(50_000, 50_001, [Run(50_000, 50_001, b"new", 2)])
        changed, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    chunks = 100_000 // blockmap.CHUNK
    assert copied < chunks * 2 * 8 + 1024, "copy() copied more than the chunk pointers"
    assert changed - copied < 4 * blockmap.CHUNK * 8 + 1024, "one change copied many chunks"
    assert next(copy.runs(50_000, 50_001)).data == (50_000).to_bytes(4, "little")
    assert next(blocks.runs(50_000, 50_001)).data == b"new"


def test_zeroing_everything_leaves_one_run() -> None:
    blocks = BlockMap()
    blocks.replace(0, 10_000, runs_for(0, 10_000, True, 1))
    blocks.replace(0, 10_000, [Run(0, 10_000, None, 2)])
    assert len(blocks) == 1 and blocks.data_blocks == 0 and blocks.stored_bytes == 0
