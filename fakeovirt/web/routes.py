"""The one routing table of the REST API: path, methods, endpoint name.

Endpoint names are `<resource>.<verb>`; `handlers/__init__.py` maps each to a function.
The supported-endpoints table in the docs is generated from this map.
"""

from __future__ import annotations

from werkzeug.routing import Map, Rule

__all__ = ["API_MAP"]

_GET, _POST, _DELETE = ["GET"], ["POST"], ["DELETE"]


def _collection(path: str, name: str, *, add: bool = False) -> list[Rule]:
    rules = [
        Rule(path, methods=_GET + (_POST if add else []), endpoint=f"{name}.collection"),
        Rule(f"{path}/<id>", methods=_GET, endpoint=f"{name}.get"),
    ]
    return rules


API_MAP = Map(
    [
        Rule("/", methods=_GET, endpoint="api.root"),
        Rule("/vms", methods=_GET, endpoint="vms.collection"),
        Rule("/vms/<vm>", methods=_GET, endpoint="vms.get"),
        Rule("/vms/<vm>/diskattachments", methods=_GET, endpoint="attachments.collection"),
        Rule("/vms/<vm>/diskattachments/<id>", methods=_GET, endpoint="attachments.get"),
        Rule("/vms/<vm>/snapshots", methods=_GET, endpoint="snapshots.collection"),
        Rule("/vms/<vm>/snapshots/<id>", methods=_GET, endpoint="snapshots.get"),
        Rule("/vms/<vm>/backups", methods=_GET + _POST, endpoint="backups.collection"),
        Rule("/vms/<vm>/backups/<id>", methods=_GET, endpoint="backups.get"),
        Rule("/vms/<vm>/backups/<id>/finalize", methods=_POST, endpoint="backups.finalize"),
        Rule("/vms/<vm>/backups/<id>/disks", methods=_GET, endpoint="backup_disks.collection"),
        Rule("/vms/<vm>/backups/<id>/disks/<disk>", methods=_GET, endpoint="backup_disks.get"),
        Rule("/vms/<vm>/checkpoints", methods=_GET, endpoint="checkpoints.collection"),
        Rule("/vms/<vm>/checkpoints/<id>", methods=_GET + _DELETE, endpoint="checkpoints.get"),
        Rule(
            "/vms/<vm>/checkpoints/<id>/disks",
            methods=_GET,
            endpoint="checkpoint_disks.collection",
        ),
        Rule(
            "/vms/<vm>/checkpoints/<id>/disks/<disk>",
            methods=_GET,
            endpoint="checkpoint_disks.get",
        ),
        *_collection("/disks", "disks"),
        *_collection("/hosts", "hosts"),
        *_collection("/storagedomains", "storagedomains"),
        *_collection("/datacenters", "datacenters"),
        *_collection("/clusters", "clusters"),
        *_collection("/events", "events"),
        *_collection("/jobs", "jobs"),
        *_collection("/imagetransfers", "imagetransfers", add=True),
        Rule(
            "/imagetransfers/<id>/<any(cancel, extend, finalize, pause, resume):action>",
            methods=_POST,
            endpoint="imagetransfers.action",
        ),
    ],
    strict_slashes=False,
    merge_slashes=False,
)
