"""Which items a collection answers for its `max`, `search` and `case_sensitive` parameters,
the three ways the engine's REST layer lists (engine-fidelity §3.2, `docs/wire.md`).

- plain lists (a VM's backups, checkpoints, snapshots, disk attachments, image transfers,
  jobs of a filtered user, ...) run one query, then cut to `max`
  (`BackendResource.getBackendCollection`): `max=-1` is no limit, another negative `max`
  fails in `subList` (500), `search` is not read;
- search-backed lists (`/vms`, `/hosts`, `/storagedomains`, `/events`, `/clusters`,
  `/datacenters`, `/jobs`, `/templates` for an admin) always run the search
  `<Object>: <search>` with `max` as its page size
  (`AbstractBackendCollectionResource.getSearchParameters`): a negative `max` is a 400
  `Illegal max count value for query : <max>` (`SearchQuery.initQueryData`);
- `/disks` runs a plain query, and with `search` intersects it with the search run without
  `max`, then cuts to `max` (`AbstractBackendCollectionResource.getBackendCollection`), so
  there a negative `max` fails in `subList` (500) and `page N` only has a page 1.

A search the engine cannot run answers an empty list, never a fault (`SearchQuery`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from itertools import islice
from typing import TypeVar

from fakeovirt.core.search import SearchError, SearchObject, search

from .parse import parse_flag, parse_max
from .refusals import RawFault

__all__ = ["choose"]

T = TypeVar("T")


def _cut(items: list[T], limit: int) -> list[T]:
    """Java's `subList(0, limit)`: a negative end is an exception, answered with a 500."""
    if limit < 0:
        raise RawFault(500, f"fromIndex(0) > toIndex({limit})")
    return items[:limit]


def choose(
    query: Mapping[str, str],
    items: Iterable[T],
    obj: SearchObject[T] | None = None,
    *,
    always_search: bool = True,
) -> list[T]:
    """The items a list answers: `obj` makes it search-backed (`always_search`) or, with
    `always_search=False`, searched only when the client sends `search` (as `/disks`)."""
    limit = parse_max(query)
    text = query.get("search")
    if obj is None or (not always_search and text is None):
        if limit is None or limit == -1:
            return list(items)
        if limit < 0:
            return _cut([], limit)
        return list(islice(items, limit))  # a plain list costs what it shows
    found = list(items)
    case_sensitive = parse_flag(query, "case_sensitive")[0]
    if always_search:
        if limit is not None and limit < 0:
            raise RawFault(400, f"Illegal max count value for query : {limit}")
        try:
            return search(found, obj, text or "", max_count=limit, case_sensitive=case_sensitive)
        except SearchError:
            return []
    try:
        found = search(found, obj, text or "", case_sensitive=case_sensitive)
    except SearchError:
        found = []
    return found if limit is None else _cut(found, min(limit, len(found)) if limit >= 0 else limit)
