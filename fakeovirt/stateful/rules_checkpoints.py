"""Rule group: checkpoints. Listing the chain, removing from it, invalid checkpoints.

Rules of this file:
- listings and removals are checked by `chain.ChainMachine`;
- `rotate_checkpoints` is a tool's retention, often run while a backup is in flight, so it
  leans to a VM with one running: its first removal must then be refused;
- `invalidate_checkpoint` is fault injection: the engine marks checkpoints invalid, as after a
  snapshot restore, and later incrementals from them must be refused.
"""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from .base import UNKNOWN_CHECKPOINT
from .chain import ChainMachine
from .choices import vm_names, vms_with_chain

__all__ = ["CheckpointRules"]

# Which checkpoint `delete_checkpoint` removes; "middle" is listed twice to come up twice as
# often, as `rotate_checkpoints` already removes from the root.
REMOVALS = ["middle", "root", "middle", "leaf", "unknown"]


class CheckpointRules(ChainMachine):
    """Listing, removing and invalidating checkpoints."""

    @rule(vm=vm_names())
    def read_chain(self, vm: str) -> None:
        """List the VM's checkpoints and check the chain."""
        self._read_chain(self.vm_by_name[vm])

    @precondition(lambda self: any(vm.chain for vm in self.vm_models.values()))
    @rule(vm=vms_with_chain(prefer="idle"), which=st.sampled_from(REMOVALS))
    def delete_checkpoint(self, vm: str, which: str) -> None:
        """Remove one checkpoint: the root, one in the middle, the leaf, or an unknown id."""
        model = self.vm_by_name[vm]
        self._settle_vm(model)
        chain = model.chain
        if which == "unknown" or not chain:
            self._remove_checkpoint(model, UNKNOWN_CHECKPOINT)
        else:
            middle = chain[len(chain) // 2]
            self._remove_checkpoint(
                model, {"root": chain[0], "middle": middle, "leaf": chain[-1]}[which]
            )

    @precondition(lambda self: any(vm.chain for vm in self.vm_models.values()))
    @rule(vm=vms_with_chain(prefer="busy"), keep=st.integers(0, 3))
    def rotate_checkpoints(self, vm: str, keep: int) -> None:
        """A tool's retention, run on its own schedule: list the checkpoints, then remove the
        oldest until `keep` are left (stopping at the first refusal, as while a backup runs)."""
        self._keep_only(self.vm_by_name[vm], keep)

    @precondition(lambda self: any(vm.chain for vm in self.vm_models.values()))
    @rule(vm=vms_with_chain(prefer="idle"), which=st.sampled_from(["leaf", "root", "all"]))
    def invalidate_checkpoint(self, vm: str, which: str) -> None:
        """Fault injection: checkpoints become invalid (`all`: as a snapshot restore does)."""
        model = self.vm_by_name[vm]
        self._settle_vm(model)
        if not model.chain:
            return
        targets = {"leaf": [model.chain[-1]], "root": [model.chain[0]], "all": list(model.chain)}
        chosen = targets[which]
        with self.fake.lock:  # one by one: a running backup's checkpoint stays valid
            for checkpoint in chosen:
                self.fake.engine.invalidate_checkpoints(model.id, checkpoint)
        model.invalid.update(chosen)
        self.steps.add(f"the engine marks {self.labels.many(chosen)} of {vm} invalid")
