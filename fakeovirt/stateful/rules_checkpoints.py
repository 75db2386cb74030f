"""Rule group: checkpoints. Listing the chain, removing from it, invalid checkpoints.

Rules of this file:
- a listing must be the chain exactly: oldest first, complete, each the parent of the next;
  only the checkpoint of a backup still in flight may or may not be there yet;
- a removal must remove exactly the checkpoint asked for (the engine is looked at after it),
  and is refused (409) while the VM's backup runs, 404 for an unknown id;
- `invalidate_checkpoint` is fault injection: the engine marks checkpoints invalid, as after a
  snapshot restore, and later incrementals from them must be refused.
"""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.stateful import precondition, rule

from .base import UNKNOWN_CHECKPOINT, ContractMachine
from .rules_backups import vm_names, vms_with_chain

__all__ = ["CheckpointRules"]


class CheckpointRules(ContractMachine):
    """Listing, removing and invalidating checkpoints."""

    @rule(vm=vm_names())
    def read_chain(self, vm: str) -> None:
        model = self.vm_by_name[vm]
        self._settle_vm(model)
        text = f"list_checkpoints({vm})"
        listed = self._client_call(
            text,
            lambda: self.list_checkpoints(model.id),
            lambda found: self.labels.many((c.id for c in found), "checkpoint"),
        )
        ids = [c.id for c in listed]
        chain = model.chain
        pending = model.current
        self._expect(
            ids[: len(chain)] == chain,
            lambda: (
                f"the client lists {self.labels.many(ids)}; the chain is "
                f"{self.labels.many(chain)}, oldest first"
            ),
        )
        extra = ids[len(chain) :]
        may_add = pending is not None and not pending.settled and pending.may_have_checkpoint()
        self._expect(
            len(extra) <= int(may_add),
            lambda: (
                f"the client lists {self.labels.many(extra)} after the chain "
                f"{self.labels.many(chain)}; no backup of {vm} can have made them"
            ),
        )
        if extra and pending is not None:
            self._learn_checkpoint(model, pending, extra[0])
        parents = [c.parent_id for c in listed]
        self._expect(
            parents == [None, *ids][: len(ids)],
            lambda: (
                f"the client lists parents {self.labels.many(parents)} for "
                f"{self.labels.many(ids)}; each checkpoint's parent is the one before it"
            ),
        )
        if self.exact:
            server = self._server_chain(model.id)
            self._expect(
                [(c.id, c.parent_id) for c in listed] == server,
                lambda: (
                    f"the client lists {self.labels.many(ids)}; the engine answered "
                    f"{self.labels.many(c for c, _ in server)}"
                ),
            )

    @precondition(lambda self: any(vm.chain for vm in self.vm_models.values()))
    @rule(vm=vms_with_chain(), which=st.sampled_from(["root", "middle", "leaf", "unknown"]))
    def delete_checkpoint(self, vm: str, which: str) -> None:
        model = self.vm_by_name[vm]
        self._settle_vm(model)
        chain = model.chain
        if which == "unknown" or not chain:
            target, expected = UNKNOWN_CHECKPOINT, {404}
        else:
            target = {"root": chain[0], "middle": chain[len(chain) // 2], "leaf": chain[-1]}[which]
            current = model.current
            busy = current is not None and current.may_be_unfinished()
            idle = current is None or current.may_be_finished()
            expected = ({409} if busy else set()) | ({200} if idle else set())
        text = f"remove_checkpoint({vm}, {self.labels(target, 'checkpoint')})"
        status = self._fault_of(text, lambda: self.remove_checkpoint(model.id, target))
        self._expect(
            status in expected,
            lambda: (
                f"{text} answered {status}; the engine answers "
                + " or ".join(str(s) for s in sorted(expected))
            ),
        )
        if status == 200 and target in chain:
            if model.current is not None and not model.current.settled:
                self._settle_finished(model, model.current, known_finished=True)
            position = chain.index(target)
            if 0 < position < len(chain) - 1:
                self.example_stats.situations.add("checkpoint removed from the middle of a chain")
            chain.remove(target)
            model.invalid.discard(target)
            model.removed.append(target)
        if self.exact:
            server = [c for c, _ in self._server_chain(model.id)]
            unsettled = model.current is not None and not model.current.settled
            self._expect(
                server[: len(chain)] == chain and len(server) - len(chain) <= int(unsettled),
                lambda: (
                    f"after {text} the engine holds {self.labels.many(server)}; "
                    f"it should hold {self.labels.many(chain)}"
                ),
            )

    @precondition(lambda self: any(vm.chain for vm in self.vm_models.values()))
    @rule(vm=vms_with_chain(), which=st.sampled_from(["leaf", "root", "all"]))
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
