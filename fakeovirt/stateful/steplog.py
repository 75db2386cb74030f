"""A readable log of what the client did in one example, and the failure that carries it.

Ids are shown as short labels (`backup-2`, `checkpoint-1`) given in the order they appear,
VMs and disks by name, so that a failing example reads as a short program of client calls.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["ContractViolation", "Labels", "StepLog"]

MAX_SHOWN = 80


class ContractViolation(AssertionError):
    """The client broke the backup contract; the message ends with the example's client calls."""

    def __init__(self, message: str, steps: list[str] | None = None) -> None:
        self.violation = message
        self.steps = list(steps or ())
        shown = self.steps[-MAX_SHOWN:]
        skipped = len(self.steps) - len(shown)
        lines = [f"{skipped + i + 1:3}. {line}" for i, line in enumerate(shown)]
        if skipped:
            lines.insert(0, f"     ... {skipped} earlier steps")
        text = message
        if lines:
            text += "\n\nWhat happened in this example, oldest first:\n" + "\n".join(lines)
        super().__init__(text)


class Labels:
    """Short, stable names for ids: VMs and disks by name, the rest by kind and number."""

    def __init__(self) -> None:
        self._names: dict[str, str] = {}
        self._counts: dict[str, int] = {}

    def known(self, entity_id: str, name: str) -> None:
        self._names[entity_id] = name

    def __call__(self, entity_id: str | None, kind: str = "id") -> str:
        if entity_id is None:
            return "None"
        name = self._names.get(entity_id)
        if name is None:
            self._counts[kind] = self._counts.get(kind, 0) + 1
            name = self._names[entity_id] = f"{kind}-{self._counts[kind]}"
        return name

    def many(self, ids: Iterable[str | None], kind: str = "id") -> str:
        return "[" + ", ".join(self(i, kind) for i in ids) + "]"


class StepLog:
    """The lines of one example: client calls with their answers, and the machine's own acts."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, line: str) -> None:
        self.lines.append(line)
