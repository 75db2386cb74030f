"""Twelve real SDK clients race for backups and read the bytes through imageio at once.

Three clients per VM, four VMs, two rounds. In each round the three clients of a VM start a
backup at the same moment: exactly one wins, the others get the engine's 409. The winner
downloads every disk with the real `ovirt_imageio.client` (checked with `qemu-img compare`)
while the losers read ranges of the same image and poll the API; nobody ever gets a 5xx,
and every byte read is the backup's.
"""

from __future__ import annotations

import random
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import ovirtsdk4 as sdk
import ovirtsdk4.types as types
from ovirt_imageio import client

from fakeovirt import FakeOvirt, TransitionPolicy
from fakeovirt.core.content import ContentView
from tests import sdkflow

from .qemutools import require_qemu
from .servertools import MiB, pattern
from .test_imageio import same_image, write_raw

VMS = ("vm-up", "vm-down", "vm-mixed", "vm-nofreeze")
PER_VM = 3
ROUNDS = 2
WAIT = 120.0  # seconds a client waits for the others at a step before giving up


@dataclass
class Race:
    """What the clients of one VM share."""

    vm: str
    step: threading.Barrier = field(default_factory=lambda: threading.Barrier(PER_VM, timeout=WAIT))
    outcomes: dict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    published: dict[int, tuple[str, ContentView]] = field(default_factory=dict)
    ready: dict[int, threading.Event] = field(default_factory=lambda: defaultdict(threading.Event))
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass
class Run:
    fake: FakeOvirt
    workdir: Path
    failures: list[BaseException] = field(default_factory=list)
    ranges_checked: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def backup_disks(connection: sdk.Connection, vm_id: str) -> list[types.Disk]:
    disks = sdkflow.vm_disks(connection, vm_id)
    return [d for d in disks if d.backup == types.DiskBackup.INCREMENTAL]


def racer(run: Run, race: Race, number: int) -> None:
    fake = run.fake
    try:
        connection = sdk.Connection(**fake.connection_kwargs())
        vm_id = fake.vm(race.vm).id
        disks = backup_disks(connection, vm_id)
        service = sdkflow.backups_service(connection, vm_id)
        for round_ in range(ROUNDS):
            race.step.wait()  # everyone at the start line
            try:
                backup = service.add(types.Backup(disks=[types.Disk(id=d.id) for d in disks]))
                status = 201
            except sdk.Error as error:
                backup, status = None, error.code
            with race.lock:
                race.outcomes[round_].append(status)
            race.step.wait()  # the race is decided
            if backup is not None:
                transfers = win(run, race, round_, connection, vm_id, backup, disks)
            else:
                lose(run, race, round_, connection, service)
            race.step.wait()  # the losers are done reading
            if backup is not None:
                for transfer in transfers:
                    sdkflow.finalize_transfer(connection, transfer)
                finished = sdkflow.finalize_backup(connection, backup)
                assert finished.phase == types.BackupPhase.SUCCEEDED, finished.phase
                fake.guest_write(disks[0].id, (round_ + 1) * MiB, pattern(number, 64 * 1024))
            race.step.wait()  # the round is over
        connection.close()
    except BaseException as error:  # reported by the test thread
        race.step.abort()
        with run.lock:
            run.failures.append(error)


def win(
    run: Run,
    race: Race,
    round_: int,
    connection: sdk.Connection,
    vm_id: str,
    backup: types.Backup,
    disks: list[types.Disk],
) -> list[types.ImageTransfer]:
    """Start a download per disk, let the others read the first, download and check all."""
    service = sdkflow.backups_service(connection, vm_id).backup_service(backup.id)
    while backup.phase != types.BackupPhase.READY:  # the immediate policy: one read per phase
        assert backup.phase != types.BackupPhase.FAILED
        backup = service.get()
    fake = run.fake
    transfers = [
        sdkflow.create_transfer(
            connection, d.id, types.ImageTransferDirection.DOWNLOAD, backup_id=backup.id
        )
        for d in disks
    ]
    with fake.lock:
        views = fake.engine.backup(vm_id, backup.id).views
        expected = {d.id: views[d.id] for d in disks}
    race.published[round_] = (str(transfers[0].transfer_url), expected[disks[0].id])
    race.ready[round_].set()
    for disk, transfer in zip(disks, transfers, strict=True):
        image = run.workdir / f"{race.vm}-{round_}-{disk.alias}.qcow2"
        client.download(str(transfer.transfer_url), str(image), fake.ca_file)
        raw = write_raw(expected[disk.id], image.with_suffix(".raw"))
        assert same_image(image, raw), f"{image.name} differs from the backup"
    return transfers


def lose(
    run: Run, race: Race, round_: int, connection: sdk.Connection, service: sdk.Service
) -> None:
    """Read ranges of the winner's image and poll the API while it downloads."""
    assert race.ready[round_].wait(WAIT)
    url, view = race.published[round_]
    reader = client.ImageioClient(url, cafile=run.fake.ca_file)
    rng = random.Random(round_)
    try:
        for _ in range(4):
            offset = rng.randrange(0, 64 * MiB, 4096)
            buffer = bytearray(rng.choice((4096, 256 * 1024, MiB)))
            reader.read(offset, buffer)
            assert bytes(buffer) == view.read(offset, len(buffer))
            with run.lock:
                run.ranges_checked += 1
            assert [b.phase for b in service.list()].count(types.BackupPhase.READY) == 1
            connection.system_service().vms_service().list()
    finally:
        reader.close()


def test_twelve_clients_racing_for_backups_get_one_winner_each_no_5xx_and_every_byte(
    tmp_path: Path,
) -> None:
    require_qemu()
    with FakeOvirt(policy=TransitionPolicy.immediate(), strict=True) as fake:
        run = Run(fake, tmp_path)
        races = [Race(vm) for vm in VMS]
        threads = [
            threading.Thread(target=racer, args=(run, race, n), name=f"{race.vm}-{n}")
            for race in races
            for n in range(PER_VM)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not run.failures, run.failures
        for race in races:
            for round_ in range(ROUNDS):
                assert sorted(race.outcomes[round_]) == [201, 409, 409], (race.vm, round_)
        assert run.ranges_checked == len(VMS) * (PER_VM - 1) * ROUNDS * 4
        assert [e.line() for e in fake.journal.entries if e.status >= 500] == []
        assert fake.errors == []
