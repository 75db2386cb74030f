"""The `follow` parameter: which linked objects to inline, as a tree of names.

As the engine's `LinkFollower` (`RESTAPI/resource/utils/LinkFollower.java`): names are
comma-separated, `.` nests (`disk_attachments.disk`), each name is a link `rel` or a member
of the object it applies to. Every segment is checked against what that object can follow
here. The engine answers an unknown name with an uncaught `IllegalStateException` (`Problem
fetching '<name>' from <Entity>`, a 500 with the container's error page); fakeovirt answers a
400 fault naming the links it can follow instead (see `docs/wire.md`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from fakeovirt.core.errors import BadRequest

__all__ = ["TARGETS", "Follow", "parse_follow"]

Follow = dict[str, "Follow"]

# What each followable name leads to, wherever it is followed from.
TARGETS = {
    "backup": "backup",
    "cluster": "cluster",
    "data_center": "data_center",
    "data_centers": "data_center",
    "disk": "disk",
    "disk_attachments": "disk_attachment",
    "disks": "disk",
    "host": "host",
    "network": "network",
    "nics": "nic",
    "permissions": "permission",
    "snapshots": "snapshot",
    "statistics": "statistic",
    "storage_domains": "storage_domain",
    "template": "template",
    "vm": "vm",
    "vnic_profile": "vnic_profile",
    "vnic_profiles": "vnic_profile",
}


def parse_follow(
    value: str | None,
    allowed: Iterable[str] = (),
    followable: Mapping[str, Iterable[str]] | None = None,
    kind: str = "",
) -> Follow:
    """`"disk_attachments.disk,host"` -> `{"disk_attachments": {"disk": {}}, "host": {}}`.

    `allowed` are the names the top object can follow; `followable` maps every object kind
    to its names, for the nested segments."""
    tree: Follow = {}
    if not value:
        return tree
    for path in value.split(","):
        node = tree
        for name in path.strip().split("."):
            if not name:
                raise BadRequest(f"Invalid follow '{value}': empty link name")
            node = node.setdefault(name, {})
    _check(tree, set(allowed), followable or {}, kind)
    return tree


def _check(
    tree: Follow, allowed: set[str], followable: Mapping[str, Iterable[str]], kind: str
) -> None:
    for name in sorted(tree):
        if name not in allowed:
            choices = ", ".join(sorted(allowed)) or "none"
            where = f" of {kind}" if kind else ""
            raise BadRequest(
                f"Cannot follow link '{name}'{where}; links that can be followed: {choices}"
            )
        target = TARGETS.get(name, name)
        _check(tree[name], set(followable.get(target, ())), followable, target)
