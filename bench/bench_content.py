"""What the disk-content model costs: memory per written byte, engine creation, full reads.

    python bench/bench_content.py [--rounds N]

Prints the two rows of issue 13 this model owns, each best of several rounds, with the value
measured on the model before (recorded below: that code path is gone) and the goal; then the
full-read throughput of a disk with 1 GiB written, as a ratio to copying the same bytes out of
one `bytes` object in the same run (not zeros: a copy of zero pages would flatter the baseline).

- memory: a 1 TiB disk, 10 MiB written as 2,560 scattered 4 KiB writes; the bytes the model
  allocates (tracemalloc) and the process RSS growth, each over the bytes written;
- engine: `FakeOvirt()` (demo scenario, not served) over one in-process non-strict
  `GET /ovirt-engine/api` through werkzeug's test client.
"""

from __future__ import annotations

import argparse
import base64
import gc
import os
import random
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from fakeovirt import FakeOvirt
from fakeovirt.core.content import DiskContent

AUTH = {"Authorization": "Basic " + base64.b64encode(b"admin@internal:fakeovirt").decode()}
TIB = 1 << 40
GIB = 1 << 30
MIB = 1 << 20
PAGE = 4096
WRITTEN = 10 * MIB
READ_CHUNK = MIB

# Measured with this script on the model before issue 13 (commit 878c058: a 64 KiB block per
# partial write, seeded content generated eagerly per engine), on the 2-core machine under the
# same load, side by side with the current model.
BEFORE = {
    "allocated": "16.05x",
    "rss": "16.05x",
    "engine": "580x (193 ms)",
    "read": "0.52x (1.77 GiB/s)",
}


def best_seconds(action: Callable[[], object], rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - start)
    return best


def rss_bytes() -> int:
    """The resident set size of this process (Linux), 0 where /proc is missing."""
    statm = Path("/proc/self/statm")
    if not statm.exists():
        return 0
    return int(statm.read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def scattered_writes(seed: int) -> list[tuple[int, bytes]]:
    rng = random.Random(seed)
    pages = rng.sample(range(TIB // PAGE), WRITTEN // PAGE)
    return [(page * PAGE, rng.randbytes(PAGE)) for page in pages]


def allocated_ratio(rounds: int) -> float:
    """Best bytes allocated by the model (tracemalloc) / bytes written, over fresh disks."""
    best = float("inf")
    for round_ in range(rounds):
        writes = scattered_writes(round_)
        gc.collect()
        tracemalloc.start()
        disk = DiskContent(TIB)
        for offset, data in writes:
            disk.write(offset, data)
        allocated, _ = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert disk.read(writes[0][0], PAGE) == writes[0][1]
        best = min(best, allocated / WRITTEN)
        del disk, writes
    return best


def rss_child() -> None:
    """In a fresh process: print the RSS growth of writing the scattered pages, / written."""
    writes = scattered_writes(0)
    gc.collect()
    before = rss_bytes()
    disk = DiskContent(TIB)
    for offset, data in writes:
        disk.write(offset, data)
    print((rss_bytes() - before) / WRITTEN)
    assert disk.read(writes[0][0], PAGE) == writes[0][1]


def rss_ratio(rounds: int) -> float:
    """Best RSS growth / written, each round in a fresh process (freed memory is not reused)."""
    command = [sys.executable, __file__, "--rss-child"]
    return min(
        float(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
        for _ in range(rounds)
    )


def engine_ratio(rounds: int) -> tuple[float, float, float]:
    """(first FakeOvirt() in this process, best FakeOvirt(), best GET of the API root)."""
    first = best_seconds(FakeOvirt, 1)
    fake = FakeOvirt(strict=False)
    client = fake.client()

    def get_api() -> None:
        assert client.get("/ovirt-engine/api", headers=AUTH).status_code == 200

    get_api()
    return first, best_seconds(FakeOvirt, rounds), best_seconds(get_api, rounds * 20)


def read_throughput(rounds: int) -> dict[str, float]:
    """GiB/s of full reads of a disk with 1 GiB written, and of copying the same bytes."""
    disk = DiskContent(2 * GIB)
    run = 8 * MIB
    runs = [random.Random(0).randbytes(run)]
    runs += [runs[0][index:] + runs[0][:index] for index in range(1, GIB // run)]
    for index, data in enumerate(runs):  # runs of 8 MiB with gaps, as a filesystem fills a disk
        disk.write(index * 2 * run, data)
    flat = memoryview(b"".join(runs))  # the same bytes in one object: the copy baseline
    del runs
    offsets = [i * 2 * run + j for i in range(GIB // run) for j in range(0, run, READ_CHUNK)]
    buffer = bytearray(READ_CHUNK)
    readinto = getattr(disk, "readinto", None)
    iter_chunks = getattr(disk, "iter_chunks", None)

    def read_all() -> None:
        for offset in offsets:
            disk.read(offset, READ_CHUNK)

    def readinto_all() -> None:
        assert readinto is not None
        for offset in offsets:
            readinto(offset, buffer)

    def iter_all() -> None:
        assert iter_chunks is not None
        for offset in offsets:
            for _ in iter_chunks(offset, READ_CHUNK):
                pass

    def copy_all() -> None:
        for pos in range(0, GIB, READ_CHUNK):
            bytes(flat[pos : pos + READ_CHUNK])

    measures = {"read": read_all, "copy": copy_all}
    if readinto is not None and iter_chunks is not None:
        measures |= {"readinto": readinto_all, "iter_chunks": iter_all}
    return {name: 1 / best_seconds(action, rounds) for name, action in measures.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="rounds per measure (best of)")
    parser.add_argument("--rss-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.rss_child:
        rss_child()
        return
    rounds = args.rounds
    allocated, rss = allocated_ratio(rounds), rss_ratio(rounds)
    first, engine, get = engine_ratio(max(rounds, 10))
    reads = read_throughput(max(rounds // 2, 2))
    print(f"best of {rounds} rounds; 'before' = the model before issue 13, same script")
    print(f"{'measure':62} {'now':>10} {'before':>22} {'goal':>7}")
    rows = [
        ("1 TiB disk, 10 MiB as scattered 4 KiB writes: allocated / written", f"{allocated:.2f}x"),
        ("  same: process RSS growth / written", f"{rss:.2f}x"),
    ]
    for (name, now), before in zip(rows, ("allocated", "rss"), strict=True):
        print(f"{name:62} {now:>10} {BEFORE[before]:>22} {'<= 2x':>7}")
    print(
        f"{'FakeOvirt() (demo, not served) / in-process GET of the API root':62}"
        f" {engine / get:>9.2f}x {BEFORE['engine']:>22} {'<= 5x':>7}"
    )
    print(
        f"  FakeOvirt() {engine * 1e3:.3f} ms (first in this process {first * 1e3:.3f} ms),"
        f" GET {get * 1e3:.3f} ms"
    )
    copy = reads["copy"]
    print(
        f"{'full read of 1 GiB written, read() of 1 MiB / bytes copy':62}"
        f" {reads['read'] / copy:>9.2f}x {BEFORE['read']:>22}"
    )
    print(
        "  GiB/s: "
        + ", ".join(f"{name} {speed:.2f}" for name, speed in reads.items())
        + " (copy: 1 MiB slices of the same bytes held in one object)"
    )


if __name__ == "__main__":
    main()
