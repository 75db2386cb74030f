"""Every search form documented in docs/wire.md, run through the real SDK against the demo
scenario: the table is the test's data, so the documented subset is the tested one."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import ovirtsdk4 as sdk
import pytest

from fakeovirt import FakeOvirt
from tests import sdkflow

DOC = Path(__file__).resolve().parents[2] / "docs" / "wire.md"
TABLE = re.compile(r"<!-- search-table -->\n(.*?)<!-- /search-table -->", re.S)


def rows() -> list[tuple[str, str, int | None, list[str]]]:
    found = TABLE.search(DOC.read_text(encoding="utf-8"))
    assert found, "docs/wire.md lost its search table"
    parsed = []
    for line in found.group(1).splitlines()[2:]:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        path, search, limit, answers = cells[0].strip("`"), cells[1][1:-1], cells[2], cells[3]
        expected = [a.strip() for a in answers.split(",") if a.strip()]
        parsed.append((path, search, int(limit) if limit else None, expected))
    return parsed


def listing(connection: sdk.Connection, path: str) -> tuple[Any, str]:
    system = connection.system_service()
    services = {
        "/vms": (system.vms_service(), "name"),
        "/hosts": (system.hosts_service(), "name"),
        "/disks": (system.disks_service(), "alias"),
        "/events": (system.events_service(), "code"),
        "/storagedomains": (system.storage_domains_service(), "name"),
        "/clusters": (system.clusters_service(), "name"),
        "/datacenters": (system.data_centers_service(), "name"),
        "/templates": (system.templates_service(), "name"),
    }
    return services[path]


@pytest.mark.parametrize(("path", "search", "limit", "expected"), rows())
def test_the_documented_search_answers_what_the_table_says(
    fake: FakeOvirt,
    connection: sdk.Connection,
    path: str,
    search: str,
    limit: int | None,
    expected: list[str],
) -> None:
    vm_id = fake.vm("vm-down").id
    backup = sdkflow.start_backup(connection, vm_id, sdkflow.vm_disks(connection, vm_id))
    sdkflow.finalize_backup(connection, backup)
    text = search.replace("{vm-up}", fake.vm("vm-up").id).replace("{backup}", backup.id)
    service, member = listing(connection, path)
    found = service.list(search=text, max=limit) if limit else service.list(search=text)
    assert [str(getattr(item, member)) for item in found] == expected
