"""What a scale scenario costs to build: `scale:vms=N` against the demo, in one run.

    python bench/bench_scale.py [--rounds N]

Prints the best of several rounds for each size, as seconds and as a ratio to a baseline
measured in the same run: building the demo scenario's engine state (five VMs, six disks).
`scale:` disks hold no seeded data, so the cost is the inventory itself: specs, checks, ids.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from fakeovirt import DEMO, Engine, FakeOvirt, Scenario

SIZES = ("scale:vms=100", "scale:vms=1000", "scale:vms=1000,disks=4,clusters=10,domains=5")


def best_seconds(action: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="rounds per measure (best is kept)")
    rounds = parser.parse_args().rounds
    engine = Engine(DEMO)
    baseline = best_seconds(lambda: engine.reset(DEMO), rounds * 20)
    rows = [("engine.reset(demo) (baseline)", baseline)]
    for name in SIZES:
        scenario = Scenario.named(name)
        rows += [
            (f"Scenario.named({name!r})", best_seconds(lambda n=name: Scenario.named(n), rounds)),
            ("  engine.reset to it", best_seconds(lambda s=scenario: engine.reset(s), rounds)),
            (f"  FakeOvirt({name!r})", best_seconds(lambda n=name: FakeOvirt(n), rounds)),
        ]
    width = max(len(label) for label, _ in rows)
    print(f"{'measure':<{width}}  {'seconds':>9}  {'/ baseline':>10}")
    for label, seconds in rows:
        print(f"{label:<{width}}  {seconds:>9.4f}  {seconds / baseline:>10.1f}")


if __name__ == "__main__":
    main()
