"""The mapping form of a scenario (a TOML or JSON file, a control-plane body), read strictly.

Rules of this file:
- a scenario file is a regular file of at most `MAX_FILE` bytes: a directory, a device or a
  pipe is refused before a byte is read, so a path can never make the reader block or
  read without end;
- every key is known: a typo is refused, never ignored; every list is a list and every entry
  a mapping; the messages say where (`vms[0].disks[1]`) and what;
- parsing builds specs only; `Scenario` checks the references between them.
"""

from __future__ import annotations

import json
import os
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any

from .policy import TransitionPolicy
from .specs import ClusterSpec, DataCenterSpec, DiskSpec, HostSpec, StorageDomainSpec, VmSpec

__all__ = ["BUILT_IN_HINT", "MAX_FILE", "parse_scenario", "read_scenario_file"]

MAX_FILE = 16 * 1024 * 1024
BUILT_IN_HINT = "use demo, empty, scale:vms=N[,...] or a .toml/.json scenario file"
_TOP = ("name", "seed", "policy", "data_centers", "clusters", "storage_domains", "hosts", "vms")
_VM_KEYS = ("name", "status", "freeze_fails", "cluster", "host", "disks", "nics")


def read_scenario_file(path: str | Path) -> Any:
    """The parsed content of a `.json` (JSON) or other (TOML) scenario file, or ValueError."""
    where = f"scenario file {path}"
    try:
        regular = stat.S_ISREG(os.stat(path).st_mode)
        if regular:
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise ValueError(f"{where}: no such file") from None
    except PermissionError:
        raise ValueError(f"{where}: permission denied") from None
    except (OSError, TypeError, ValueError) as error:  # ValueError: a NUL in the path
        raise ValueError(f"scenario file {str(path)!r}: cannot open it ({error})") from None
    if not regular:
        raise ValueError(f"{where}: not a regular file")
    with os.fdopen(fd, "rb") as file:
        info = os.fstat(file.fileno())
        if not stat.S_ISREG(info.st_mode):  # swapped since the first look
            raise ValueError(f"{where}: not a regular file")
        if info.st_size > MAX_FILE:
            raise ValueError(f"{where}: larger than {MAX_FILE} bytes")
        raw = file.read(MAX_FILE + 1)
    if len(raw) > MAX_FILE:
        raise ValueError(f"{where}: larger than {MAX_FILE} bytes")
    try:
        text = raw.decode("utf-8")
        return json.loads(text) if Path(path).suffix == ".json" else tomllib.loads(text)
    except UnicodeDecodeError:
        raise ValueError(f"{where}: not UTF-8 text") from None
    except RecursionError:
        raise ValueError(f"{where}: nested too deeply") from None
    except ValueError as error:  # JSONDecodeError, TOMLDecodeError
        kind = "JSON" if Path(path).suffix == ".json" else "TOML"
        raise ValueError(f"{where}: not valid {kind} ({error})") from None


def parse_scenario(data: Any, *, name: str) -> dict[str, Any]:
    """`Scenario` keyword arguments from the mapping form; ValueError says where and what."""
    label = data.get("name") if isinstance(data, Mapping) else None
    try:
        return _parse(data, name)
    except ValueError as error:
        shown = label if isinstance(label, str) else name
        raise ValueError(f"scenario {shown}: {error}") from None


def _parse(data: Any, name: str) -> dict[str, Any]:
    table = _mapping("the scenario", data, _TOP)
    out: dict[str, Any] = {"name": table.get("name", name)}
    if "seed" in table:
        out["seed"] = table["seed"]
    if table.get("policy") is not None:
        policy = _mapping("policy", table["policy"], None)
        try:
            out["policy"] = TransitionPolicy.from_dict(dict(policy))
        except ValueError as error:
            raise ValueError(f"policy: {error}") from None
    entries: list[tuple[str, type]] = [
        ("data_centers", DataCenterSpec),
        ("clusters", ClusterSpec),
        ("storage_domains", StorageDomainSpec),
    ]
    for key, kind in entries:
        if key in table:
            out[key] = tuple(_entry(f"{key}[{i}]", e, kind) for i, e in _items(key, table[key]))
    if "hosts" in table:
        out["hosts"] = tuple(
            _entry(f"hosts[{i}]", {"name": e} if isinstance(e, str) else e, HostSpec)
            for i, e in _items("hosts", table["hosts"])
        )
    if "vms" in table:
        out["vms"] = tuple(_vm(f"vms[{i}]", e) for i, e in _items("vms", table["vms"]))
    return out


def _vm(where: str, data: Any) -> VmSpec:
    table = _mapping(where, data, _VM_KEYS)
    _required(where, table, "name")
    disks = tuple(
        _entry(f"{where}.disks[{i}]", e, DiskSpec, key="alias")
        for i, e in _items(f"{where}.disks", table.get("disks", []))
    )
    values = {k: v for k, v in table.items() if k != "disks"}
    try:
        return VmSpec(**values, disks=disks)
    except ValueError as error:
        raise ValueError(f"{where}: {error}") from None


def _entry(where: str, data: Any, kind: type, *, key: str = "name") -> Any:
    """One spec from its mapping: known keys only, the naming key present."""
    table = _mapping(where, data, tuple(f.name for f in fields(kind)))
    _required(where, table, key)
    try:
        return kind(**table)
    except ValueError as error:
        raise ValueError(f"{where}: {error}") from None


def _required(where: str, table: Mapping[str, Any], key: str) -> None:
    if table.get(key) is None:
        raise ValueError(f'malformed {where}: "{key}" is required')


def _mapping(where: str, data: Any, known: tuple[str, ...] | None) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise ValueError(f"malformed {where}: expected a table (a JSON object), got {_kind(data)}")
    if known is not None:
        unknown = [repr(k) for k in data if k not in known]
        if unknown:
            raise ValueError(
                f"malformed {where}: unknown key {', '.join(sorted(unknown))} "
                f"(known: {', '.join(known)})"
            )
    return data


def _items(where: str, data: Any) -> enumerate[Any]:
    if not isinstance(data, list | tuple):
        raise ValueError(f"malformed {where}: expected a list, got {_kind(data)}")
    return enumerate(data)


def _kind(value: Any) -> str:
    names = {dict: "a table", list: "a list", str: "a string", bool: "a boolean"}
    return names.get(type(value), "a number" if isinstance(value, int | float) else "null")
