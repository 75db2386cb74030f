"""The one routing table of the REST API: path, methods, endpoint name.

Endpoint names are `<resource>.<verb>`; `handlers/__init__.py` maps each to a function.
The supported-endpoints table in the docs is generated from this map.
"""

from __future__ import annotations

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map
from werkzeug.wrappers import Request

from .router import MatchingRule as Rule
from .xmlout import API

__all__ = ["API_MAP", "SERVICES", "usage_link"]

_GET, _POST, _PUT, _DELETE = ["GET"], ["POST"], ["PUT"], ["DELETE"]


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
        # -- snapshots and disk snapshots (web/handlers/snapshots.py) ----------------------
        Rule("/vms/<vm>/snapshots", methods=_GET + _POST, endpoint="snapshots.collection"),
        Rule("/vms/<vm>/snapshots/<id>", methods=_GET + _DELETE, endpoint="snapshots.get"),
        Rule("/vms/<vm>/snapshots/<id>/disks", methods=_GET, endpoint="snapshot_disks.collection"),
        Rule("/vms/<vm>/snapshots/<id>/disks/<disk>", methods=_GET, endpoint="snapshot_disks.get"),
        Rule("/disks/<disk>/disksnapshots", methods=_GET, endpoint="disksnapshots.collection"),
        Rule("/disks/<disk>/disksnapshots/<id>", methods=_GET, endpoint="disksnapshots.get"),
        Rule(
            "/storagedomains/<sd>/disksnapshots",
            methods=_GET,
            endpoint="domain_disksnapshots.collection",
        ),
        Rule(
            "/storagedomains/<sd>/disksnapshots/<id>",
            methods=_GET,
            endpoint="domain_disksnapshots.get",
        ),
        # -- end of snapshots -----------------------------------------------------------------
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
        Rule("/vms/<vm>/permissions", methods=_GET, endpoint="permissions.collection"),
        Rule("/vms/<vm>/permissions/<id>", methods=_GET, endpoint="permissions.get"),
        *_collection("/disks", "disks"),
        *_collection("/hosts", "hosts"),
        Rule("/hosts/<host>/statistics", methods=_GET, endpoint="statistics.collection"),
        Rule("/hosts/<host>/statistics/<id>", methods=_GET, endpoint="statistics.get"),
        *_collection("/templates", "templates"),
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
        # -- disks, attachments, VMs, NICs, networks and custom events (restore) --------------
        Rule("/disks", methods=_POST, endpoint="disks.add"),
        Rule("/disks/<id>", methods=_DELETE, endpoint="disks.remove"),
        Rule("/storagedomains/<sd>/disks", methods=_GET + _POST, endpoint="sd_disks.collection"),
        Rule("/storagedomains/<sd>/disks/<id>", methods=_GET + _DELETE, endpoint="sd_disks.get"),
        Rule("/vms/<vm>/diskattachments", methods=_POST, endpoint="attachments.add"),
        Rule(
            "/vms/<vm>/diskattachments/<id>",
            methods=_PUT + _DELETE,
            endpoint="attachments.change",
        ),
        Rule("/vms", methods=_POST, endpoint="vms.add"),
        Rule("/vms/<vm>", methods=_DELETE, endpoint="vms.remove"),
        Rule(
            "/vms/<vm>/<any(shutdown, start, stop):action>",
            methods=_POST,
            endpoint="vms.action",
        ),
        Rule("/vms/<vm>/nics", methods=_GET + _POST, endpoint="nics.collection"),
        Rule("/vms/<vm>/nics/<id>", methods=_GET, endpoint="nics.get"),
        *_collection("/vnicprofiles", "vnicprofiles"),
        *_collection("/networks", "networks"),
        Rule("/networks/<network>/vnicprofiles", methods=_GET, endpoint="networks.profiles"),
        Rule("/events", methods=_POST, endpoint="events.add"),
    ],
    strict_slashes=False,
    merge_slashes=False,
)

# The model's service behind each endpoint (`<collection>.<verb>`: the collection service for
# `collection`, the entity service otherwise), as the API documentation names it.
SERVICES = {
    "api": ("system", "system"),
    "vms": ("vms", "vm"),
    "attachments": ("disk_attachments", "disk_attachment"),
    "snapshots": ("snapshots", "snapshot"),
    "snapshot_disks": ("snapshot_disks", "snapshot_disk"),
    "disksnapshots": ("disk_snapshots", "disk_snapshot"),
    "domain_disksnapshots": ("disk_snapshots", "disk_snapshot"),
    "backups": ("vm_backups", "vm_backup"),
    "backup_disks": ("vm_backup_disks", "vm_backup_disk"),
    "checkpoints": ("vm_checkpoints", "vm_checkpoint"),
    "checkpoint_disks": ("vm_checkpoint_disks", "vm_checkpoint_disk"),
    "permissions": ("assigned_permissions", "permission"),
    "disks": ("disks", "disk"),
    "hosts": ("hosts", "host"),
    "statistics": ("statistics", "statistic"),
    "templates": ("templates", "template"),
    "storagedomains": ("storage_domains", "storage_domain"),
    "datacenters": ("data_centers", "data_center"),
    "clusters": ("clusters", "cluster"),
    "events": ("events", "event"),
    "jobs": ("jobs", "job"),
    "imagetransfers": ("image_transfers", "image_transfer"),
    "sd_disks": ("storage_domain_disks", "storage_domain_disk"),
    "nics": ("vm_nics", "vm_nic"),
    "vnicprofiles": ("vnic_profiles", "vnic_profile"),
    "networks": ("networks", "network"),
}
_METHODS = {"POST": "add", "PUT": "update", "GET": "get", "DELETE": "remove"}


def usage_link(request: Request) -> str:
    """Where the engine's API documentation describes the method a request called:
    `<root>/ovirt-engine/apidoc#services/<service>/methods/<method>` (`UsageFinder.java`)."""
    root = request.host_url.rstrip("/")
    service, method = "system", _METHODS.get(request.method, "")
    subpath = request.path[len(API) :] or "/"
    try:
        endpoint, args = API_MAP.bind("fakeovirt").match(subpath, method=request.method)
    except HTTPException:
        pass
    else:
        resource, verb = str(endpoint).split(".")
        collection, entity = SERVICES.get(resource, ("system", "system"))
        service = collection if verb in ("collection", "add") else entity
        if verb in ("action", "finalize"):
            method = str(args.get("action", verb))
    return f"{root}/ovirt-engine/apidoc#services/{service}/methods/{method}"
