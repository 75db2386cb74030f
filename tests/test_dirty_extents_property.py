"""Through the engine and the data endpoint: dirty extents name exactly the written blocks."""

from __future__ import annotations

import base64
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fakeovirt import BackupRequest, FakeOvirt, TransferRequest, TransitionPolicy
from fakeovirt.core.content import BLOCK_SIZE

DISK_BLOCKS = 64
AUTH = {"Authorization": "Basic " + base64.b64encode(b"admin@internal:fakeovirt").decode()}
FAKE = FakeOvirt(policy=TransitionPolicy.immediate())

writes = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=DISK_BLOCKS * BLOCK_SIZE - 1),
        st.integers(min_value=1, max_value=3 * BLOCK_SIZE),
    ),
    max_size=12,
)


def dirty_blocks_reported(fake: FakeOvirt, disk_id: str, vm_id: str, checkpoint: str) -> set[int]:
    engine = fake.engine
    backup = engine.start_backup(
        vm_id, BackupRequest(disk_ids=(disk_id,), from_checkpoint_id=checkpoint)
    )
    transfer = engine.start_transfer(
        TransferRequest(disk_id=disk_id, backup_id=backup.id, direction="download", format="raw")
    )
    response = fake.client().get(f"/images/{transfer.ticket}/extents?context=dirty", headers=AUTH)
    assert response.status_code == 200
    extents = json.loads(response.get_data())
    assert extents[0]["start"] == 0
    assert sum(e["length"] for e in extents) == engine.disk(disk_id).content.size
    blocks: set[int] = set()
    for extent in extents:
        assert extent["start"] % BLOCK_SIZE == 0 and extent["length"] % BLOCK_SIZE == 0
        if extent["dirty"]:
            first = extent["start"] // BLOCK_SIZE
            blocks.update(range(first, first + extent["length"] // BLOCK_SIZE))
    return blocks


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(writes=writes)
def test_dirty_extents_of_an_incremental_backup_are_exactly_the_written_blocks(
    writes: list[tuple[int, int]],
) -> None:
    FAKE.reset()
    vm = FAKE.vm("vm-up")
    disk = FAKE.disk("vm-up-disk1")
    engine = FAKE.engine
    full = engine.start_backup(vm.id, BackupRequest(disk_ids=(disk.id,)))
    engine.finalize_backup(vm.id, full.id)
    assert full.to_checkpoint_id is not None
    size = disk.content.size
    expected: set[int] = set()
    for offset, length in writes:
        length = min(length, size - offset)
        FAKE.guest_write(disk.id, offset, b"\x5a" * length)
        expected.update(range(offset // BLOCK_SIZE, (offset + length - 1) // BLOCK_SIZE + 1))
    assert dirty_blocks_reported(FAKE, disk.id, vm.id, full.to_checkpoint_id) == expected
