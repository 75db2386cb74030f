"""The examples in docs/scenarios.md run as written and build what the text says."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from fakeovirt import Scenario

DOC = Path(__file__).resolve().parent.parent / "docs" / "scenarios.md"


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)


def test_scenario_example_builds_the_engine_it_describes() -> None:
    (block,) = blocks("python")
    namespace: dict[str, Any] = {}
    exec(compile(block, str(DOC), "exec"), namespace)
    state = namespace["fake"].engine.state
    vms = {vm.name: vm for vm in state.vms.values()}
    assert sorted(vms) == ["db1", "db2"]
    hosts = {h.id: h.name for h in state.hosts.values()}
    assert (hosts[vms["db1"].host_id], hosts[vms["db2"].host_id]) == ("prod-1", "test-1")
    domains = {d.id: d.name for d in state.storage_domains.values()}
    placed = {d.alias: domains[d.storage_domain_id] for d in state.disks.values()}
    assert placed == {"db1-os": "fast", "db1-raw": "fast", "db2-os": "slow"}
    assert namespace["fake"].disk("db2-os").content.size == 8 << 30


def test_the_file_example_is_a_scenario_with_every_key() -> None:
    (block,) = blocks("toml")
    scenario = Scenario.from_dict(tomllib.loads(block))
    (vm,) = scenario.vms
    assert (vm.cluster, vm.host, vm.disks[0].storage_domain) == ("prod", "prod-1", "san1")
    assert [(d.name, d.type, d.storage) for d in scenario.storage_domains] == [
        ("san1", "data", "iscsi"),
        ("isos", "iso", "nfs"),
    ]
    assert scenario.policy is not None and scenario.policy.reads == 1
