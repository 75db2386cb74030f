"""What a VM's status allows: the engine's action matrix and the words its messages use.

Rules of this file:
- `BLOCKED` is `ActionUtils._matrix` for VMs (`BLL/ActionUtils.java:137-300`) restricted to
  the commands fakeovirt models: for each status, the commands it forbids;
- `localized` is `LocalizedVmStatus` with the `VAR__VM_STATUS__*` texts of
  `AppErrors.properties:1399-1414`.
"""

from __future__ import annotations

from .model import VmStatus

__all__ = ["BLOCKED", "localized", "status_blocks"]

_ALL_BUT_NIC = frozenset({"RunVm", "StopVm", "ShutdownVm", "ExtendImageSize", "RemoveVm"})
BLOCKED: dict[VmStatus, frozenset[str]] = {
    VmStatus.WAIT_FOR_LAUNCH: frozenset({"AddVmInterface", "ExtendImageSize", "RemoveVm", "RunVm"}),
    VmStatus.UP: frozenset({"RemoveVm", "RunVm"}),
    VmStatus.POWERING_DOWN: frozenset({"AddVmInterface", "ExtendImageSize", "RemoveVm", "RunVm"}),
    VmStatus.POWERING_UP: frozenset({"AddVmInterface", "ExtendImageSize", "RemoveVm", "RunVm"}),
    VmStatus.REBOOT_IN_PROGRESS: frozenset(
        {"AddVmInterface", "ExtendImageSize", "RemoveVm", "RunVm"}
    ),
    VmStatus.MIGRATING: frozenset({"AddVmInterface", "ExtendImageSize", "RemoveVm", "RunVm"}),
    VmStatus.SUSPENDED: frozenset({"AddVmInterface", "RemoveVm"}),
    VmStatus.PAUSED: frozenset({"AddVmInterface", "ExtendImageSize", "RemoveVm"}),
    VmStatus.SAVING_STATE: _ALL_BUT_NIC | {"AddVmInterface"},
    VmStatus.RESTORING_STATE: _ALL_BUT_NIC | {"AddVmInterface"},
    VmStatus.DOWN: frozenset({"ShutdownVm", "StopVm"}),
    VmStatus.IMAGE_LOCKED: _ALL_BUT_NIC | {"AddVmInterface"},
    VmStatus.NOT_RESPONDING: frozenset({"AddVmInterface", "ExtendImageSize", "RemoveVm", "RunVm"}),
    VmStatus.UNASSIGNED: _ALL_BUT_NIC | {"AddVmInterface"},
    VmStatus.UNKNOWN: _ALL_BUT_NIC | {"AddVmInterface"},
}

_WORDS = {
    VmStatus.UNASSIGNED: "Unassigned",
    VmStatus.DOWN: "Down",
    VmStatus.UP: "Up",
    VmStatus.POWERING_UP: "Powering Up",
    VmStatus.PAUSED: "Paused",
    VmStatus.MIGRATING: "Migrating",
    VmStatus.UNKNOWN: "Unknown",
    VmStatus.NOT_RESPONDING: "Not Responding",
    VmStatus.WAIT_FOR_LAUNCH: "Wait for Launch",
    VmStatus.REBOOT_IN_PROGRESS: "Reboot in Progress",
    VmStatus.SAVING_STATE: "Saving State",
    VmStatus.RESTORING_STATE: "Restoring State",
    VmStatus.SUSPENDED: "Suspended",
    VmStatus.IMAGE_LOCKED: "Image Locked",
    VmStatus.POWERING_DOWN: "Powering Down",
}


def status_blocks(status: VmStatus, command: str) -> bool:
    """Whether a VM in `status` refuses `command` by the engine's matrix."""
    return command in BLOCKED.get(status, frozenset())


def localized(status: VmStatus) -> str:
    """The status as `${vmStatus}` reads in the engine's messages."""
    return _WORDS[status]
