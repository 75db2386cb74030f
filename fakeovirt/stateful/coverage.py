"""How deep a contract run went: chain depths, backup paths and situations, per example.

coverage = ContractCoverage()
MyMachine.run(fake, coverage=coverage)
print(coverage.report())          # a histogram of depths, paths and situations reached
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

__all__ = ["SITUATIONS", "ContractCoverage", "ExampleStats"]

SITUATIONS = (
    "incremental backup from an older checkpoint",
    "checkpoint removed from the middle of a chain",
    "incremental from an invalid checkpoint refused",
    "second backup of a busy VM refused",
    "finalize before ready",
    "chains on several VMs",
    "guest write during a backup",
    "incremental restore verified",
    "disk snapshot downloaded as at the snapshot",
    "snapshot of some of a VM's disks",
    "snapshot refused during a backup",
    "backup restored into a new disk by upload",
    "snapshot restored into a new disk by upload",
)


@dataclass
class ExampleStats:
    """What one example reached."""

    depth: int = 0  # the longest chain any VM had at any time
    paths: set[str] = field(default_factory=set)  # paths of backups that became ready
    situations: set[str] = field(default_factory=set)
    vms_with_chain: set[str] = field(default_factory=set)
    calls: int = 0  # client calls made


@dataclass
class ContractCoverage:
    """Totals over the examples of one or more runs."""

    examples: int = 0
    depths: Counter[int] = field(default_factory=Counter)
    paths: Counter[str] = field(default_factory=Counter)
    situations: Counter[str] = field(default_factory=Counter)
    calls: int = 0

    def record(self, stats: ExampleStats) -> None:
        self.examples += 1
        self.depths[stats.depth] += 1
        self.paths.update(stats.paths)
        situations = set(stats.situations)
        if len(stats.vms_with_chain) > 1:
            situations.add("chains on several VMs")
        self.situations.update(situations)
        self.calls += stats.calls

    def share_at_least(self, depth: int) -> float:
        """The share of examples whose deepest chain had at least `depth` checkpoints."""
        if not self.examples:
            return 0.0
        return sum(n for d, n in self.depths.items() if d >= depth) / self.examples

    def report(self) -> str:
        """A text histogram: chain depths, paths, and how often each situation came up."""
        n = max(self.examples, 1)
        lines = [f"{self.examples} examples, {self.calls} client calls"]
        lines.append("deepest checkpoint chain per example:")
        for depth in range(max(self.depths, default=0) + 1):
            count = self.depths.get(depth, 0)
            lines.append(f"  {depth:2} {_bar(count, n)} {count:4} ({count / n:4.0%})")
        lines.append("examples with a backup reaching ready, by path:")
        for path in ("snapshot", "live", "cold"):
            count = self.paths.get(path, 0)
            lines.append(f"  {path:8} {_bar(count, n)} {count:4} ({count / n:4.0%})")
        lines.append("examples reaching each situation:")
        for situation in SITUATIONS:
            count = self.situations.get(situation, 0)
            lines.append(f"  {_bar(count, n)} {count:4} ({count / n:4.0%})  {situation}")
        return "\n".join(lines)


def _bar(count: int, total: int, width: int = 20) -> str:
    filled = round(width * count / total) if total else 0
    return ("#" * filled).ljust(width, ".")
