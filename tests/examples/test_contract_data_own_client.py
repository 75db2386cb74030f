"""Your own backup tool's data path under the contract: download, keep, restore.

The tool uses the SDK for the API and plain HTTPS for the bytes, and keeps its own format: a
sparse raw file per disk and backup, and for an incremental an index of the changed ranges and
the backup it applies to. The machine checks that every restore equals the disk at its backup.
"""

import http.client
import json
import ssl
from urllib.parse import urlsplit

from hypothesis import settings

from fakeovirt.stateful import DEFAULT_SETTINGS
from fakeovirt.stateful_sdk import SdkBackupMachine


class MyToolMachine(SdkBackupMachine):
    """The SDK machine plus the two data methods, written with the standard library."""

    def connect(self):
        super().connect()
        self.context = ssl.create_default_context(cafile=self.fake.ca_file)
        self.names = {}  # (checkpoint or backup id, disk id) -> file name, without suffix

    def download_backup(self, vm_id, backup_id, disk_ids):
        service = self._vm(vm_id).backups_service().backup_service(backup_id)
        backup = service.get()
        modes = {}
        for disk in service.disks_service().list():
            mode = disk.backup_mode.value
            base = self.base_of(backup, disk.id)
            name = f"{backup.to_checkpoint_id}.{disk.id}"
            transfer = self.open_transfer(backup_id, disk.id)
            try:
                self.save(transfer.transfer_url, name, base if mode == "incremental" else None)
            finally:
                self.close_transfer(transfer)
            self.names[backup.to_checkpoint_id, disk.id] = self.names[backup_id, disk.id] = name
            modes[disk.id] = mode
        return modes

    def restore_disk(self, vm_id, backup_id, disk_id):
        target = self.storage / f"restored.{backup_id}.{disk_id}.raw"
        self.restore(self.names[backup_id, disk_id], target)
        return target

    # -- the tool's own format --------------------------------------------------------------
    def base_of(self, backup, disk_id):
        """The file an incremental applies to: the one of its from_checkpoint_id."""
        return self.names.get((backup.from_checkpoint_id, disk_id))

    def choose(self, extents, *, incremental, size):
        """What to copy: the dirty extents of an incremental (zeros too), a full's data."""
        return [e for e in extents if (e["dirty"] if incremental else not e["zero"])]

    def save(self, url, name, base):
        http = self.http(url)
        path = urlsplit(url).path
        context = "dirty" if base else "zero"
        extents = self.read_json(http, f"{path}/extents?context={context}")
        size = extents[-1]["start"] + extents[-1]["length"]
        wanted = self.choose(extents, incremental=base is not None, size=size)
        with open(self.storage / f"{name}.raw", "wb") as out:
            out.truncate(size)
            for extent in wanted:
                if not extent["zero"]:
                    out.seek(extent["start"])
                    out.write(self.read_range(http, path, extent["start"], extent["length"]))
        index = {"base": base, "size": size, "changed": [[e["start"], e["length"]] for e in wanted]}
        (self.storage / f"{name}.json").write_text(json.dumps(index))
        http.close()

    def restore(self, name, target):
        """Lay each file of the chain over the one before, oldest first, into a sparse file."""
        chain = []
        while name is not None:
            index = json.loads((self.storage / f"{name}.json").read_text())
            chain.append((name, index))
            name = index["base"]
        with open(target, "wb") as out:
            out.truncate(chain[0][1]["size"])
            for name, index in reversed(chain):
                with open(self.storage / f"{name}.raw", "rb") as src:
                    for start, length in index["changed"]:
                        src.seek(start)
                        out.seek(start)
                        out.write(src.read(length))

    # -- plain HTTPS to the imageio endpoint ----------------------------------------------
    def http(self, url):
        parts = urlsplit(url)
        return http.client.HTTPSConnection(parts.hostname, parts.port, context=self.context)

    def read_json(self, http, path):
        http.request("GET", path)
        response = http.getresponse()
        assert response.status == 200, response.read()
        return json.loads(response.read())

    def read_range(self, http, path, start, length):
        http.request("GET", path, headers={"Range": f"bytes={start}-{start + length - 1}"})
        response = http.getresponse()
        assert response.status == 206, response.read()
        return response.read()

    # -- image transfers, as the SDK's examples/helpers/imagetransfer.py ----------------------
    def open_transfer(self, backup_id, disk_id):
        types = self._sdk.types
        transfers = self.connection.system_service().image_transfers_service()
        transfer = transfers.add(
            types.ImageTransfer(
                disk=types.Disk(id=disk_id),
                backup=types.Backup(id=backup_id),
                direction=types.ImageTransferDirection.DOWNLOAD,
                format=types.DiskFormat.RAW,
            )
        )
        service = transfers.image_transfer_service(transfer.id)
        while transfer.phase == types.ImageTransferPhase.INITIALIZING:
            transfer = service.get()
        assert transfer.phase == types.ImageTransferPhase.TRANSFERRING, transfer.phase
        return transfer

    def close_transfer(self, transfer):
        phases = self._sdk.types.ImageTransferPhase
        service = self.connection.system_service().image_transfers_service()
        service = service.image_transfer_service(transfer.id)
        service.finalize()
        while transfer.phase != phases.FINISHED_SUCCESS:
            transfer = service.get()
            assert transfer.phase != phases.FINISHED_FAILURE, transfer.id


def test_my_tool_restores_every_backup_exactly(fakeovirt):
    # Every round downloads and restores: ten examples keep this test quick; the default
    # settings (DEFAULT_SETTINGS) are what bench/bench_contract.py measures.
    MyToolMachine.run(fakeovirt, settings=settings(DEFAULT_SETTINGS, max_examples=10))
