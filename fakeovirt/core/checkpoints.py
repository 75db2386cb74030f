"""VM checkpoints: listing the chain, removal with relinking, invalidation."""

from __future__ import annotations

from . import messages as msg
from .backups import drop_checkpoint
from .errors import Conflict
from .model import Checkpoint
from .state import State

__all__ = ["invalidate", "remove"]


def remove(state: State, vm_id: str, checkpoint_id: str, user: str) -> None:
    """`DELETE /vms/{vm}/checkpoints/{id}`: any checkpoint, its child relinked to its parent."""
    vm = state.vm(vm_id)
    checkpoint = state.checkpoint(vm_id, checkpoint_id)
    if state.unfinished_backup(vm_id) is not None:
        raise Conflict(msg.CHECKPOINT_DURING_BACKUP)
    drop_checkpoint(state, checkpoint.id)
    state.log(
        "checkpoint_deleted",
        msg.EVENT_CHECKPOINT_DELETED.format(checkpoint=checkpoint.id, vm=vm.name, user=user),
        user=user,
        vm=vm,
        subjects=(checkpoint.id,),
    )


def invalidate(state: State, vm_id: str, checkpoint_id: str | None = None) -> list[Checkpoint]:
    """Mark one checkpoint (or, like a snapshot restore, all of the VM's) invalid."""
    state.vm(vm_id)
    targets = [state.checkpoint(vm_id, checkpoint_id)] if checkpoint_id else state.chain(vm_id)
    for checkpoint in targets:
        checkpoint.state = "invalid"
    return targets
