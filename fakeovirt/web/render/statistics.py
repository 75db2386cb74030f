"""Rendering a host's statistics: the names, descriptions, kinds, units and types of the
engine's `HostStatisticalQuery` (`RESTAPI/resource/HostStatisticalQuery.java`), each with
one value; ids are `UUID.nameUUIDFromBytes(name)` as `StatisticResourceUtils.asId`.

fakeovirt does not model a host's load: the values are those of an idle 32 GiB host.
"""

from __future__ import annotations

import hashlib
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from fakeovirt.web.xmlout import API, collection, entity, nested, reference

__all__ = ["Statistic", "host_statistics", "render_statistic"]

GIB = 1024**3


@dataclass(frozen=True)
class Statistic:
    name: str
    description: str
    kind: str
    unit: str
    type: str
    datum: str

    @property
    def id(self) -> str:
        """Java's `UUID.nameUUIDFromBytes`: an MD5 name-based (version 3) UUID."""
        return str(uuid.UUID(bytes=hashlib.md5(self.name.encode()).digest(), version=3))


# fmt: off
_HOST = (
    Statistic("memory.total", "Total memory", "gauge", "bytes", "integer", str(32 * GIB)),
    Statistic("memory.used", "Used memory", "gauge", "bytes", "integer", str(8 * GIB)),
    Statistic("memory.free", "Free memory", "gauge", "bytes", "integer", str(24 * GIB)),
    Statistic(
        "memory.shared",
        "The amount of memory, in bytes, shared among Virtual-Machines on this Host by "
        "Kernel Same-page Merging (KSM)",
        "gauge",
        "bytes",
        "integer",
        "0",
    ),
    Statistic("swap.total", "Total swap", "gauge", "bytes", "integer", str(8 * GIB)),
    Statistic("swap.free", "Free swap", "gauge", "bytes", "integer", str(8 * GIB)),
    Statistic("swap.used", "Used swap", "gauge", "bytes", "integer", "0"),
    Statistic("ksm.cpu.current", "KSM CPU usage", "gauge", "percent", "decimal", "0"),
    Statistic("cpu.current.user", "User CPU usage", "gauge", "percent", "decimal", "2"),
    Statistic("cpu.current.system", "System CPU usage", "gauge", "percent", "decimal", "1"),
    Statistic("cpu.current.idle", "Idle CPU usage", "gauge", "percent", "decimal", "97"),
    Statistic(
        "cpu.load.avg.5m", "CPU 5 minute load average", "gauge", "percent", "decimal", "0.12"
    ),
    Statistic("boot.time", "Boot time of the machine", "gauge", "none", "integer", "1704067200"),
)
# fmt: on


def host_statistics() -> tuple[Statistic, ...]:
    return _HOST


def render_statistic(host_id: str, statistic: Statistic, follow: object = None) -> ET.Element:
    del follow  # a statistic follows nothing here
    host_href = f"{API}/hosts/{host_id}"
    return entity(
        "statistic",
        statistic.id,
        f"{host_href}/statistics/{statistic.id}",
        attributes={
            "description": statistic.description,
            "kind": statistic.kind,
            "name": statistic.name,
            "type": statistic.type,
            "unit": statistic.unit,
            "values": collection("values", [nested("value", {"datum": statistic.datum})]),
        },
        links={"host": reference("host", host_id, host_href)},
    )
