"""The demo inventory with small disks, for tests that move whole disks over a socket.

Serving a 1 GiB demo disk over TLS takes seconds; a test about which bytes a transfer holds
needs a few MiB of them. `SMALL_DEMO` keeps the demo's VMs, disks, formats and statuses, with
32 MiB disks and 4 seeded blocks (one in each 8 MiB stretch): some 4 MiB checksum blocks hold
data and some are zeros, as on the demo's disks. Use it per module:

    pytestmark = pytest.mark.fakeovirt(scenario=SMALL_DEMO)
"""

from __future__ import annotations

from dataclasses import replace

from fakeovirt import DEMO, Scenario

__all__ = ["FEW_BLOCKS_DEMO", "SMALL_DEMO", "SMALL_DISK", "few_blocks", "small"]

SMALL_DISK = 32 * 1024 * 1024


def small(scenario: Scenario, size: int = SMALL_DISK, seeded_blocks: int = 4) -> Scenario:
    """`scenario` with every disk `size` bytes and `seeded_blocks` seeded blocks."""
    return _each_disk(scenario, "small", size=size, seeded_blocks=seeded_blocks)


def few_blocks(scenario: Scenario, seeded_blocks: int) -> Scenario:
    """`scenario` with its disks' sizes, and `seeded_blocks` seeded blocks on each."""
    return _each_disk(scenario, f"{seeded_blocks}-blocks", seeded_blocks=seeded_blocks)


def _each_disk(scenario: Scenario, suffix: str, **changes: int) -> Scenario:
    vms = tuple(
        replace(vm, disks=tuple(replace(disk, **changes) for disk in vm.disks))
        for vm in scenario.vms
    )
    return replace(scenario, name=f"{scenario.name}-{suffix}", vms=vms)


SMALL_DEMO = small(DEMO)
FEW_BLOCKS_DEMO = few_blocks(DEMO, 8)
