"""VM snapshots through the real SDK: create, list, get, disks, remove, events and jobs.

Engine sources: `BLL/snapshots/CreateSnapshotForVmCommand.java` (effects 150-164, 597-612,
717-731; status 436-480), `RemoveSnapshotCommand.java` (146-190, 284-295, 322-369),
`REST/BackendSnapshotsResource.java` (65-94, 112-188), `REST/BackendSnapshotResource.java`
(40-55, 141-145), `REST/BackendSnapshotDisksResource.java`; snapshots-disks-vms.md §2.
The refusals, each with its text and status, are in `test_snapshot_validation.py`.
"""

from __future__ import annotations

from typing import Any

import ovirtsdk4 as sdk
import ovirtsdk4.types as types
import pytest

from fakeovirt import FakeOvirt, TransitionPolicy
from fakeovirt.core.clock import ManualClock

S = types.SnapshotStatus


def snapshots_service(connection: sdk.Connection, fake: FakeOvirt, vm: str) -> Any:
    vms = connection.system_service().vms_service()
    return vms.vm_service(fake.vm(vm).id).snapshots_service()


def take(
    connection: sdk.Connection, fake: FakeOvirt, vm: str = "vm-up", **kwargs: Any
) -> types.Snapshot:
    kwargs.setdefault("description", "my snapshot")
    return snapshots_service(connection, fake, vm).add(types.Snapshot(**kwargs))


def only(fake: FakeOvirt, *aliases: str) -> list[types.DiskAttachment]:
    return [types.DiskAttachment(disk=types.Disk(id=fake.disk(a).id)) for a in aliases]


# -- the list -------------------------------------------------------------------------------------
def test_every_vm_lists_its_active_vm_snapshot_without_a_vm_or_links(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """SnapshotsManager.java:215; the Active VM stores no configuration, so
    `addVmConfiguration` drops its `<vm>` and links (BackendSnapshotsResource.java:138-147)."""
    (active,) = snapshots_service(connection, fake, "vm-up").list()
    assert (active.description, active.snapshot_type, active.snapshot_status) == (
        "Active VM",
        types.SnapshotType.ACTIVE,
        S.OK,
    )
    assert active.vm is None
    assert active.disks is None


def test_the_snapshots_of_an_unknown_vm_are_an_empty_list(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """The sub-resource does not look the VM up; GetAllVmSnapshotsByVmId finds nothing."""
    vms = connection.system_service().vms_service()
    assert vms.vm_service("no-such-vm").snapshots_service().list() == []


# -- create ---------------------------------------------------------------------------------------
def test_a_new_snapshot_is_locked_in_the_reply_and_ok_on_the_next_read(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    fake.engine.policy = TransitionPolicy.after_reads(1)
    snapshot = take(connection, fake)
    service = snapshots_service(connection, fake, "vm-up").snapshot_service(snapshot.id)
    assert snapshot.snapshot_status == S.LOCKED
    assert service.get().snapshot_status == S.OK
    (post,) = fake.journal.requests("POST /vms/*/snapshots")
    assert post.status == 202  # the engine leaves VDSM tasks: 202 Accepted


def test_under_a_timed_policy_the_snapshot_is_ok_after_its_seconds(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    fake.engine.policy = TransitionPolicy.after_seconds(5)
    snapshot = take(connection, fake)
    service = snapshots_service(connection, fake, "vm-up").snapshot_service(snapshot.id)
    fake.advance(4)
    assert service.get().snapshot_status == S.LOCKED
    fake.advance(1)
    assert service.get().snapshot_status == S.OK
    assert fake.disk("vm-up-disk1").status == "ok"


def test_the_disks_are_locked_while_the_snapshot_is(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    fake.engine.policy = TransitionPolicy.after_seconds(5)
    take(connection, fake, disk_attachments=only(fake, "vm-up-disk1"))
    disks = connection.system_service().disks_service()
    status = {
        a: disks.disk_service(fake.disk(a).id).get().status for a in ("vm-up-disk1", "vm-up-disk2")
    }
    assert status == {"vm-up-disk1": types.DiskStatus.LOCKED, "vm-up-disk2": types.DiskStatus.OK}


def test_under_the_immediate_policy_the_reply_is_already_ok(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    snapshot = take(connection, fake)
    assert snapshot.snapshot_status == S.OK
    assert fake.journal.requests("POST /vms/*/snapshots")[0].status == 201


def test_the_new_snapshot_takes_the_active_snapshots_id(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """`updateActiveSnapshotId` (CreateSnapshotForVmCommand.java:717-731)."""
    service = snapshots_service(connection, fake, "vm-up")
    (before,) = service.list()
    snapshot = take(connection, fake)
    listed = {s.id: s.snapshot_type for s in service.list()}
    assert snapshot.id == before.id
    assert listed[before.id] == types.SnapshotType.REGULAR
    assert list(listed.values()).count(types.SnapshotType.ACTIVE) == 1


def test_the_snapshot_keeps_the_disks_volume_and_the_disk_gets_a_new_cow_one(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """CreateSnapshotCommand.java:93-110: the old volume keeps its image id, the new active
    one is cow and sparse; the snapshot's disk shows the old one (snapshots-disks-vms.md §2.3)."""
    old_image = fake.disk("vm-mixed-raw").image_id
    snapshot = take(connection, fake, "vm-mixed", disk_attachments=only(fake, "vm-mixed-raw"))
    disks = snapshots_service(connection, fake, "vm-mixed").snapshot_service(snapshot.id)
    (disk,) = disks.disks_service().list()
    assert (disk.alias, disk.image_id, disk.format) == (
        "vm-mixed-raw",
        old_image,
        types.DiskFormat.RAW,
    )
    assert disk.snapshot.id == snapshot.id
    assert disk.storage_domains[0].id == fake.disk("vm-mixed-raw").storage_domain_id
    base, active = fake.volumes("vm-mixed-raw")
    assert (base.image_id, active.parent_id) == (old_image, old_image)
    assert fake.disk("vm-mixed-raw").image_id == active.image_id
    assert fake.disk("vm-mixed-raw").volume_format(active.image_id) == "cow"


def test_without_disk_attachments_every_disk_is_in_the_snapshot(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    snapshot = take(connection, fake)
    service = snapshots_service(connection, fake, "vm-up").snapshot_service(snapshot.id)
    assert sorted(d.alias for d in service.disks_service().list()) == ["vm-up-disk1", "vm-up-disk2"]
    assert [len(fake.volumes(a)) for a in ("vm-up-disk1", "vm-up-disk2")] == [2, 2]


def test_disk_attachments_choose_the_disks(fake: FakeOvirt, connection: sdk.Connection) -> None:
    snapshot = take(connection, fake, disk_attachments=only(fake, "vm-up-disk2"))
    service = snapshots_service(connection, fake, "vm-up").snapshot_service(snapshot.id)
    assert [d.alias for d in service.disks_service().list()] == ["vm-up-disk2"]
    assert [len(fake.volumes(a)) for a in ("vm-up-disk1", "vm-up-disk2")] == [1, 2]


def test_an_attachment_without_a_disk_is_dropped_leaving_a_configuration_only_snapshot(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """What the Bareos plugin sends when every disk is excluded (BAREOS:1112-1146);
    BackendSnapshotsResource.mapDisks filters attachments without a disk."""
    snapshot = take(connection, fake, disk_attachments=[types.DiskAttachment()])
    service = snapshots_service(connection, fake, "vm-up").snapshot_service(snapshot.id)
    assert service.disks_service().list() == []
    assert [len(fake.volumes(a)) for a in ("vm-up-disk1", "vm-up-disk2")] == [1, 1]


def test_a_disk_may_choose_its_new_volumes_image_id(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    chosen = "5a5a5a5a-0000-4000-8000-000000000001"
    attachment = types.DiskAttachment(
        disk=types.Disk(id=fake.disk("vm-up-disk1").id, image_id=chosen)
    )
    take(connection, fake, disk_attachments=[attachment])
    assert fake.disk("vm-up-disk1").image_id == chosen


@pytest.mark.parametrize(
    ("vm", "asked", "saved"),
    [
        ("vm-up", None, True),  # the engine's default is true (CreateSnapshotForVmParameters:85)
        ("vm-up", False, False),
        ("vm-paused", True, True),
        ("vm-down", True, False),  # memory is saved only by a live snapshot (lines 703-716)
    ],
)
def test_memory_is_saved_only_by_a_live_snapshot(
    fake: FakeOvirt, connection: sdk.Connection, vm: str, asked: bool | None, saved: bool
) -> None:
    snapshot = take(connection, fake, vm, persist_memorystate=asked)
    assert snapshot.persist_memorystate is saved


def test_the_snapshot_shows_the_vm_as_it_was_when_taken(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    snapshot = take(connection, fake)
    with fake.lock:
        fake.vm("vm-up").memory = 4 << 30
    got = snapshots_service(connection, fake, "vm-up").snapshot_service(snapshot.id).get()
    assert (got.vm.id, got.vm.name, got.vm.memory) == (fake.vm("vm-up").id, "vm-up", 1 << 30)


def test_a_snapshot_is_found_by_id_whatever_the_vm_in_the_url(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """GetSnapshotBySnapshotIdQuery does not look at the VM (BackendSnapshotResource.java:49-55)."""
    snapshot = take(connection, fake)
    other = snapshots_service(connection, fake, "vm-down").snapshot_service(snapshot.id).get()
    assert (other.id, other.vm.id) == (snapshot.id, fake.vm("vm-up").id)


def test_an_unknown_snapshot_is_404(fake: FakeOvirt, connection: sdk.Connection) -> None:
    with pytest.raises(sdk.NotFoundError):
        snapshots_service(connection, fake, "vm-up").snapshot_service("nope").get()


def test_follow_disks_inlines_the_snapshots_disks(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    take(connection, fake, disk_attachments=only(fake, "vm-up-disk1"))
    listed = snapshots_service(connection, fake, "vm-up").list(follow="disks")
    regular = next(s for s in listed if s.snapshot_type == types.SnapshotType.REGULAR)
    assert [d.alias for d in regular.disks] == ["vm-up-disk1"]


def test_guest_writes_after_a_snapshot_leave_its_volume_as_it_was(fake: FakeOvirt) -> None:
    fake.guest_write("vm-up-disk1", 0, b"before")
    fake.snapshot("vm-up")
    fake.guest_write("vm-up-disk1", 0, b"after!")
    base, active = fake.volumes("vm-up-disk1")
    assert base.guest.read(0, 6) == b"before"
    assert active.guest.read(0, 6) == b"after!"
    assert fake.disk("vm-up-disk1").content.read(0, 6) == b"after!"


# -- remove ---------------------------------------------------------------------------------------
def test_a_removed_snapshot_is_locked_while_merging_then_gone(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    snapshot = take(connection, fake)
    fake.engine.policy = TransitionPolicy.after_reads(1)
    service = snapshots_service(connection, fake, "vm-up")
    service.snapshot_service(snapshot.id).remove()
    seen = [[(s.id, s.snapshot_status) for s in service.list()] for _ in range(2)]
    assert (snapshot.id, S.LOCKED) in seen[0]
    assert [s for s, _ in seen[1]] == [service.list()[0].id]
    (delete,) = fake.journal.requests("DELETE /vms/*/snapshots/*")
    assert delete.status == 200


def test_removing_a_snapshot_merges_it_and_the_guest_keeps_every_byte(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """RemoveSnapshotSingleDiskCommandBase.handleBackwardMerge: the snapshot's volume takes
    its child's place; its image id is the disk's again."""
    disk = fake.disk("vm-up-disk1")
    base_image = disk.image_id
    fake.guest_write("vm-up-disk1", 0, b"one")
    snapshot = take(connection, fake)
    fake.guest_write("vm-up-disk1", 1 << 20, b"two")
    before = disk.content.read(0, 2 << 20)
    snapshots_service(connection, fake, "vm-up").snapshot_service(snapshot.id).remove()
    assert [v.image_id for v in fake.volumes("vm-up-disk1")] == [base_image]
    assert disk.content.read(0, 2 << 20) == before
    assert fake.disk("vm-up-disk1").status == "ok"


def test_removing_a_middle_snapshot_keeps_the_later_snapshots_point_in_time(
    fake: FakeOvirt,
) -> None:
    fake.guest_write("vm-down-disk1", 0, b"A")
    first = fake.snapshot("vm-down", "first")
    fake.guest_write("vm-down-disk1", 0, b"B")
    second = fake.snapshot("vm-down", "second")
    fake.guest_write("vm-down-disk1", 0, b"C")
    fake.remove_snapshot("vm-down", first.id)
    (disk_id,) = second.images
    image = second.images[disk_id]
    assert image == first.images[disk_id]  # the merged volume took the child's place
    disk = fake.disk("vm-down-disk1")
    assert disk.volumes.volume(image).guest.read(0, 1) == b"B"
    assert disk.content.read(0, 1) == b"C"


def test_a_configuration_only_snapshot_is_removed_at_once(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """RemoveSnapshotCommand.java:158-164: no images and no memory, no merge."""
    snapshot = take(connection, fake, "vm-down", disk_attachments=[types.DiskAttachment()])
    fake.engine.policy = TransitionPolicy.after_reads(1)
    service = snapshots_service(connection, fake, "vm-down")
    service.snapshot_service(snapshot.id).remove()
    assert [s.description for s in service.list()] == ["Active VM"]


# -- events and jobs ------------------------------------------------------------------------------
def test_create_and_remove_log_the_engines_events(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """AuditLogMessages.properties:53,55,58,59 (45, 68, 342, 356)."""
    snapshot = take(connection, fake, description="nightly")
    snapshots_service(connection, fake, "vm-up").snapshot_service(snapshot.id).remove()
    events = [(e.code, e.description) for e in fake.events() if snapshot.id in e.subjects]
    user = fake.username
    assert events == [
        (45, f"Snapshot 'nightly' creation for VM 'vm-up' was initiated by {user}."),
        (68, "Snapshot 'nightly' creation for VM 'vm-up' has been completed."),
        (342, f"Snapshot 'nightly' deletion for VM 'vm-up' was initiated by {user}."),
        (356, "Snapshot 'nightly' deletion for VM 'vm-up' has been completed."),
    ]


def test_create_and_remove_are_jobs_that_end_with_the_status(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """ExecutionMessages.properties:61,97."""
    fake.engine.policy = TransitionPolicy.after_seconds(3)
    snapshot = take(connection, fake, description="nightly")
    jobs = connection.system_service().jobs_service()
    (job,) = [j for j in jobs.list() if "Snapshot" in j.description]
    assert (job.description, job.status) == (
        "Creating VM Snapshot nightly for VM vm-up",
        types.JobStatus.STARTED,
    )
    fake.advance(3)
    assert jobs.job_service(job.id).get().status == types.JobStatus.FINISHED
    snapshots_service(connection, fake, "vm-up").snapshot_service(snapshot.id).remove()
    removing = [j for j in jobs.list() if j.description.startswith("Removing Snapshot")]
    assert [j.description for j in removing] == ["Removing Snapshot nightly of VM vm-up"]


def test_the_engine_clock_alone_ends_a_timed_snapshot(fake: FakeOvirt) -> None:
    """The schedule runs `("snapshot", id)` when its seconds are up: no read needed."""
    fake.engine.policy = TransitionPolicy.after_seconds(2)
    snapshot = fake.snapshot("vm-up")
    clock = fake.clock
    assert isinstance(clock, ManualClock)
    fake.advance(2)
    assert snapshot.status == "ok"
    assert [e.code for e in fake.events()][-1] == 68
