"""Property: however snapshots are taken and removed between guest writes, every snapshot
still there reads as the disk did when it was taken, and the guest reads what it wrote.

A random sequence of writes, zeroes, snapshots (of some disks or all) and removals of any
snapshot (oldest, middle or newest) drives the engine; a plain model keeps the bytes each
snapshot and the guest should read (snapshots-disks-vms.md §2.2 step 2, §2.4; the engine's
backward merge, `RemoveSnapshotSingleDiskCommandBase.handleBackwardMerge`).
"""

from __future__ import annotations

from itertools import pairwise

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, consumes, invariant, rule

from fakeovirt import DiskSpec, Engine, Scenario, VmSpec
from fakeovirt.core.content import BLOCK_SIZE
from fakeovirt.core.snapshots import SnapshotRequest

SIZE = 8 * BLOCK_SIZE
ALIASES = ("d1", "d2")
SCENARIO = Scenario(
    name="property",
    vms=(VmSpec("vm", "down", disks=tuple(DiskSpec(a, SIZE, seeded_blocks=0) for a in ALIASES)),),
)

offsets = st.integers(min_value=0, max_value=SIZE - 1)


class SnapshotMachine(RuleBasedStateMachine):
    snapshots = Bundle("snapshots")

    def __init__(self) -> None:
        super().__init__()
        self.engine = Engine(SCENARIO)
        self.vm = self.engine.vm_by_name("vm")
        self.disks = {a: self.engine.disk_by_alias(a) for a in ALIASES}
        self.guest = {a: bytearray(SIZE) for a in ALIASES}
        self.expected: dict[str, dict[str, bytes]] = {}  # snapshot -> disk id -> bytes

    @rule(
        alias=st.sampled_from(ALIASES),
        offset=offsets,
        data=st.binary(min_size=1, max_size=3 * BLOCK_SIZE),
    )
    def write(self, alias: str, offset: int, data: bytes) -> None:
        data = data[: SIZE - offset]
        self.engine.guest_write(self.disks[alias].id, offset, data)
        self.guest[alias][offset : offset + len(data)] = data

    @rule(alias=st.sampled_from(ALIASES), offset=offsets, length=st.integers(1, 4 * BLOCK_SIZE))
    def zero(self, alias: str, offset: int, length: int) -> None:
        length = min(length, SIZE - offset)
        self.disks[alias].content.zero(offset, length)
        self.guest[alias][offset : offset + length] = bytes(length)

    @rule(target=snapshots, which=st.sets(st.sampled_from(ALIASES)) | st.none())
    def take(self, which: set[str] | None) -> str:
        disk_ids = None if which is None else tuple(self.disks[a].id for a in sorted(which))
        request = SnapshotRequest("property", False, disk_ids)
        snapshot = self.engine.create_snapshot(self.vm.id, request)
        assert snapshot.status == "ok"
        self.expected[snapshot.id] = {
            self.disks[a].id: bytes(self.guest[a])
            for a in ALIASES
            if self.disks[a].id in snapshot.images
        }
        return snapshot.id

    @rule(snapshot_id=consumes(snapshots))
    def remove(self, snapshot_id: str) -> None:
        self.engine.remove_snapshot(self.vm.id, snapshot_id)
        assert snapshot_id not in self.engine.state.snapshots
        del self.expected[snapshot_id]

    @invariant()
    def every_snapshot_reads_as_when_it_was_taken(self) -> None:
        for snapshot_id, disks in self.expected.items():
            snapshot = self.engine.state.snapshots[snapshot_id]
            for disk_id, data in disks.items():
                image = snapshot.images[disk_id]
                volume = self.engine.state.disks[disk_id].volumes.volume(image)
                assert volume.guest.read(0, SIZE) == data

    @invariant()
    def the_guest_reads_what_it_wrote(self) -> None:
        for alias, disk in self.disks.items():
            guest = self.guest[alias]  # bytes == bytearray compares the bytes, without a copy
            assert disk.content.read(0, SIZE) == guest
            active = disk.volumes.volume(disk.image_id)
            assert active.guest.read(0, SIZE) == guest

    @invariant()
    def the_chain_is_one_volume_per_snapshot_of_the_disk_plus_the_active_one(self) -> None:
        for disk in self.disks.values():
            held = [s for s in self.expected if disk.id in self.expected[s]]
            assert len(disk.volumes) == len(held) + 1
            layers = disk.volumes.volumes()
            for parent, child in pairwise(layers):
                assert child.parent_id == parent.image_id


SnapshotMachine.TestCase.settings = settings(
    max_examples=60,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_snapshot_sequences_never_change_what_remains = SnapshotMachine.TestCase
