"""Creating and removing VMs and their power actions through the real SDK.

Sources: REST `BackendVmsResource.add:181-271` (`validateParameters(vm, "cluster.id|name")`,
`"name"`, `"template.id|name"`, `getCluster`, `lookupTemplate`), `BackendVmResource.java:204-558`;
BLL `AddVmCommand.java:568-849, 1026-1045`, `AddVmFromScratchCommand.java`, `RemoveVmCommand.
java:219-321`, `RunVmCommand.java:1066-1163`, `validator/RunVmValidator.java:168-336`,
`StopVmCommandBase.java:67-93, 244-253`, `ShutdownVmCommand.java:34-95`, `ActionUtils.java`;
monitoring `vdsbroker/monitoring/VmAnalyzer.java:401-408`.
"""

from __future__ import annotations

import ovirtsdk4 as sdk
import ovirtsdk4.types as types
import pytest

from fakeovirt import FakeOvirt
from tests import sdkflow
from tests.restoretools import refused, unchanged

GiB = 1 << 30


def vms(connection: sdk.Connection) -> sdk.services.VmsService:
    return connection.system_service().vms_service()


def bareos_vm(name: str = "restored", **members: object) -> types.Vm:
    """The body the Bareos plugin posts to create a VM (BareosFdPluginOvirt.py)."""
    values: dict[str, object] = {
        "name": name,
        "cpu": types.Cpu(topology=types.CpuTopology(cores=2, sockets=1, threads=1)),
        "memory": GiB,
        "memory_policy": types.MemoryPolicy(guaranteed=GiB, max=4 * GiB),
        "type": types.VmType.SERVER,
        "cluster": types.Cluster(name="Default"),
        "template": types.Template(name="Blank"),
    }
    values.update(members)
    return types.Vm(**values)  # type: ignore[arg-type]


def test_a_vm_from_the_blank_template(fake: FakeOvirt, connection: sdk.Connection) -> None:
    vm = vms(connection).add(bareos_vm())
    assert (vm.name, vm.status, vm.memory) == ("restored", types.VmStatus.DOWN, GiB)
    assert vm.cpu.topology.cores == 2 and vm.memory_policy.max == 4 * GiB
    assert vm.template.id == "00000000-0000-0000-0000-000000000000"
    assert fake.journal.requests("POST /vms")[-1].status == 201
    assert fake.events()[-1].description == "VM restored was created by admin@internal."
    snapshots = vms(connection).vm_service(vm.id).snapshots_service().list()
    assert [s.description for s in snapshots] == ["Active VM"]


@pytest.mark.parametrize(
    ("body", "status", "reason", "detail"),
    [
        (
            types.Vm(name="x", template=types.Template(name="Blank")),
            400,
            "Incomplete parameters",
            "Vm [cluster.id|name] required for add",
        ),
        (
            types.Vm(cluster=types.Cluster(name="Default")),
            400,
            "Incomplete parameters",
            "Vm [name] required for add",
        ),
        (
            types.Vm(name="x", cluster=types.Cluster(name="Default")),
            400,
            "Incomplete parameters",
            "Vm [template.id|name] required for add",
        ),
        (
            bareos_vm(cluster=types.Cluster(name="nope")),
            404,
            "Operation Failed",
            "Entity not found: Cluster: name=nope",
        ),
        (
            bareos_vm(template=types.Template(name="centos")),
            404,
            "Operation Failed",
            "Entity not found: GetVmTemplate",
        ),
        (
            bareos_vm(name="vm-up"),
            409,
            "Operation Failed",
            "[Cannot add VM. The VM name is already in use, please choose a unique name and "
            "try again.]",
        ),
        (
            bareos_vm(name="bad name!"),
            400,
            "Operation Failed",
            "[Can not add VM. The given name contains special characters. Only lower-case and "
            "upper-case letters, numbers, '_', '-', '.' are allowed.]",
        ),
        (
            bareos_vm(memory_policy=types.MemoryPolicy(guaranteed=2 * GiB)),
            400,
            "Operation Failed",
            "[Cannot add VM. Physical Memory Guaranteed cannot exceed Memory Size.]",
        ),
    ],
)
def test_add_vm_refusals(
    fake: FakeOvirt,
    connection: sdk.Connection,
    body: types.Vm,
    status: int,
    reason: str,
    detail: str,
) -> None:
    with unchanged(fake), pytest.raises(sdk.Error) as caught:
        vms(connection).add(body)
    error = caught.value
    assert (error.code, error.fault.reason) == (status, reason)
    shown = error.fault.detail
    assert shown == detail


def test_remove_a_down_vm_with_its_disks(fake: FakeOvirt, connection: sdk.Connection) -> None:
    vm = fake.vm("vm-down")
    disk = fake.disk("vm-down-disk1")
    vms(connection).vm_service(vm.id).remove()
    assert vm.id not in fake.engine.state.vms
    assert disk.id not in fake.engine.state.disks
    assert fake.events()[-1].description == "VM vm-down was successfully removed by admin@internal."
    assert all(s.vm_id != vm.id for s in fake.engine.state.snapshots.values())


def test_remove_with_detach_only_keeps_the_disks(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    vm = fake.vm("vm-down")
    disk = fake.disk("vm-down-disk1")
    vms(connection).vm_service(vm.id).remove(detach_only=True)
    assert fake.engine.state.disks[disk.id].status == "ok"
    assert fake.engine.state.vm_of_disk(disk.id) is None


def test_a_running_vm_cannot_be_removed(fake: FakeOvirt, connection: sdk.Connection) -> None:
    with unchanged(fake):
        refusal = refused(lambda: vms(connection).vm_service(fake.vm("vm-up").id).remove())
    assert (refusal.status, refusal.detail) == (409, "Cannot remove VM. VM is running.")


def test_a_vm_in_a_backup_cannot_be_removed(fake: FakeOvirt, connection: sdk.Connection) -> None:
    """Any unfinished backup, hybrid included (RemoveVmCommand.java:317-319)."""
    vm = fake.vm("vm-down")
    sdkflow.start_backup(connection, vm.id, [types.Disk(id=fake.disk("vm-down-disk1").id)])
    with unchanged(fake):
        refusal = refused(lambda: vms(connection).vm_service(vm.id).remove())
    assert (refusal.status, refusal.detail) == (
        409,
        "Cannot remove VM. The VM is during a backup operation.",
    )


def test_a_legacy_backup_holds_the_vm_lock_first(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    vm = fake.vm("vm-down")
    disk = fake.disk("vm-down-disk1")
    sdkflow.start_backup(connection, vm.id, [types.Disk(id=disk.id)], use_active=True)
    with unchanged(fake):
        refusal = refused(lambda: vms(connection).vm_service(vm.id).remove())
    assert refusal.detail == "Cannot remove VM. The VM is during a backup operation."


@pytest.mark.fakeovirt(policy="reads:1")
def test_start_moves_through_wait_for_launch_and_powering_up(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """RunVm sets WaitForLaunch (RunVmCommand.java:405); the monitoring does the rest."""
    vm = fake.vm("vm-down")
    service = vms(connection).vm_service(vm.id)
    service.start()
    seen = [service.get().status for _ in range(4)]
    assert seen == [
        types.VmStatus.WAIT_FOR_LAUNCH,
        types.VmStatus.POWERING_UP,
        types.VmStatus.UP,
        types.VmStatus.UP,
    ]
    assert [e.code for e in fake.events()][-2:] == [153, 32]
    assert service.get().host.id == fake.vm("vm-down").host_id is not None


def test_stop_is_immediate_on_an_immediate_policy(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    vm = fake.vm("vm-up")
    service = vms(connection).vm_service(vm.id)
    service.stop(reason="maintenance")
    got = service.get()
    assert got.status == types.VmStatus.DOWN and got.stop_reason == "maintenance"
    assert [e.description for e in fake.events()][-2:] == [
        "VM vm-up powered off by admin@internal (Host: host-1) (Reason: maintenance).",
        "VM vm-up is down.  ",
    ]


def test_stopping_a_down_vm_is_skipped(fake: FakeOvirt, connection: sdk.Connection) -> None:
    """StopVmCommandBase.shouldSkipCommandExecution: 200 and event 254."""
    vms(connection).vm_service(fake.vm("vm-down").id).stop()
    event = fake.events()[-1]
    assert (event.code, event.description) == (
        254,
        "VM vm-down is already Down, Stop VM was skipped. User: admin@internal.",
    )


@pytest.mark.fakeovirt(policy="reads:1")
def test_shutdown_is_graceful(fake: FakeOvirt, connection: sdk.Connection) -> None:
    service = vms(connection).vm_service(fake.vm("vm-up").id)
    service.shutdown()
    assert [service.get().status for _ in range(2)] == [
        types.VmStatus.POWERING_DOWN,
        types.VmStatus.DOWN,
    ]
    assert fake.events()[-1].description == (
        "VM vm-up is down. Exit message: User shut down from within the guest"
    )


def test_a_vm_without_disks_cannot_start(fake: FakeOvirt, connection: sdk.Connection) -> None:
    vm = vms(connection).add(bareos_vm())
    with unchanged(fake):
        refusal = refused(lambda: vms(connection).vm_service(vm.id).start())
    assert refusal.status == 409
    assert refusal.detail.startswith("Cannot run VM without at least one bootable disk.\n")


def test_a_running_vm_cannot_start_again(fake: FakeOvirt, connection: sdk.Connection) -> None:
    with unchanged(fake):
        refusal = refused(lambda: vms(connection).vm_service(fake.vm("vm-up").id).start())
    assert (refusal.status, refusal.detail) == (
        409,
        "Cannot run VM because the VM is in Up status.",
    )


def test_stop_during_a_legacy_backup_is_refused_unless_forced(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    vm = fake.vm("vm-up")
    sdkflow.start_backup(
        connection, vm.id, [types.Disk(id=fake.disk("vm-up-disk1").id)], use_active=True
    )
    service = vms(connection).vm_service(vm.id)
    with unchanged(fake):
        refusal = refused(service.stop)
    assert (refusal.status, refusal.detail) == (
        409,
        "Cannot stop VM. The VM is during a backup operation.",
    )
    service.stop(force=True)
    assert fake.vm("vm-up").status.value == "down"


def test_a_hybrid_backup_lets_the_vm_stop(fake: FakeOvirt, connection: sdk.Connection) -> None:
    """`VmOperationCommandBase.shouldBlockDuringBackup()` is false when every backup of the
    VM is hybrid (engine_semantics.md §3.6)."""
    vm = fake.vm("vm-up")
    sdkflow.start_backup(connection, vm.id, [types.Disk(id=fake.disk("vm-up-disk1").id)])
    vms(connection).vm_service(vm.id).stop()
    assert fake.vm("vm-up").status.value == "down"


def test_start_during_a_legacy_backup_meets_its_vm_lock(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    vm = fake.vm("vm-down")
    sdkflow.start_backup(
        connection, vm.id, [types.Disk(id=fake.disk("vm-down-disk1").id)], use_active=True
    )
    with unchanged(fake):
        refusal = refused(vms(connection).vm_service(vm.id).start)
    assert (refusal.status, refusal.detail) == (
        409,
        "Cannot run VM. The VM is during a backup operation.",
    )


def test_an_unknown_vm_cannot_stop(fake: FakeOvirt, connection: sdk.Connection) -> None:
    with unchanged(fake):
        refusal = refused(vms(connection).vm_service("nope").stop)
    assert (refusal.status, refusal.detail) == (400, "Cannot stop VM. VM is not found.")
