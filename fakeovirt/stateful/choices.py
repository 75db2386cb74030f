"""Strategies that draw from the machine's own state: VMs and disks by name, so that a
printed program reads `vm='vm-up'`, leaning to the states where bugs live.

Each step's strategy is built once per distinct choice (cached by its hashable inputs):
hypothesis validates every new strategy object, and a new one per draw cost more than the
draw. The strategies are the same as building them afresh, so a seed draws the same program.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from hypothesis import strategies as st

__all__ = [
    "disk_aliases",
    "policies",
    "restorable_vms",
    "vm_names",
    "vms_with_chain",
    "vms_with_snapshots",
]


@lru_cache(maxsize=1024)
def _sampled(items: tuple[Any, ...]) -> st.SearchStrategy[Any]:
    return st.sampled_from(list(items))


@lru_cache(maxsize=1024)
def _deepest_or_any(deepest: str, names: tuple[str, ...]) -> st.SearchStrategy[str]:
    return st.one_of(st.just(deepest), _sampled(names))


def vm_names() -> st.SearchStrategy[str]:
    """A VM of the fake's inventory, by name (so that printed programs read well); half the
    time the one with the longest chain, so that rounds deepen chains rather than start many."""
    return st.runner().flatmap(
        lambda machine: _deepest_or_any(machine.deepest_vm(), tuple(machine.vm_names))
    )


def vms_with_chain(*, prefer: str) -> st.SearchStrategy[str]:
    """A VM that has checkpoints, by name; half the time the one with the longest chain among
    those with no backup running (`prefer="idle"`) or with one in flight (`"busy"`)."""
    return st.runner().flatmap(
        lambda machine: _deepest_or_any(
            machine.deepest_vm(prefer=prefer),
            tuple(vm.name for vm in machine.vm_models.values() if vm.chain),
        )
    )


def policies() -> st.SearchStrategy[str | None]:
    """One of the machine's policies, or None when it keeps the fake's own."""
    return st.runner().flatmap(
        lambda machine: _sampled(tuple(machine.policies)) if machine.policies else st.none()
    )


def disk_aliases() -> st.SearchStrategy[str]:
    """A disk of the fake's inventory, by alias."""
    return st.runner().flatmap(lambda machine: _sampled(tuple(machine.disk_aliases)))


def restorable_vms() -> st.SearchStrategy[str]:
    """A VM with a backup that was downloaded and succeeded, by name."""
    return st.runner().flatmap(
        lambda machine: _sampled(
            tuple(
                sorted({machine.vm_models[b.vm_id].name for b in machine.restorable_backups(None)})
            )
        )
    )


def vms_with_snapshots() -> st.SearchStrategy[str]:
    """A VM that has snapshots the machine took and kept, by name."""
    return st.runner().flatmap(
        lambda machine: _sampled(
            tuple(
                [vm.name for vm in machine.vm_models.values() if vm.snapshots] or machine.vm_names
            )
        )
    )
