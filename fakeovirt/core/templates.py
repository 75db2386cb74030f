"""The Blank template every engine has, which every fakeovirt VM is made from.

Values from the engine's seed data, oVirt/ovirt-engine
`packaging/dbscripts/data/01100_insert_vm_static.sql` (vm_guid 00000000-…, `Blank`,
`Blank template`, 1024 MB, created `2008-04-01 00:00:00+03`, template_status 0 = ok).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

__all__ = ["BLANK", "Template"]


@dataclass(frozen=True)
class Template:
    id: str
    name: str
    description: str
    created: datetime
    memory: int
    status: str = "ok"
    type: str = "desktop"
    version_number: int = 1


BLANK = Template(
    id="00000000-0000-0000-0000-000000000000",
    name="Blank",
    description="Blank template",
    created=datetime(2008, 3, 31, 21, 0, tzinfo=UTC),
    memory=1024 * 1024 * 1024,
)
