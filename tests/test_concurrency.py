"""Many clients at once, each a real SDK connection: the engine's state stays consistent."""

from __future__ import annotations

import ssl
import threading
import urllib.request

import ovirtsdk4 as sdk
import ovirtsdk4.types as types

from fakeovirt import FakeOvirt
from tests import sdkflow

VMS = ("vm-up", "vm-mixed", "vm-down", "vm-nofreeze")
ROUNDS = 3


def backup_rounds(fake: FakeOvirt, vm_name: str, failures: list[BaseException]) -> None:
    try:
        connection = sdk.Connection(**fake.connection_kwargs())
        context = ssl.create_default_context(cafile=fake.ca_file)
        vm_id = fake.vm(vm_name).id
        disks = [types.Disk(id=d.id) for d in sdkflow.vm_disks(connection, vm_id)]
        checkpoint = None
        for _ in range(ROUNDS):
            backup = sdkflow.start_backup(connection, vm_id, disks, from_checkpoint_id=checkpoint)
            transfer = sdkflow.create_transfer(
                connection, disks[0].id, types.ImageTransferDirection.DOWNLOAD, backup_id=backup.id
            )
            request = urllib.request.Request(
                transfer.transfer_url, headers={"Range": "bytes=0-65535"}
            )
            with urllib.request.urlopen(request, context=context) as response:
                assert len(response.read()) == 65536
            sdkflow.finalize_transfer(connection, transfer)
            finished = sdkflow.finalize_backup(connection, backup)
            assert finished.phase == types.BackupPhase.SUCCEEDED, finished.phase
            checkpoint = finished.to_checkpoint_id
        connection.close()
    except BaseException as error:  # reported by the test thread
        failures.append(error)


def reader(fake: FakeOvirt, stop: threading.Event, failures: list[BaseException]) -> None:
    try:
        connection = sdk.Connection(**fake.connection_kwargs())
        system = connection.system_service()
        while not stop.is_set():
            assert len(system.vms_service().list()) == 5
            system.events_service().list(max=10)
            system.image_transfers_service().list()
        connection.close()
    except BaseException as error:
        failures.append(error)


def test_parallel_backup_flows_and_readers_leave_a_consistent_engine(fake: FakeOvirt) -> None:
    failures: list[BaseException] = []
    stop = threading.Event()
    workers = [threading.Thread(target=backup_rounds, args=(fake, vm, failures)) for vm in VMS]
    readers = [threading.Thread(target=reader, args=(fake, stop, failures)) for _ in range(2)]
    for thread in workers + readers:
        thread.start()
    for thread in workers:
        thread.join(timeout=120)
    stop.set()
    for thread in readers:
        thread.join(timeout=60)
    assert not failures, failures[0]
    assert fake.errors == []
    state = fake.engine.state
    for name in VMS:
        vm = fake.vm(name)
        chain = state.chain(vm.id)
        assert len(chain) == ROUNDS
        assert [c.parent_id for c in chain] == [None] + [c.id for c in chain[:-1]]
        assert state.unfinished_backup(vm.id) is None
    assert all(d.status == "ok" for d in state.disks.values())
    indexes = [e.index for e in state.events.newest_first()]
    assert indexes == sorted(indexes, reverse=True) and len(set(indexes)) == len(indexes)


def test_an_app_over_a_bare_engine_gets_a_real_lock() -> None:
    from contextlib import nullcontext

    from fakeovirt import Engine
    from fakeovirt.web.app import FakeOvirtApp

    engine = Engine()
    assert isinstance(engine.lock, nullcontext)
    app = FakeOvirtApp(engine)
    assert not isinstance(app.engine.lock, nullcontext)
    with app.engine.lock, app.engine.lock:  # reentrant: the imageio resolver runs under it
        pass
