"""The Python example in docs/scenarios.md runs as written."""

from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "scenarios.md"


def test_scenario_example_builds_the_engine_it_describes() -> None:
    (block,) = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    namespace: dict[str, object] = {}
    exec(compile(block, str(DOC), "exec"), namespace)
    fake = namespace["fake"]
    names = sorted(vm.name for vm in fake.engine.state.vms.values())  # type: ignore[attr-defined]
    assert names == ["db1", "db2"]
    assert fake.disk("db2-os").content.size == 8 << 30  # type: ignore[attr-defined]
