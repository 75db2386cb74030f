"""Choosing a behaviour profile: for one engine, for one test, for both profiles at once."""

from typing import Any

import ovirtsdk4.types as types
import pytest

from fakeovirt import FakeOvirt


def test_a_fake_engine_with_the_engine_profile() -> None:
    fake = FakeOvirt(profile="engine")  # the default is "documented"
    assert fake.profile.name == "engine"
    fake.reset(profile="documented")  # or: fake.profile = "documented"
    assert fake.profile.name == "documented"


@pytest.mark.fakeovirt(profile="engine")
def test_the_engine_does_not_read_use_active(fakeovirt: Any, fakeovirt_connection: Any) -> None:
    vm = fakeovirt.vm("vm-up")
    vms = fakeovirt_connection.system_service().vms_service()
    backups = vms.vm_service(vm.id).backups_service()
    disks = [types.Disk(id=a.disk_id) for a in vm.attachments]
    backup = backups.add(types.Backup(disks=disks), use_active=True)
    assert backup.snapshot is not None  # its snapshot-based ("hybrid") backup all the same
    assert backup.phase == types.BackupPhase.READY


BOTH = [pytest.param(p, marks=pytest.mark.fakeovirt(profile=p)) for p in ("documented", "engine")]


@pytest.mark.parametrize("profile", BOTH)
def test_my_tool_under_both_profiles(profile: str, fakeovirt: Any) -> None:
    assert fakeovirt.profile.name == profile  # run your tool here: it must pass on both
