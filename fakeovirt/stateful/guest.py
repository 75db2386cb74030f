"""The guest's writes, shared by the rule groups that check bytes (data, snapshots).

Rules of this file:
- every write goes to the fake (`FakeOvirt.guest_write`) and to the machine's own copy of the
  disk (`shadow`), so the shadow is always what the guest sees;
- a write is recognisable data (`guest write N`, N the step that logs it) or whole zeroed
  blocks, at the disk's start, middle or end, over data, or unaligned.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from fakeovirt.core.content import BLOCK_SIZE
from fakeovirt.images import Content, ImageDifference, UnreadableImage, image_difference

from .base import ContractMachine

__all__ = ["WHERE", "GuestMachine", "content_difference"]

WHERE = ["data", "start", "middle", "end", "unaligned"]
_CHUNK = 1024 * 1024


class GuestMachine(ContractMachine):
    """`ContractMachine` with a guest that writes to its disks."""

    def _guest_write(self, disk_id: str, where: str, blocks: int, zeros: bool) -> tuple[int, int]:
        """Write to a disk, in the fake and in the shadow; return (offset, length)."""
        shadow = self.shadow[disk_id]
        length = blocks * BLOCK_SIZE
        number = len(self.steps.lines) + 1  # the step that logs this write
        offset = self._offset(disk_id, where, length, number)
        data = bytes(length) if zeros else _pattern(number, length)
        self.fake.guest_write(disk_id, offset, data)
        shadow.write(offset, data)
        kind = "zeros" if zeros else "data"
        self.steps.add(
            f"the guest writes {length // 1024} KiB of {kind} at offset {offset} "
            f"of {self.labels(disk_id)}"
        )
        return offset, length

    def _offset(self, disk_id: str, where: str, length: int, number: int) -> int:
        size = self.shadow[disk_id].size
        if where == "start":
            return 0
        if where == "middle":
            return (size // 2) // BLOCK_SIZE * BLOCK_SIZE
        if where == "end":
            return size - length
        data = [e for e in self.shadow[disk_id].zero_extents() if not e.zero]
        base = data[number % len(data)].start if data else (size // 3) // BLOCK_SIZE * BLOCK_SIZE
        if where == "unaligned":
            base += BLOCK_SIZE // 2 + 512
        return min(base, size - length)

    def _expect_image(
        self,
        text: str,
        path: str | os.PathLike[str],
        expected: Content,
        differs: Callable[[ImageDifference], str],
    ) -> None:
        """The image the client call `text` gave equals `expected`; `differs` words how not."""
        try:
            difference = image_difference(path, expected)
        except UnreadableImage as error:
            self._expect(False, f"{text} gave no readable image: {error}")
            return
        if difference is not None:
            self._expect(False, differs(difference))

    def _disk_difference(self, disk_id: str) -> str | None:
        """How the fake's disk differs from what the guest wrote (the shadow), or None."""
        with self.fake.lock:
            actual = self.fake.engine.state.disks[disk_id].content.freeze()
        return content_difference(actual, self.shadow[disk_id])


def _pattern(number: int, length: int) -> bytes:
    """Recognisable guest data: `guest write N ` repeated."""
    unit = f"guest write {number} ".encode()
    return (unit * (length // len(unit) + 1))[:length]


def content_difference(actual: Content, expected: Content) -> str | None:
    """None when two contents read the same, else where they first differ. Only their data
    extents are read, so the cost follows the data written, not the disks' size."""
    if actual.size != expected.size:
        return f"the size is {actual.size}, not {expected.size}"
    ranges = sorted(
        (e.start, e.start + e.length)
        for content in (actual, expected)
        for e in content.zero_extents()
        if not e.zero
    )
    checked = 0
    for start, end in ranges:
        for offset in range(max(start, checked), end, _CHUNK):
            length = min(_CHUNK, end - offset)
            if actual.read(offset, length) != expected.read(offset, length):
                return f"the bytes at offset {offset} ({length} bytes from there) differ"
        checked = max(checked, end)
    return None
