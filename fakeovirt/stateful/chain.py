"""The chain checks that several rule groups share: listing and removing checkpoints.

Rules of this file:
- a listing must be the chain exactly: oldest first, complete, each the parent of the next;
  only the checkpoint of a backup still in flight may or may not be there yet;
- a removal must remove exactly the checkpoint asked for (the engine is looked at after it),
  and is refused (409) while the VM's backup runs, 404 for an unknown id;
- a retention (`_keep_only`) lists, then removes the oldest until N are left, and stops at the
  first refusal, as a tool does.
"""

from __future__ import annotations

from .base import ContractMachine
from .model import VmModel

__all__ = ["ChainMachine"]


class ChainMachine(ContractMachine):
    """`ContractMachine` with the checks of a listing and of a removal."""

    def _read_chain(self, model: VmModel) -> None:
        """List a VM's checkpoints through the client and check them against the chain."""
        vm = model.name
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

    def _remove_checkpoint(self, model: VmModel, target: str) -> int:
        """Remove a checkpoint through the client; check the answer and what is left."""
        chain = model.chain
        if target not in chain:
            expected = {404}
        else:
            current = model.current
            busy = current is not None and current.may_be_unfinished()
            idle = current is None or current.may_be_finished()
            expected = ({409} if busy else set()) | ({200} if idle else set())
        text = f"remove_checkpoint({model.name}, {self.labels(target, 'checkpoint')})"
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
        return status

    def _keep_only(self, model: VmModel, keep: int) -> None:
        """A tool's retention: list the VM's checkpoints, then remove the oldest until `keep`
        are left, stopping at the first refusal (as while a backup runs)."""
        self._read_chain(model)
        while len(model.chain) > keep:
            if self._remove_checkpoint(model, model.chain[0]) != 200:
                return
