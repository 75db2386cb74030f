"""What the disk-content model costs: memory per written byte, engine creation, full reads.

    python bench/bench_content.py [--rounds N]

Prints the two rows of issue 13 this model owns, each best of several rounds, with the value
measured before the finer-grained, lazily seeded model (recorded below, same machine class) and
the goal; then the full-read throughput of a disk with 1 GiB written, against copying the same
bytes out of one `bytes` object in the same run.

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

# Measured with the model before this bench existed (64 KiB block per partial write, seeded
# content generated eagerly per engine), on the 2-core machine, with this same script.
BEFORE = {
    "allocated": "16.05x",
    "rss": "16.05x",
    "engine": "337-667x (215-227 ms)",
    "read": "1.14 GiB/s (0.10 of copy)",
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


def read_throughput(rounds: int) -> tuple[float, float, float]:
    """GiB/s of a full read of a disk with 1 GiB written: read(), readinto(), a bytes copy."""
    disk = DiskContent(2 * GIB)
    run = 8 * MIB
    pattern = random.Random(0).randbytes(run)
    for index in range(GIB // run):  # runs of 8 MiB with gaps, as a filesystem fills a disk
        disk.write(index * 2 * run, pattern[index:] + pattern[:index])
    flat = bytes(GIB)
    offsets = [i * 2 * run + j for i in range(GIB // run) for j in range(0, run, READ_CHUNK)]

    def read_all() -> None:
        for offset in offsets:
            disk.read(offset, READ_CHUNK)

    buffer = bytearray(READ_CHUNK)
    readinto = getattr(disk, "readinto", None)

    def readinto_all() -> None:
        assert readinto is not None
        for offset in offsets:
            readinto(offset, buffer)

    def copy_all() -> None:
        view = memoryview(flat)
        for pos in range(0, GIB, READ_CHUNK):
            bytes(view[pos : pos + READ_CHUNK])

    read = best_seconds(read_all, rounds)
    into = best_seconds(readinto_all, rounds) if readinto is not None else float("nan")
    copy = best_seconds(copy_all, rounds)
    return 1 / read, 1 / into, 1 / copy


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
    read, into, copy = read_throughput(max(rounds // 2, 2))
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
    print(
        f"{'full read of 1 GiB written, 1 MiB read() calls':62} {read:>6.2f} GiB/s"
        f" {BEFORE['read']:>22}"
    )
    print(f"  readinto() into one buffer: {into:.2f} GiB/s; bytes copy baseline {copy:.2f} GiB/s")
    print(f"  read() / copy baseline: {read / copy:.2f}")


if __name__ == "__main__":
    main()
