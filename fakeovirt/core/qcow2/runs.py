"""Cluster runs: sorted, disjoint, non-adjacent ``[first, end)`` ranges of clusters, and the
byte extents they come from (the writer's arithmetic)."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator

from .format import Runs

__all__ = [
    "covered",
    "merge_bytes",
    "normalise",
    "overlapping",
    "ranks",
    "subtract",
    "touched",
    "union",
]


def merge_bytes(extents: Iterable[tuple[int, int]], size: int) -> list[tuple[int, int]]:
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


def touched(ranges: list[tuple[int, int]], cs: int) -> Runs:
    return normalise([(start // cs, -(-end // cs)) for start, end in ranges])


def covered(ranges: list[tuple[int, int]], cs: int, size: int) -> Runs:
    """The clusters wholly inside the ranges (the disk's end counts as a cluster's end)."""
    return normalise(
        [(-(-start // cs), -(-end // cs) if end == size else end // cs) for start, end in ranges]
    )


def normalise(runs: Iterable[tuple[int, int]]) -> Runs:
    out: Runs = []
    for first, end in sorted(runs):
        if first >= end:
            continue
        if out and first <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((first, end))
    return out


def union(a: Runs, b: Runs) -> Runs:
    return normalise(a + b)


def subtract(a: Runs, b: Runs) -> Runs:
    out: Runs = []
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


def ranks(runs: Runs) -> list[int]:
    """Prefix counts: ``ranks[k]`` clusters come before run ``k``; the last item is the total."""
    ranks = [0]
    for first, end in runs:
        ranks.append(ranks[-1] + end - first)
    return ranks


def overlapping(runs: Runs, first: int, end: int) -> Iterator[tuple[int, tuple[int, int]]]:
    """``(k, clipped run)`` for the runs overlapping clusters ``[first, end)``."""
    k = max(0, bisect_right(runs, (first, first)) - 1)
    while k < len(runs) and runs[k][0] < end:
        a, b = max(runs[k][0], first), min(runs[k][1], end)
        if a < b:
            yield k, (a, b)
        k += 1
