"""Your own client under the contract: implement five methods, the machine does the rest."""

import base64
import xml.etree.ElementTree as ET

from fakeovirt.stateful import ApiFault, BackupApiMachine, BackupInfo, CheckpointInfo


class RawHttpMachine(BackupApiMachine):
    """A minimal client: plain HTTP with Basic auth, through the fake's in-process client."""

    def connect(self):
        self.http = self.fake.client()
        token = base64.b64encode(f"{self.fake.username}:{self.fake.password}".encode())
        self.headers = {"Authorization": "Basic " + token.decode()}

    def call(self, method, path, body=b"", query=None):
        response = self.http.open(
            "/ovirt-engine/api" + path,
            method=method,
            data=body,
            query_string=query,
            headers=self.headers,
        )
        root = ET.fromstring(response.data) if response.data else None
        if response.status_code >= 400:
            raise ApiFault(response.status_code, root.findtext("detail") or "")
        return root

    @staticmethod
    def info(root):
        return BackupInfo(
            id=root.get("id"),
            phase=root.findtext("phase"),
            from_checkpoint_id=root.findtext("from_checkpoint_id"),
            to_checkpoint_id=root.findtext("to_checkpoint_id"),
        )

    def start_backup(self, vm_id, disk_ids, *, from_checkpoint_id, use_active, require_consistency):
        backup = ET.Element("backup")
        if from_checkpoint_id:
            ET.SubElement(backup, "from_checkpoint_id").text = from_checkpoint_id
        disks = ET.SubElement(backup, "disks")
        for disk_id in disk_ids:
            ET.SubElement(disks, "disk", id=disk_id)
        query = {
            "use_active": str(use_active).lower(),
            "require_consistency": str(require_consistency).lower(),
        }
        return self.info(self.call("POST", f"/vms/{vm_id}/backups", ET.tostring(backup), query))

    def get_backup(self, vm_id, backup_id):
        return self.info(self.call("GET", f"/vms/{vm_id}/backups/{backup_id}"))

    def finalize_backup(self, vm_id, backup_id):
        self.call("POST", f"/vms/{vm_id}/backups/{backup_id}/finalize", b"<action/>")

    def list_checkpoints(self, vm_id):
        listed = self.call("GET", f"/vms/{vm_id}/checkpoints")
        return [CheckpointInfo(c.get("id"), c.findtext("parent_id")) for c in listed]

    def remove_checkpoint(self, vm_id, checkpoint_id):
        self.call("DELETE", f"/vms/{vm_id}/checkpoints/{checkpoint_id}")


def test_my_raw_http_client_keeps_the_contract(fakeovirt):
    RawHttpMachine.run(fakeovirt)
