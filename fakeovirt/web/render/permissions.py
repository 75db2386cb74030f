"""Rendering a VM's permissions: what `GET /vms/{id}/permissions` lists on an engine where
the VM was made by an administrator, the `SuperUser` permission that `admin@internal`
holds on the whole system and the VM inherits (`BackendAssignedPermissionsResource.list`
adds inherited permissions; role id from `packaging/dbscripts/data/00500_insert_roles.sql`).
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from fakeovirt.web.xmlout import API, entity, reference

__all__ = ["SUPER_USER", "Permission", "render_permission", "vm_permissions"]

SUPER_USER = "00000000-0000-0000-0000-000000000001"
ADMIN = "admin@internal"


@dataclass(frozen=True)
class Permission:
    id: str
    vm_id: str
    role_id: str
    user_id: str


def _user_id(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"fakeovirt-user:{name}"))


def vm_permissions(vm_id: str) -> list[Permission]:
    """The permissions a VM shows: the administrator's inherited SuperUser role."""
    permission_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"fakeovirt-permission:{vm_id}:{ADMIN}"))
    return [Permission(permission_id, vm_id, SUPER_USER, _user_id(ADMIN))]


def render_permission(permission: Permission, follow: object = None) -> ET.Element:
    del follow  # a permission follows nothing here
    return entity(
        "permission",
        permission.id,
        f"{API}/vms/{permission.vm_id}/permissions/{permission.id}",
        links={
            "role": reference("role", permission.role_id, f"{API}/roles/{permission.role_id}"),
            "user": reference("user", permission.user_id, f"{API}/users/{permission.user_id}"),
            "vm": reference("vm", permission.vm_id, f"{API}/vms/{permission.vm_id}"),
        },
    )
