"""How deep the contract machine goes, and how surely it kills the planted client bugs.

    python bench/bench_contract.py [--runs N] [--seeds K] [--only NAME ...]

Coverage: N runs of a correct client (the data tool of tests/examples, the SDK machine, or the
imageio machine with disk snapshots and restores by upload) under `DEFAULT_SETTINGS`, each
with a fresh random seed, merged into one histogram (chain depths, paths, situations, the
snapshot and upload situations among them). Kill table: each mutant of
tests/mutants run with K random seeds under `DEFAULT_SETTINGS` (no example database, no
shrinking: detection only), with the examples, client calls and CPU seconds until caught.
CPU seconds count every thread (the served fake runs in this process), so they compare across
loaded machines better than wall time; both are shown.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from hypothesis import Phase, settings

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fakeovirt import FakeOvirt
from fakeovirt.stateful import DEFAULT_SETTINGS, ContractCoverage, ContractViolation
from fakeovirt.stateful_sdk import ImageioBackupMachine, SdkBackupMachine
from tests.examples.test_contract_data_own_client import MyToolMachine
from tests.mutants import MUTANTS

MACHINES = {"sdk": SdkBackupMachine, "tool": MyToolMachine, "imageio": ImageioBackupMachine}

DETECT = settings(
    DEFAULT_SETTINGS,
    database=None,
    print_blob=False,
    phases=[Phase.explicit, Phase.generate, Phase.target],
)


def coverage(fake: FakeOvirt, runs: int, name: str) -> None:
    total = ContractCoverage()
    reached = 0
    start, cpu = time.perf_counter(), time.process_time()
    for _ in range(runs):
        fake.reset()
        run = ContractCoverage()
        machine = MACHINES[name]
        machine.run(fake, settings=settings(DEFAULT_SETTINGS, database=None), coverage=run)
        reached += run.share_at_least(3) > 0
        for stats_field in ("depths", "paths", "situations"):
            getattr(total, stats_field).update(getattr(run, stats_field))
        total.examples += run.examples
        total.calls += run.calls
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(f"## Coverage: {runs} runs of {MACHINES[name].__name__} under DEFAULT_SETTINGS\n")
    print(total.report())
    print(
        f"\nchains of depth >= 3 in {total.share_at_least(3):.0%} of examples and in "
        f"{reached}/{runs} runs; per run {wall / runs:.1f} s wall, {cpu / runs:.1f} s CPU\n"
    )


def kills(fake: FakeOvirt, seeds: int, names: list[str]) -> None:
    print(f"## Kill table: {seeds} random seeds per mutant under DEFAULT_SETTINGS\n")
    columns = ["mutant", "class", "caught", "examples (median)", "calls (median)"]
    columns += ["CPU s (max)", "wall s (max)"]
    print("| " + " | ".join(columns) + " |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name in names:
        machine, kind = MUTANTS[name]
        caught, examples, calls, cpus, walls = 0, [], [], [], []
        for _ in range(seeds):
            fake.reset()
            run = ContractCoverage()
            start, cpu = time.perf_counter(), time.process_time()
            try:
                machine.run(fake, settings=DETECT, coverage=run)
            except ContractViolation:
                caught += 1
            walls.append(time.perf_counter() - start)
            cpus.append(time.process_time() - cpu)
            examples.append(run.examples)
            calls.append(run.calls)
        print(
            f"| {name} | {kind} | {caught}/{seeds} | {statistics.median(examples):g} | "
            f"{statistics.median(calls):g} | {max(cpus):.1f} | {max(walls):.1f} |",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="coverage runs (0: none)")
    parser.add_argument("--seeds", type=int, default=5, help="seeds per mutant")
    parser.add_argument("--only", nargs="*", default=list(MUTANTS), help="mutants to run")
    parser.add_argument("--machine", choices=MACHINES, default="tool", help="coverage client")
    parser.add_argument("--skip-coverage", action="store_true")
    args = parser.parse_args()
    with FakeOvirt(strict=True) as fake:
        if args.runs and not args.skip_coverage:
            coverage(fake, args.runs, args.machine)
        if args.seeds:
            kills(fake, args.seeds, args.only)


if __name__ == "__main__":
    main()
