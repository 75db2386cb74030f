"""Strategies that draw from the machine's own state: VMs and disks by name, so that a
printed program reads `vm='vm-up'`, leaning to the states where bugs live."""

from __future__ import annotations

from hypothesis import strategies as st

__all__ = [
    "disk_aliases",
    "policies",
    "restorable_vms",
    "vm_names",
    "vms_with_chain",
    "vms_with_snapshots",
]


def vm_names() -> st.SearchStrategy[str]:
    """A VM of the fake's inventory, by name (so that printed programs read well); half the
    time the one with the longest chain, so that rounds deepen chains rather than start many."""
    return st.runner().flatmap(
        lambda machine: st.one_of(st.just(machine.deepest_vm()), st.sampled_from(machine.vm_names))
    )


def vms_with_chain(*, prefer: str) -> st.SearchStrategy[str]:
    """A VM that has checkpoints, by name; half the time the one with the longest chain among
    those with no backup running (`prefer="idle"`) or with one in flight (`"busy"`)."""
    return st.runner().flatmap(
        lambda machine: st.one_of(
            st.just(machine.deepest_vm(prefer=prefer)),
            st.sampled_from([vm.name for vm in machine.vm_models.values() if vm.chain]),
        )
    )


def policies() -> st.SearchStrategy[str | None]:
    """One of the machine's policies, or None when it keeps the fake's own."""
    return st.runner().flatmap(
        lambda machine: st.sampled_from(machine.policies) if machine.policies else st.none()
    )


def disk_aliases() -> st.SearchStrategy[str]:
    """A disk of the fake's inventory, by alias."""
    return st.runner().flatmap(lambda machine: st.sampled_from(machine.disk_aliases))


def restorable_vms() -> st.SearchStrategy[str]:
    """A VM with a backup that was downloaded and succeeded, by name."""
    return st.runner().flatmap(
        lambda machine: st.sampled_from(
            sorted({machine.vm_models[b.vm_id].name for b in machine.restorable_backups(None)})
        )
    )


def vms_with_snapshots() -> st.SearchStrategy[str]:
    """A VM that has snapshots the machine took and kept, by name."""
    return st.runner().flatmap(
        lambda machine: st.sampled_from(
            [vm.name for vm in machine.vm_models.values() if vm.snapshots] or machine.vm_names
        )
    )
