"""Finding a VM, a disk, a backup or a transfer in a fake, and the one error when it is not there.

Rules of this file:
- every lookup of `FakeOvirt` goes through here and fails with `UnknownEntity`, a
  `LookupError` whose text names what was asked for and what the engine has (the first
  `SHOWN` of them, then how many more), so a typo reads as one line;
- a name or an id is accepted wherever one is (a VM by name or id, a disk by alias or id);
- callers hold the engine lock; nothing here changes state.
"""

from __future__ import annotations

from collections.abc import Iterable

from .core.model import Backup, Disk, ImageTransfer, Vm
from .core.state import State

__all__ = ["SHOWN", "UnknownEntity", "backup_or_transfer", "disk", "transfer", "vm"]

SHOWN = 10  # names listed in an UnknownEntity message


class UnknownEntity(LookupError):
    """A lookup on a fake found nothing: `fake.vm("nope")`, `fake.history("nope")`, ...

    `kind` is what was looked for, `wanted` the name or id given, `known` what the engine
    has of that kind (all of them; the message shows the first few).
    """

    def __init__(self, kind: str, wanted: str, known: Iterable[str]) -> None:
        self.kind = kind
        self.wanted = wanted
        self.known = tuple(known)
        super().__init__(f"no {kind} {wanted!r}; {_listing(kind, self.known)}")

    def __str__(self) -> str:
        return str(self.args[0])


UnknownEntity.__module__ = "fakeovirt"  # as users import it: tracebacks say fakeovirt.UnknownEntity


def vm(state: State, name_or_id: str) -> Vm:
    """A VM by name, or by id."""
    __tracebackhide__ = True
    found = state.vms.get(name_or_id) or next(
        (v for v in state.vms.values() if v.name == name_or_id), None
    )
    if found is None:
        raise UnknownEntity("VM named", name_or_id, (v.name for v in state.vms.values()))
    return found


def disk(state: State, alias_or_id: str) -> Disk:
    """A disk by alias, or by id."""
    __tracebackhide__ = True
    found = state.disks.get(alias_or_id) or next(
        (d for d in state.disks.values() if d.alias == alias_or_id), None
    )
    if found is None:
        raise UnknownEntity("disk with alias", alias_or_id, (d.alias for d in state.disks.values()))
    return found


def transfer(state: State, transfer_id: str) -> ImageTransfer:
    """An image transfer by id (the engine removes finished ones after its retention)."""
    __tracebackhide__ = True
    found = state.transfers.get(transfer_id)
    if found is None:
        raise UnknownEntity("image transfer with id", transfer_id, state.transfers)
    return found


def backup_or_transfer(state: State, entity_id: str) -> Backup | ImageTransfer:
    """A backup or an image transfer by id."""
    __tracebackhide__ = True
    found: Backup | ImageTransfer | None = state.backups.get(entity_id)
    found = found or state.transfers.get(entity_id)
    if found is None:
        known = [f"backup {i}" for i in state.backups]
        known += [f"transfer {i}" for i in state.transfers]
        raise UnknownEntity("backup or image transfer with id", entity_id, known)
    return found


def _listing(kind: str, known: tuple[str, ...]) -> str:
    one, many = _NOUNS.get(kind, ("entity", "entities"))
    if not known:
        return f"the engine has no {many}"
    shown = ", ".join(known[:SHOWN])
    more = f" and {len(known) - SHOWN} more" if len(known) > SHOWN else ""
    return f"the engine has {len(known)} {one if len(known) == 1 else many}: {shown}{more}"


_NOUNS = {
    "VM named": ("VM", "VMs"),
    "disk with alias": ("disk", "disks"),
    "image transfer with id": ("image transfer", "image transfers"),
    "backup or image transfer with id": ("backup or image transfer", "backups and image transfers"),
}
