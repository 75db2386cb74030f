"""What the pytest plugin costs: session start once, then a reset per test.

    python bench/bench_fixture.py [--rounds N]

Prints medians, and each as a ratio to a baseline measured in the same run: one
`GET /ovirt-engine/api` through werkzeug's in-process test client (no socket), so the
figures compare across machines. The demo scenario throughout.
"""

from __future__ import annotations

import argparse
import base64
import statistics
import time
from collections.abc import Callable

from fakeovirt import FakeOvirt
from fakeovirt.pytest_plugin import Settings, _problems, _reset

AUTH = {"Authorization": "Basic " + base64.b64encode(b"admin@internal:fakeovirt").decode()}


def median_seconds(action: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2000, help="rounds of the fast measures")
    rounds = parser.parse_args().rounds
    fake = FakeOvirt(strict=True)
    client = fake.client()
    settings = Settings()

    def get_api() -> None:
        assert client.get("/ovirt-engine/api", headers=AUTH).status_code == 200

    def start_and_stop() -> None:
        FakeOvirt(strict=True).start().stop()

    def fixture_cycle() -> None:  # what `fakeovirt` does around each test
        _reset(fake, settings)
        fake.faults.clear()
        _problems(fake, settings)

    baseline = median_seconds(get_api, rounds)
    rows = [
        ("GET /ovirt-engine/api, test client (baseline)", baseline),
        ("engine.reset() (demo)", median_seconds(fake.engine.reset, rounds)),
        ("FakeOvirt.reset() (demo)", median_seconds(fake.reset, rounds)),
        ("per-test fixture: reset + teardown checks", median_seconds(fixture_cycle, rounds)),
        ("new FakeOvirt (demo, not served)", median_seconds(FakeOvirt, max(rounds // 100, 5))),
        ("session start: new FakeOvirt + start (TLS) + stop", median_seconds(start_and_stop, 15)),
    ]
    print(f"median of {rounds} rounds (15 for the session start); ratio to the baseline")
    for name, seconds in rows:
        print(f"  {name:55} {seconds * 1e3:9.3f} ms  {seconds / baseline:8.2f}x")


if __name__ == "__main__":
    main()
