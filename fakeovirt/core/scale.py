"""Generated inventories for scheduler and load tests, like vcsim's: `scale:vms=1000,...`.

    scale:vms=N[,disks=M][,clusters=C][,domains=D][,hosts=H][,size=S][,seeded=B][,seed=X]

N VMs (`vm-1`..., all up) spread round-robin over C clusters (`cluster-1`...) of one data
center (`Default`), each VM on a host of its cluster (H hosts `host-1`..., spread over the
clusters; default one per cluster), with M disks each (`vm-1-disk1`..., default 1, qcow2 with
incremental backup, S bytes each, default 1G; K/M/G/T suffixes are binary) spread round-robin
over D NFS data domains (`data-1`...). Disks hold no seeded data unless `seeded=B` asks for B
blocks per disk (the scenario-wide bound on seeded blocks applies).
"""

from __future__ import annotations

from typing import Any

from .content import BLOCK_SIZE
from .specs import LIMITS, ClusterSpec, DiskSpec, HostSpec, StorageDomainSpec, VmSpec

__all__ = ["SCALE_PREFIX", "parse_scale", "scale_scenario"]

SCALE_PREFIX = "scale:"
_DEFAULTS = {"vms": 100, "disks": 1, "clusters": 1, "domains": 1, "size": 1 << 30, "seeded": 0}
_BOUNDS = {
    "vms": (0, LIMITS["vms"]),
    "disks": (0, LIMITS["disks_per_vm"]),
    "clusters": (1, LIMITS["inventory"]),
    "domains": (1, LIMITS["inventory"]),
    "hosts": (1, LIMITS["inventory"]),
    "size": (1, LIMITS["disk_size"]),
    "seeded": (0, LIMITS["seeded_blocks"]),
    "seed": (0, LIMITS["seed"] - 1),
}
_SUFFIX = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def parse_scale(text: str) -> dict[str, int]:
    """The numbers of a `scale:` name, with defaults; ValueError names the bad part."""
    if not text.startswith(SCALE_PREFIX):
        raise ValueError(f"a scale scenario starts with {SCALE_PREFIX!r}")
    given: dict[str, int] = {}
    body = text[len(SCALE_PREFIX) :]
    for part in body.split(",") if body else []:
        key, sep, value = part.strip().partition("=")
        if not sep or key not in _BOUNDS:
            raise ValueError(
                f"scale scenario {text!r}: {part!r} is not one of {', '.join(_BOUNDS)}=NUMBER"
            )
        if key in given:
            raise ValueError(f"scale scenario {text!r}: {key} is given twice")
        given[key] = _number(text, key, value.strip())
    numbers = {**_DEFAULTS, **given}
    numbers.setdefault("hosts", numbers["clusters"])
    numbers.setdefault("seed", 0)
    if numbers["hosts"] < numbers["clusters"]:
        raise ValueError(f"scale scenario {text!r}: each cluster needs a host (hosts >= clusters)")
    disks = numbers["vms"] * numbers["disks"]
    if disks > LIMITS["disks"] or disks * numbers["seeded"] > LIMITS["seeded_blocks"]:
        raise ValueError(
            f"scale scenario {text!r}: at most {LIMITS['disks']} disks and "
            f"{LIMITS['seeded_blocks']} seeded blocks in all"
        )
    if numbers["size"] % BLOCK_SIZE:
        raise ValueError(f"scale scenario {text!r}: size must be a multiple of {BLOCK_SIZE}")
    return numbers


def _number(text: str, key: str, value: str) -> int:
    factor = _SUFFIX.get(value[-1:].upper(), 1) if key == "size" else 1
    digits = value[:-1] if factor > 1 else value
    low, high = _BOUNDS[key]
    if not digits.isdigit() or len(digits) > 20 or not low <= int(digits) * factor <= high:
        raise ValueError(f"scale scenario {text!r}: {key} must be a number in {low}..{high}")
    return int(digits) * factor


def scale_scenario(text: str) -> dict[str, Any]:
    """`Scenario` keyword arguments for a `scale:` name."""
    n = parse_scale(text)
    clusters = tuple(ClusterSpec(f"cluster-{c + 1}") for c in range(n["clusters"]))
    domains = tuple(StorageDomainSpec(f"data-{d + 1}") for d in range(n["domains"]))
    hosts = tuple(
        HostSpec(f"host-{h + 1}", clusters[h % len(clusters)].name) for h in range(n["hosts"])
    )
    by_cluster: dict[str, list[str]] = {}
    for host in hosts:
        by_cluster.setdefault(host.cluster or "", []).append(host.name)
    vms = []
    for i in range(n["vms"]):
        cluster = clusters[i % len(clusters)].name
        own = by_cluster[cluster]
        name = f"vm-{i + 1}"
        disks = tuple(
            DiskSpec(
                f"{name}-disk{j + 1}",
                size=n["size"],
                seeded_blocks=n["seeded"],
                storage_domain=domains[(i * n["disks"] + j) % len(domains)].name,
            )
            for j in range(n["disks"])
        )
        runs_on = own[(i // len(clusters)) % len(own)]
        vms.append(VmSpec(name, "up", disks=disks, cluster=cluster, host=runs_on))
    return {
        "name": text,
        "seed": n["seed"],
        "clusters": clusters,
        "storage_domains": domains,
        "hosts": hosts,
        "vms": tuple(vms),
    }
