"""The docs show the examples exactly as they are tested, and the endpoint table is current."""

from __future__ import annotations

import re
import runpy
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = (
    "strategies.md",
    "contract.md",
    "demo.md",
    "dashboard.md",
    "data-plane.md",
    "fidelity.md",
    "snapshots.md",
    "disks-and-vms.md",
)
EXAMPLE = re.compile(r"<!-- example: (\S+) -->\n```python\n(.*?)```", re.S)


@pytest.mark.parametrize("doc", DOCS)
def test_every_example_in_the_docs_is_a_tested_file_shown_verbatim(doc: str) -> None:
    found = EXAMPLE.findall((ROOT / "docs" / doc).read_text(encoding="utf-8"))
    assert found, f"docs/{doc} shows no example"
    for path, shown in found:
        assert path.startswith("tests/examples/test_"), path
        assert (ROOT / path).read_text(encoding="utf-8") == shown, f"docs/{doc}: {path} differs"


def test_the_endpoints_table_is_generated_from_the_route_map() -> None:
    generator = runpy.run_path(str(ROOT / "tools" / "endpoints_doc.py"))
    committed = (ROOT / "docs" / "endpoints.md").read_text(encoding="utf-8")
    assert committed == generator["render"](), "run python tools/endpoints_doc.py"


def test_the_endpoints_table_lists_the_backup_routes() -> None:
    table = (ROOT / "docs" / "endpoints.md").read_text(encoding="utf-8")
    assert "| GET, POST | `/vms/{vm}/backups` | `backups.collection` |" in table
    assert "| POST | `/vms/{vm}/backups/{id}/finalize` | `backups.finalize` |" in table
