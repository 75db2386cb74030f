"""`fakeovirt demo`: a narrated full-then-incremental backup, offline, in seconds.

It starts its own fake engine, then acts as a backup tool would: the real `ovirtsdk4` for the
API, the real `ovirt_imageio.client` for the bytes, `qemu-img` to check that the restored
chain (incremental on top of full) equals the disk as it was at the incremental backup.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from .core.content import ContentView
from .core.policy import TransitionPolicy
from .core.scenario import DEMO
from .fake import FakeOvirt

__all__ = ["DemoFailed", "run_demo"]

VM_NAME = "vm-up"
MAX_POLLS = 20
MiB = 1 << 20
WHY = {
    "initializing": "the engine prepares: it takes a temporary snapshot of the disks, so the "
    "backup reads them as they are now while the guest keeps writing",
    "starting": "the host starts the backup job and exports the disks over NBD",
    "ready": "the disks can be downloaded; the engine created checkpoint {checkpoint} that "
    "marks this point in time for the next incremental backup",
    "finalizing": "the engine stops the backup job and removes the temporary snapshot",
    "succeeded": "the backup is over; its checkpoint stays on the VM",
}


class DemoFailed(Exception):
    """A step of the demo did not go as a real engine would let it."""


def run_demo(
    workdir: Path | None = None,
    *,
    out: TextIO | None = None,
    pace: float = 0.0,
    keep_serving: Callable[[], object] | None = None,
) -> int:
    """Run the demo; 0 when the restored chain equals the disk, non-zero otherwise.

    `pace` seconds pass after each narrated step. With `keep_serving`, the engine and its
    dashboard stay up after the demo until that call returns (the CLI waits for Ctrl-C).
    """
    stream = out or sys.stdout
    missing = _missing_tools()
    if missing:
        print(f"fakeovirt demo needs {', '.join(missing)}: {_HINTS}", file=sys.stderr)
        return 2
    with _workdir(workdir) as where:
        demo = Demo(where, stream, pace=pace)
        return demo.run(keep_serving)


_HINTS = (
    "pip install 'fakeovirt[test]' (ovirt-engine-sdk-python, ovirt-imageio) "
    "and apt-get install qemu-utils (qemu-img, qemu-nbd)"
)


def _missing_tools() -> list[str]:
    missing = [tool for tool in ("qemu-img", "qemu-nbd") if shutil.which(tool) is None]
    for module in ("ovirtsdk4", "ovirt_imageio"):
        try:
            __import__(module)
        except ImportError:
            missing.append(module)
    return missing


@contextmanager
def _workdir(workdir: Path | None) -> Iterator[Path]:
    if workdir is not None:
        workdir.mkdir(parents=True, exist_ok=True)
        yield workdir
        return
    with tempfile.TemporaryDirectory(prefix="fakeovirt-demo-") as tmp:
        yield Path(tmp)


class Demo:
    """The demo's steps, each narrated before it happens."""

    def __init__(
        self,
        workdir: Path,
        out: TextIO,
        *,
        pace: float = 0.0,
        sleep: Callable[[float], object] = time.sleep,
    ) -> None:
        import ovirtsdk4
        import ovirtsdk4.types

        self.sdk = ovirtsdk4
        self.types = ovirtsdk4.types
        self.workdir = workdir
        self.out = out
        self.pace = pace
        self.sleep = sleep
        self.started = time.monotonic()

    def say(self, text: str = "", *, indent: int = 0) -> None:
        """Narrate a step, then give a watcher `pace` seconds to see it on the dashboard."""
        print(" " * indent + text, file=self.out, flush=True)
        if text and self.pace:
            self.sleep(self.pace)

    def run(self, keep_serving: Callable[[], object] | None = None) -> int:
        """The story; 0 when it ends with the restore check passed, 1 when a step failed."""
        # Phases move one step per read of the backup: the demo sees every phase.
        with FakeOvirt(DEMO, policy=TransitionPolicy.after_reads(1)) as fake:
            self.fake = fake
            self.say(f"fakeovirt demo: a fake oVirt engine is serving at {fake.url}")
            self.say(f"Backups go to {self.workdir}")
            self.say(f"Dashboard (while it runs): {fake.origin}/fakeovirt/dashboard")
            code = self._tell()
            if keep_serving is not None:
                self.say()
                self.say(f"The engine keeps serving at {fake.url} (CA file {fake.ca_file})")
                self.say(f"Dashboard: {fake.origin}/fakeovirt/dashboard  (Ctrl-C stops it)")
                keep_serving()
                self.say("fakeovirt stopped")
        return code

    def _tell(self) -> int:
        connection = self.sdk.Connection(**self.fake.connection_kwargs())
        try:
            self.connection = connection
            self.story()
        except self.sdk.Error as error:
            self.say(f"\nDEMO FAILED: the engine answered an error: {error}")
            return 1
        except DemoFailed as error:
            self.say(f"\nDEMO FAILED: {error}")
            return 1
        finally:
            connection.close()
        return 0

    # -- the story ------------------------------------------------------------------------
    def story(self) -> None:
        system = self.connection.system_service()
        vm = system.vms_service().list(search=f"name={VM_NAME}")[0]
        self.vm_service = system.vms_service().vm_service(vm.id)
        attachments = self.vm_service.disk_attachments_service().list()
        disks = [system.disks_service().disk_service(a.disk.id).get() for a in attachments]
        self.say()
        self.say(f"VM {vm.name} is {vm.status.value}, with {len(disks)} disks:")
        for disk in disks:
            self.say(
                f"- {disk.alias}: {disk.provisioned_size // MiB} MiB, format "
                f"{disk.format.value} (qcow2), backup {disk.backup.value}",
                indent=2,
            )

        self.chapter("1. Full backup", "No from_checkpoint_id: the engine backs up whole disks.")
        full = self.start_backup(disks, None)
        full_files = {d.id: self.download(full, d, "full") for d in disks}
        self.finalize(full)

        self.chapter(
            "2. The guest writes",
            "Every write marks blocks dirty in the disk's bitmap, so the engine knows what "
            "changed since the checkpoint.",
        )
        self.guest_writes(disks, full.to_checkpoint_id)

        self.chapter(
            "3. Incremental backup",
            f"from_checkpoint_id={full.to_checkpoint_id}: only what changed since then.",
        )
        incremental = self.start_backup(disks, full.to_checkpoint_id)
        modes = self.vm_service.backups_service().backup_service(incremental.id)
        aliases = {d.id: d.alias for d in disks}
        for disk in modes.disks_service().list():
            self.say(f"{aliases[disk.id]}: backup_mode {disk.backup_mode.value}", indent=2)
        expected = self.content_at_backup(incremental)
        self.say("Meanwhile the guest keeps writing; the backup's snapshot does not see it.")
        self.fake.guest_write(disks[0].id, 0, b"written during the backup" * 100)
        inc_files = {
            d.id: self.download(incremental, d, "incremental", backing=full_files[d.id])
            for d in disks
        }
        self.finalize(incremental)

        self.chapter(
            "4. Check the restore",
            "qemu-img reads each incremental file on top of its full backing file and "
            "compares the result with the disk as it was at the incremental backup.",
        )
        for disk in disks:
            self.check(disk, inc_files[disk.id], expected[disk.id])
        took = time.monotonic() - self.started
        self.say()
        self.say(f"OK: every restored chain equals its disk at backup time ({took:.1f} s).")

    def chapter(self, title: str, why: str) -> None:
        self.say()
        self.say(f"== {title} ==")
        self.say(why)

    # -- steps ---------------------------------------------------------------------------------
    def start_backup(self, disks: list[Any], checkpoint: str | None) -> Any:
        types = self.types
        service = self.vm_service.backups_service()
        backup = service.add(
            types.Backup(disks=[types.Disk(id=d.id) for d in disks], from_checkpoint_id=checkpoint)
        )
        self.say(f"POST /vms/{{id}}/backups -> backup {backup.id}")
        backup = self.follow(service.backup_service(backup.id), backup, types.BackupPhase.READY)
        return backup

    def follow(self, service: Any, backup: Any, until: Any) -> Any:
        """Poll the backup, narrating each phase, until it reaches `until`."""
        seen = None
        for _ in range(MAX_POLLS):
            if backup.phase != seen:
                seen = backup.phase
                why = WHY.get(seen.value, "").format(checkpoint=backup.to_checkpoint_id)
                self.say(f"phase {seen.value:<13}{why}", indent=2)
            if backup.phase == until:
                return backup
            if backup.phase == self.types.BackupPhase.FAILED:
                raise DemoFailed(f"backup {backup.id} failed")
            backup = service.get()
        raise DemoFailed(f"backup {backup.id} stayed {backup.phase.value}")

    def finalize(self, backup: Any) -> None:
        service = self.vm_service.backups_service().backup_service(backup.id)
        self.say(f"POST .../backups/{backup.id[:8]}/finalize: the tool has all it needs")
        service.finalize()
        self.follow(service, service.get(), self.types.BackupPhase.SUCCEEDED)

    def download(self, backup: Any, disk: Any, kind: str, backing: Path | None = None) -> Path:
        from ovirt_imageio import client

        types = self.types
        transfers = self.connection.system_service().image_transfers_service()
        transfer = transfers.add(
            types.ImageTransfer(
                disk=types.Disk(id=disk.id),
                backup=types.Backup(id=backup.id),
                direction=types.ImageTransferDirection.DOWNLOAD,
                format=types.DiskFormat.RAW,
            )
        )
        service = transfers.image_transfer_service(transfer.id)
        for _ in range(MAX_POLLS):
            if transfer.phase == types.ImageTransferPhase.TRANSFERRING:
                break
            transfer = service.get()
        else:
            raise DemoFailed(f"transfer {transfer.id} never started")
        path = self.workdir / f"{kind}-{disk.alias}.qcow2"
        self.say(f"image transfer {transfer.id[:8]}: {disk.alias} -> {path.name}", indent=2)
        progress = client.ProgressBar(phase=f"downloading {disk.alias}", output=self.out)
        try:
            with progress:
                client.download(
                    transfer.transfer_url,
                    str(path),
                    self.fake.ca_file,
                    incremental=backing is not None,
                    backing_file=str(backing) if backing else None,
                    backing_format="qcow2" if backing else None,
                    progress=progress,
                )
        finally:
            service.finalize()
        for _ in range(MAX_POLLS):
            transfer = service.get()
            if transfer.phase == types.ImageTransferPhase.FINISHED_SUCCESS:
                break
            if transfer.phase == types.ImageTransferPhase.FINISHED_FAILURE:
                raise DemoFailed(f"transfer {transfer.id} failed")
        else:
            raise DemoFailed(f"transfer {transfer.id} never finished")
        what = "dirty extents only" if backing else "allocated extents only"
        self.say(f"read {transfer.transferred // 1024} KiB ({what})", indent=4)
        return path

    def guest_writes(self, disks: list[Any], checkpoint: str) -> None:
        writes = [
            (disks[0], 5 * MiB, b"hello from the guest " * 4000),
            (disks[0], 300 * MiB + 12345, b"\x42" * (2 * MiB)),
            (disks[-1], 0, b"new boot sector".ljust(512, b"\0")),
        ]
        for disk, offset, data in writes:
            self.fake.guest_write(disk.id, offset, data)
            self.say(f"{disk.alias}: {len(data)} bytes at offset {offset}", indent=2)
        with self.fake.lock:
            marks = self.fake.engine.state.checkpoints[checkpoint].marks
            for disk in disks:
                content = self.fake.engine.disk(disk.id).content
                dirty = [e for e in content.dirty_extents(marks[disk.id]) if e.dirty]
                size = sum(e.length for e in dirty)
                self.say(
                    f"{disk.alias}: {len(dirty)} dirty extent(s), {size // 1024} KiB to back up",
                    indent=2,
                )

    def content_at_backup(self, backup: Any) -> dict[str, ContentView]:
        with self.fake.lock:
            model = self.fake.engine.backup(self.fake.vm(VM_NAME).id, backup.id)
            return dict(model.views)

    def check(self, disk: Any, image: Path, expected: ContentView) -> None:
        raw = self.workdir / f"expected-{disk.alias}.raw"
        _write_raw(expected, raw)
        chain = subprocess.run(
            ["qemu-img", "info", "--backing-chain", "--output=json", str(image)],
            capture_output=True,
            text=True,
            check=False,
        )
        compare = subprocess.run(
            ["qemu-img", "compare", "-f", "qcow2", "-F", "raw", str(image), str(raw)],
            capture_output=True,
            text=True,
            check=False,
        )
        raw.unlink()
        if chain.returncode != 0 or compare.returncode != 0:
            detail = (compare.stdout + compare.stderr + chain.stderr).strip()
            raise DemoFailed(f"{image.name} differs from {disk.alias}: {detail}")
        self.say(
            f"{image.name} (backing {image.name.replace('incremental', 'full')}): identical",
            indent=2,
        )


def _write_raw(content: ContentView, path: Path) -> None:
    """The content as a sparse raw image."""
    with path.open("wb") as out:
        out.truncate(content.size)
        for extent in content.zero_extents():
            if not extent.zero:
                out.seek(extent.start)
                out.write(content.read(extent.start, extent.length))
