"""The `follow` parameter: which linked objects to inline, as a tree of names."""

from __future__ import annotations

from collections.abc import Iterable

from fakeovirt.core.errors import BadRequest

__all__ = ["Follow", "parse_follow"]

Follow = dict[str, "Follow"]


def parse_follow(value: str | None, allowed: Iterable[str] = ()) -> Follow:
    """`"disk_attachments.disk,host"` -> `{"disk_attachments": {"disk": {}}, "host": {}}`."""
    tree: Follow = {}
    if not value:
        return tree
    for path in value.split(","):
        node = tree
        for name in path.strip().split("."):
            if not name:
                raise BadRequest(f"Invalid follow '{value}': empty link name")
            node = node.setdefault(name, {})
    allowed = set(allowed)
    unknown = sorted(set(tree) - allowed)
    if unknown:
        choices = ", ".join(sorted(allowed)) or "none"
        raise BadRequest(
            f"Cannot follow link '{unknown[0]}' here; links that can be followed: {choices}"
        )
    return tree
