"""Cost that does not grow with history (issue 13): each row measured side by side in one run.

    python bench/bench_history.py [--history 10000] [--cycles-at 5000] [--requests 20000]

Rows, each a ratio (or a growth) measured in this run, next to the value this script measured
before the engine kept a schedule and indexes, and the goal. Times are the best of many short
rounds, the two sides of a ratio measured in turn within each round, so that a busy machine
weighs on both alike:

- per-request cost of `GET backups?max=50`, `GET checkpoints?max=50` and `GET` one backup with
  `--history` finished backups of the VM vs 100 (every succeeded backup leaves a checkpoint);
- one create+finalize cycle (`POST backups`, `POST finalize`) with `--cycles-at` backups of
  history vs the first cycles of a fresh engine;
- memory growth (tracemalloc) from request 2,000 to `--requests` of a backup client's loop
  that keeps its checkpoints few while the engine clock moves 0.6 s per request: what remains
  is what the journal and the event log keep.

Requests go through werkzeug's in-process client (`FakeOvirt().client()`, no socket, not
strict); the engine clock is a manual one that never passes the retention of finished
backups while history is built, so the history stays.
"""

from __future__ import annotations

import argparse
import base64
import gc
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass

from werkzeug.test import Client

from fakeovirt import BackupRequest, DiskSpec, FakeOvirt, Scenario, VmSpec

API = "/ovirt-engine/api"
AUTH = {"Authorization": "Basic " + base64.b64encode(b"admin@internal:fakeovirt").decode()}
XML = {**AUTH, "Content-Type": "application/xml"}
SCENARIO = Scenario(
    name="history",
    vms=(VmSpec("vm-h", disks=(DiskSpec("vm-h-disk", size=1 << 20, seeded_blocks=0),)),),
)
MiB = 1 << 20

# What this script measured on the 2-core machine at 878c058, before the schedule and the
# indexes (the "today" of issue 13, whose own table shows 8.5x, 10.4x, 45x, 174x and
# ~1.8 KB per request).
BEFORE = {
    "backups": "9.22x",
    "checkpoints": "10.43x",
    "backup": "31.36x",
    "cycle": "19.82x",
    "growth": "129.2 MiB",
}


@dataclass
class Fixture:
    fake: FakeOvirt
    client: Client
    vm_id: str
    disk_id: str
    history: int = 0

    @classmethod
    def fresh(cls) -> Fixture:
        fake = FakeOvirt(SCENARIO)
        return cls(fake, fake.client(), fake.vm("vm-h").id, fake.disk("vm-h-disk").id)

    def grow(self, count: int) -> None:
        """`count` more finished backups, through the engine's commands (not HTTP)."""
        engine = self.fake.engine
        with self.fake.lock:
            for _ in range(count):
                backup = engine.start_backup(self.vm_id, BackupRequest(disk_ids=(self.disk_id,)))
                engine.finalize_backup(self.vm_id, backup.id)
        self.history += count

    def get(self, path: str) -> None:
        response = self.client.get(API + path, headers=AUTH)
        assert response.status_code == 200, (path, response.status_code)
        response.close()

    def cycle(self) -> None:
        """One backup's create and finalize, as a client sends them."""
        body = f'<backup><disks><disk id="{self.disk_id}"/></disks></backup>'
        created = self.client.post(f"{API}/vms/{self.vm_id}/backups", data=body, headers=XML)
        assert created.status_code == 201, created.get_data(as_text=True)
        backup_id = created.headers["Location"].rstrip("/").rsplit("/", 1)[-1]
        done = self.client.post(
            f"{API}/vms/{self.vm_id}/backups/{backup_id}/finalize", data="<action/>", headers=XML
        )
        assert done.status_code == 200, done.get_data(as_text=True)
        self.history += 1

    def newest_backup(self) -> str:
        with self.fake.lock:
            return self.fake.engine.backups(self.vm_id)[-1].id


def per_call(action: Callable[[], object], calls: int) -> float:
    """Seconds per call, the mean over `calls` calls."""
    start = time.perf_counter()
    for _ in range(calls):
        action()
    return (time.perf_counter() - start) / calls


def get_ratios(small: Fixture, big: Fixture, calls: int, rounds: int) -> dict[str, float]:
    """Per-request cost with `big`'s history over `small`'s, each the best of `rounds`,
    the two measured in turn within each round so that the machine's load hits both."""
    paths = {}
    for name, fixture in (("small", small), ("big", big)):
        vm = f"/vms/{fixture.vm_id}"
        paths[name] = {
            "backups": f"{vm}/backups?max=50",
            "checkpoints": f"{vm}/checkpoints?max=50",
            "backup": f"{vm}/backups/{fixture.newest_backup()}",
        }
    best = {(name, key): float("inf") for name in paths for key in paths[name]}
    for _ in range(rounds):
        for key in paths["small"]:
            for name, fixture in (("small", small), ("big", big)):
                path = paths[name][key]
                cost = per_call(lambda: fixture.get(path), calls)  # noqa: B023
                best[name, key] = min(best[name, key], cost)
    return {key: best["big", key] / best["small", key] for key in paths["small"]}


def cycle_ratio(late: Fixture, window: int, rounds: int) -> tuple[float, float]:
    """Per-cycle cost late in `late`'s history over the first cycles of fresh engines, and
    the first cycles' cost; a fresh engine's window and a late window alternate."""
    first = latest = float("inf")
    for _ in range(rounds):
        warm = Fixture.fresh()
        warm.cycle()  # warm the code paths, as the late measure is warm too
        fresh = Fixture.fresh()
        first = min(first, per_call(fresh.cycle, window))
        latest = min(latest, per_call(late.cycle, window))
    return latest / first, first


def growth(requests: int, mark: int) -> float:
    """Bytes allocated and kept between request `mark` and request `requests`."""
    fixture = Fixture.fresh()
    vm = f"/vms/{fixture.vm_id}"
    client, fake = fixture.client, fixture.fake
    sent = 0
    at_mark = 0

    def count(step: int = 1) -> None:
        nonlocal sent, at_mark
        sent += step
        if sent == mark:
            gc.collect()
            at_mark = tracemalloc.get_traced_memory()[0]

    tracemalloc.start()
    while sent < requests:
        fixture.cycle()
        count(2)
        for path in (f"{vm}/backups?max=50", f"{vm}/checkpoints", "", f"{vm}", "/events?max=5"):
            fixture.get(path)
            count()
        with fake.lock:
            chain = fake.engine.checkpoints(fixture.vm_id)
        if len(chain) > 3:  # the client keeps a short chain, deleting the oldest
            oldest = chain[0].id
            client.delete(f"{API}{vm}/checkpoints/{oldest}", headers=AUTH).close()
            count()
        else:
            fixture.get(f"{vm}/diskattachments")
            count()
        fake.advance(0.6 * 8)
    gc.collect()
    kept = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return (kept - at_mark) / MiB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--history", type=int, default=10_000)
    parser.add_argument("--cycles-at", type=int, default=5_000)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=25)
    args = parser.parse_args()
    calls, rounds, window = 20, args.rounds, 10

    started = time.perf_counter()
    small, late, big = Fixture.fresh(), Fixture.fresh(), Fixture.fresh()
    small.grow(100)
    late.grow(args.cycles_at - 1)  # the next cycle is the `cycles_at`-th
    big.grow(args.history)
    built = time.perf_counter() - started
    ratios = get_ratios(small, big, calls, rounds)
    cycles, first = cycle_ratio(late, window, rounds)
    grown = growth(args.requests, 2_000)

    history = f"{args.history:,}"
    rows = [
        (f"GET backups?max=50, {history} vs 100 finished backups", ratios["backups"], "backups"),
        (f"GET checkpoints?max=50, {history} vs 100", ratios["checkpoints"], "checkpoints"),
        (f"GET one backup, {history} vs 100", ratios["backup"], "backup"),
        (f"one create+finalize cycle, {args.cycles_at:,}th vs 1st", cycles, "cycle"),
    ]
    print(f"{'measure':58} {'now':>9} {'before':>9}  goal")
    for title, ratio, key in rows:
        print(f"{title:58} {ratio:8.2f}x {BEFORE[key]:>9}  <= 1.5x")
    growth_title = f"journal + event log growth, 2,000 -> {args.requests:,} requests"
    print(f"{growth_title:58} {grown:5.1f} MiB {BEFORE['growth']:>9}  <= 10 MiB")
    print(
        f"(history built in {built:.0f} s; the first cycle costs {first * 1e3:.2f} ms;"
        f" best of {rounds} rounds, each side in turn)"
    )


if __name__ == "__main__":
    main()
