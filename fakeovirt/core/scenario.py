"""Scenarios: the inventory an engine starts from, as Python objects or a TOML/JSON file.

File format (TOML shown; JSON has the same keys):

    seed = 7                       # ids and seeded disk content derive from it
    [policy]                       # optional; see TransitionPolicy.from_dict
    mode = "reads"
    reads = 1

    [[vms]]
    name = "db1"
    status = "up"                  # any engine VM status
    freeze_fails = false           # the guest agent's filesystem freeze
      [[vms.disks]]
      alias = "db1-data"
      size = 1073741824            # virtual size in bytes (a multiple of 64 KiB)
      format = "cow"               # cow (qcow2) or raw
      backup = "incremental"       # incremental or none
      seeded_blocks = 48           # 64 KiB blocks of deterministic data written at start
      active = true                # plugged into the VM
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .model import VmStatus
from .policy import TransitionPolicy

__all__ = ["DEMO", "DiskSpec", "Scenario", "VmSpec"]

GiB = 1 << 30


@dataclass(frozen=True)
class DiskSpec:
    alias: str
    size: int = GiB
    format: str = "cow"
    backup: str = "incremental"
    seeded_blocks: int = 48
    active: bool = True
    bootable: bool = False

    def __post_init__(self) -> None:
        if self.format not in ("cow", "raw"):
            raise ValueError(f"disk {self.alias}: format must be cow or raw")
        if self.backup not in ("incremental", "none"):
            raise ValueError(f"disk {self.alias}: backup must be incremental or none")
        if self.format == "raw" and self.backup == "incremental":
            raise ValueError(f"disk {self.alias}: a raw disk cannot have incremental backup")


@dataclass(frozen=True)
class VmSpec:
    name: str
    status: str = "up"
    freeze_fails: bool = False
    disks: tuple[DiskSpec, ...] = ()

    def __post_init__(self) -> None:
        statuses = [status.value for status in VmStatus]
        if self.status not in statuses:
            raise ValueError(f"vm {self.name}: status must be one of {', '.join(statuses)}")


@dataclass(frozen=True)
class Scenario:
    """A named inventory; build an engine from it with `Engine(scenario=...)`."""

    name: str = "custom"
    vms: tuple[VmSpec, ...] = ()
    seed: int = 0
    policy: TransitionPolicy | None = None
    hosts: tuple[str, ...] = ("host-1",)
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, name: str = "custom") -> Scenario:
        try:
            vms = tuple(
                VmSpec(
                    name=str(vm["name"]),
                    status=str(vm.get("status", "up")),
                    freeze_fails=bool(vm.get("freeze_fails", False)),
                    disks=tuple(DiskSpec(**disk) for disk in vm.get("disks", [])),
                )
                for vm in data.get("vms", [])
            )
        except (KeyError, TypeError) as error:
            raise ValueError(f"scenario {name}: malformed vm or disk entry ({error})") from None
        policy = data.get("policy")
        return cls(
            name=str(data.get("name", name)),
            vms=vms,
            seed=int(data.get("seed", 0)),
            policy=TransitionPolicy.from_dict(policy) if policy is not None else None,
            hosts=tuple(data.get("hosts", ("host-1",))),
        )

    @classmethod
    def load(cls, path: str | Path) -> Scenario:
        """Read a `.toml` or `.json` scenario file."""
        path = Path(path)
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
        return cls.from_dict(data, name=path.stem)

    @classmethod
    def named(cls, name: str) -> Scenario:
        """A built-in scenario (`demo`, `empty`) or a path to a scenario file."""
        if name in BUILT_IN:
            return BUILT_IN[name]
        if Path(name).exists():
            return cls.load(name)
        raise ValueError(f"unknown scenario {name!r}: use one of {', '.join(BUILT_IN)} or a file")


def _qcow(alias: str) -> DiskSpec:
    return DiskSpec(alias=alias)


DEMO = Scenario(
    name="demo",
    vms=(
        VmSpec("vm-up", "up", disks=(_qcow("vm-up-disk1"), _qcow("vm-up-disk2"))),
        VmSpec("vm-down", "down", disks=(_qcow("vm-down-disk1"),)),
        VmSpec(
            "vm-mixed",
            "up",
            disks=(
                _qcow("vm-mixed-disk1"),
                DiskSpec("vm-mixed-raw", format="raw", backup="none"),
            ),
        ),
        VmSpec("vm-nofreeze", "up", freeze_fails=True, disks=(_qcow("vm-nofreeze-disk1"),)),
        VmSpec("vm-paused", "paused", disks=(_qcow("vm-paused-disk1"),)),
    ),
)

EMPTY = Scenario(name="empty")

BUILT_IN = {"demo": DEMO, "empty": EMPTY}
