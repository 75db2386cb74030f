"""The SDK's snapshot examples, unmodified, against a served fake of
`docs/examples/sdk-examples.toml` (VM `myvm`, disk `mydisk`, domain `mydata`).

`add_vm_snapshot.py`, `list_vm_snapshots.py` and `clone_vm_from_snapshot.py` hard-code
`https://engine40.example.com`, `admin@internal` / `redhat123` and `ca.pem`: they reach the
fake through a TLS-terminating proxy (`tests/connect_proxy.py`). `list_disk_snapshots.py`
and `download_disk_snapshot.py` take `-c <config>` (`helpers/common.py`) and the real imageio
client (`tests/sdkexamples.py`). `add_vm_snapshot.py` and `vm_backup.py` run as processes of
their own, the others inside the test process (tests/inprocess.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import ovirtsdk4 as sdk
import ovirtsdk4.types as types
import pytest

from fakeovirt import FakeOvirt, Scenario, TransitionPolicy
from tests import sdkflow
from tests.qemutools import require_qemu
from tests.sdkexamples import (
    ENGINE40_USERS,
    as_engine40,
    examples_dir,
    run_example,
    run_hardcoded,
    run_hardcoded_process,
)
from tests.volumefiles import qemu_img

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = Scenario.load(ROOT / "docs" / "examples" / "sdk-examples.toml")
MIB = 1024 * 1024


@pytest.fixture(scope="module")
def examples() -> Path:
    return examples_dir()


@pytest.fixture
def engine40(tmp_path: Path) -> Iterator[tuple[FakeOvirt, Path, str]]:
    """The fake as `https://engine40.example.com`: (fake, working directory, proxy url)."""
    with as_engine40(FakeOvirt(SCENARIO, users=ENGINE40_USERS, strict=True), tmp_path) as served:
        yield served


@pytest.fixture
def served(tmp_path: Path) -> Iterator[FakeOvirt]:
    fake = FakeOvirt(SCENARIO, users=ENGINE40_USERS, strict=True)
    with fake:
        yield fake


def test_add_vm_snapshot_takes_a_snapshot_of_myvm(
    examples: Path, engine40: tuple[FakeOvirt, Path, str]
) -> None:
    fake = engine40[0]
    run_hardcoded(examples, engine40, "add_vm_snapshot.py")
    taken = [s for s in fake.snapshots("myvm") if s.type == "regular"]
    assert [(s.description, s.status, s.memory) for s in taken] == [("My snapshot", "ok", True)]
    assert taken[0].disk_ids == [fake.disk("mydisk").id]


def test_list_vm_snapshots_prints_each_snapshots_disks_and_domain(
    examples: Path, engine40: tuple[FakeOvirt, Path, str]
) -> None:
    fake = engine40[0]
    fake.snapshot("myvm", "nightly")
    printed = run_hardcoded(
        examples, engine40, "list_vm_snapshots.py", in_process=True
    ).splitlines()
    assert printed == ["myvm:nightly:mydisk:mydata"]  # "Active VM" has no configuration


def test_list_disk_snapshots_rebuilds_the_chain_from_the_parents(
    examples: Path, served: FakeOvirt, tmp_path: Path
) -> None:
    fake = served
    first = fake.snapshot("myvm", "first")
    fake.guest_write("mydisk", 0, b"changed")
    second = fake.snapshot("myvm", "second")
    disk = fake.disk("mydisk")
    done = run_example(examples, "list_disk_snapshots.py", fake, tmp_path, disk.id, in_process=True)
    assert done.returncode == 0, done.stderr
    chain = json.loads(done.stdout)
    assert [c["id"] for c in chain] == [
        first.images[disk.id],
        second.images[disk.id],
        disk.image_id,
    ]
    assert [c["parent"] for c in chain] == [None, first.images[disk.id], second.images[disk.id]]
    assert {c["status"] for c in chain} == {"ok"}
    assert {c["format"] for c in chain} == {"cow"}


def test_download_disk_snapshot_gets_the_disk_as_it_was(
    examples: Path, served: FakeOvirt, tmp_path: Path
) -> None:
    """The example polls its transfer each second; a per-read policy keeps that to a read."""
    require_qemu()
    fake = served
    fake.policy = TransitionPolicy.after_reads(0)
    fake.guest_write("mydisk", 3 * MIB, b"at snapshot time")
    snapshot = fake.snapshot("myvm", "for download")
    fake.guest_write("mydisk", 3 * MIB, b"written later!!!")
    disk = fake.disk("mydisk")
    image = snapshot.images[disk.id]
    target = tmp_path / "snapshot.qcow2"
    done = run_example(
        examples, "download_disk_snapshot.py", fake, tmp_path, "mydata", image, str(target),
        in_process=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    expected = tmp_path / "expected.raw"
    sdkflow.write_raw(disk.volumes.volume(image).guest, expected)
    compared = qemu_img("compare", "-F", "raw", str(target), str(expected))
    assert compared.returncode == 0, compared.stdout + compared.stderr
    assert disk.status == "ok" and disk.volume_state(image) == "ok"  # finalized
    assert fake.errors == []


def test_clone_vm_from_snapshot_makes_myclonedvm_of_mysnap(
    examples: Path, engine40: tuple[FakeOvirt, Path, str]
) -> None:
    """The example polls every 5 s until the clone is `down`: a per-read policy shows it
    `image_locked` to the POST's reply and moves it on the first poll."""
    fake = engine40[0]
    fake.guest_write("mydisk", 0, b"in mysnap")
    assert fake.snapshot("myvm", "mysnap").status == "ok"  # the immediate policy
    fake.guest_write("mydisk", 0, b"later....")
    fake.policy = TransitionPolicy.after_reads(1)
    run_hardcoded(examples, engine40, "clone_vm_from_snapshot.py", in_process=True)
    assert fake.journal.requests("POST /vms")[-1].status == 202  # image_locked at first
    clone = fake.vm("myclonedvm")
    assert clone.status.value == "down"
    assert clone.cluster_id == fake.vm("myvm").cluster_id
    copy = fake.disk("mydisk_myclonedvm")
    assert copy.status == "ok" and copy.content.read(0, 9) == b"in mysnap"
    assert [e.code for e in fake.events()][-2:] == [37, 53]


def test_vm_backup_fails_on_python3_before_its_snapshot(
    examples: Path, engine40: tuple[FakeOvirt, Path, str]
) -> None:
    """`vm_backup.py` writes `ovf_data.encode('utf-8')` to a file opened with `'w'` (its
    lines 139-140): a TypeError on Python 3 on any engine, after its first event and before
    its snapshot (line 149), so its attachments are never reached unmodified. Its calls are
    made one by one in the next test."""
    fake = engine40[0]
    done = run_hardcoded_process(examples, engine40, "vm_backup.py")
    assert done.returncode == 1
    assert 'vm_backup.py", line 140' in done.stderr
    assert "TypeError: write() argument must be str, not bytes" in done.stderr
    assert [s.type for s in fake.snapshots("myvm")] == ["active"]
    started = [e.description for e in fake.events() if e.origin == "mybackup"]
    assert len(started) == 1 and started[0].endswith("is starting.")
    assert fake.errors == []


def test_vm_backups_calls_attach_myvms_snapshot_disks_to_myagent(served: FakeOvirt) -> None:
    """`vm_backup.py` lines 84-257, call for call with the SDK (the OVF written as text):
    the snapshot's disks attached to `myagent` as of the snapshot, detached, the snapshot
    removed (`AttachDiskToVmCommand.java:89-119`, `RemoveSnapshotCommand.java:403`)."""
    fake = served
    connection = sdk.Connection(**fake.connection_kwargs())  # type: ignore[arg-type]
    try:
        vms_service = connection.system_service().vms_service()
        events_service = connection.system_service().events_service()
        data_vm = vms_service.list(search="name=myvm", all_content=True)[0]
        agent_vm = vms_service.list(search="name=myagent")[0]
        data_vm_service = vms_service.vm_service(data_vm.id)
        agent_vm_service = vms_service.vm_service(agent_vm.id)
        description = "myvm-backup-1"
        events_service.add(
            event=types.Event(
                vm=types.Vm(id=data_vm.id),
                origin="mybackup",
                severity=types.LogSeverity.NORMAL,
                custom_id=1,
                description=f"Backup of virtual machine 'myvm' using snapshot "
                f"'{description}' is starting.",
            )
        )
        assert data_vm.initialization.configuration.data.startswith("<?xml")
        snaps_service = data_vm_service.snapshots_service()
        snap = snaps_service.add(
            snapshot=types.Snapshot(description=description, persist_memorystate=False)
        )
        snap_service = snaps_service.snapshot_service(snap.id)
        while snap.snapshot_status != types.SnapshotStatus.OK:
            snap = snap_service.get()
        snap_disks = snap_service.disks_service().list()
        assert [d.alias for d in snap_disks] == ["mydisk"]
        attachments_service = agent_vm_service.disk_attachments_service()
        attachments = []
        for snap_disk in snap_disks:
            attachment = attachments_service.add(
                attachment=types.DiskAttachment(
                    disk=types.Disk(id=snap_disk.id, snapshot=types.Snapshot(id=snap.id)),
                    active=True,
                    bootable=False,
                    interface=types.DiskInterface.VIRTIO,
                ),
            )
            attachments.append(attachment)
        assert [a.disk.id for a in attachments] == [fake.disk("mydisk").id]
        assert all(a.logical_name is None for a in attachments)  # no guest agent here
        agent = fake.vm("myagent")
        assert [(a.disk_id, a.snapshot_id, a.active) for a in agent.snapshot_attachments] == [
            (fake.disk("mydisk").id, snap.id, True)
        ]
        for attachment in attachments:
            attachments_service.attachment_service(attachment.id).remove()
        snap_service.remove()
        events_service.add(
            event=types.Event(
                vm=types.Vm(id=data_vm.id),
                origin="mybackup",
                severity=types.LogSeverity.NORMAL,
                custom_id=2,
                description=f"Backup of virtual machine 'myvm' using snapshot "
                f"'{description}' is completed.",
            )
        )
    finally:
        connection.close()
    assert fake.vm("myagent").snapshot_attachments == []
    assert [s.type for s in fake.snapshots("myvm")] == ["active"]
    assert fake.errors == []
