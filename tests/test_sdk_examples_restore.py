"""The SDK's own disk and VM examples, unmodified, against a served fake.

The examples hard-coding `https://engine40.example.com/ovirt-engine/api` (add_floating_disk,
add_vm_disk, extend_disk, deactivate_disk_attachment, download_vm_ovf) reach a plain-HTTP
fake through `tests/connect_proxy.py`, as `test_sdk_examples_wire.py` does; those taking
`-c fake` (upload_disk, add_disks, delete_disks) read `~/.config/ovirt.conf`
(`tests/sdkexamples.py`). The inventory is `docs/examples/sdk-examples.toml`'s (`myvm`,
`mydisk`, `mydata`, `bs-scsi-012`), one fresh fake per test. `ovirt-img upload-disk`
(ovirt-imageio's CLI) reads `~/.config/ovirt-img.conf`.

Note on the defaults: the real engine refuses a COW disk that is neither sparse nor
enabled for incremental backup ("Disk configuration (COW Preallocated backup-None) is
incompatible with the storage domain type."), so add_disks.py runs with `--sparse` or
`--format raw` and upload_disk.py of a qcow2 image with `--disk-sparse`, as on a real engine.
"""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from fakeovirt import FakeOvirt, Scenario
from fakeovirt.core.model import Disk
from fakeovirt.core.ovf import OVF_URI
from tests.inprocess import run_script
from tests.qemutools import require_qemu
from tests.sdkexamples import (
    ENGINE40_USERS,
    QUICK_SLEEP,
    as_engine40,
    example_environment,
    examples_dir,
    run_example,
    run_hardcoded,
    write_engine_config,
)

SCENARIO = Path(__file__).parent.parent / "docs" / "examples" / "sdk-examples.toml"
GiB = 1 << 30
MiB = 1 << 20
OVF = f"{{{OVF_URI}}}"


@pytest.fixture(scope="module")
def examples() -> Path:
    return examples_dir()


@pytest.fixture
def engine40(tmp_path: Path) -> Iterator[tuple[FakeOvirt, Path, str]]:
    """`(fake, working directory holding ca.pem, proxy url)`: the examples' engine."""
    with as_engine40(
        FakeOvirt(Scenario.load(SCENARIO), users=ENGINE40_USERS, strict=True), tmp_path
    ) as served:
        yield served
    assert served[0].errors == []


@pytest.fixture
def served(tmp_path: Path) -> Iterator[FakeOvirt]:
    """The examples' inventory over HTTPS, for `-c fake` scripts and imageio."""
    fake = FakeOvirt(Scenario.load(SCENARIO), strict=True)
    fake.start(ca_dir=tmp_path / "ca")
    yield fake
    fake.stop()
    assert fake.errors == []


def run_config(
    examples: Path, fake: FakeOvirt, home: Path, script: str, *args: str, in_process: bool = True
) -> subprocess.CompletedProcess[str]:
    """In the test process unless asked (tests/inprocess.py); one run of each runner here is
    a process of its own: upload_disk.py with --disk-id, add_floating_disk.py, and ovirt-img
    (test_sdk_examples_snapshots.py has a failing one, vm_backup.py)."""
    done = run_example(examples, script, fake, home, *args, in_process=in_process)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def statuses(fake: FakeOvirt, method_path: str) -> list[int]:
    return [e.status for e in fake.journal.requests(method_path)]


# -- disks and attachments ----------------------------------------------------------------
def test_add_floating_disk_creates_mydisk_on_mydata(
    examples: Path, engine40: tuple[FakeOvirt, Path, str]
) -> None:
    fake = engine40[0]
    before = set(fake.engine.state.disks)
    run_hardcoded(examples, engine40, "add_floating_disk.py")
    (new,) = (fake.engine.state.disks[d] for d in set(fake.engine.state.disks) - before)
    assert (new.alias, new.description, new.format, new.provisioned_size) == (
        "mydisk",
        "My disk",
        "cow",
        10 * GiB,
    )
    assert fake.engine.state.storage_domains[new.storage_domain_id].name == "mydata"
    assert fake.engine.state.vm_of_disk(new.id) is None
    assert new.status == "ok"
    assert statuses(fake, "POST /disks") == [202]
    assert [e.code for e in fake.events()][-2:] == [2020, 2021]  # started, finished


def test_add_vm_disk_attaches_a_new_disk_to_myvm(
    examples: Path, engine40: tuple[FakeOvirt, Path, str]
) -> None:
    fake = engine40[0]
    run_hardcoded(examples, engine40, "add_vm_disk.py", in_process=True)
    vm = fake.vm("myvm")
    attachments = {fake.engine.state.disks[a.disk_id].description: a for a in vm.attachments}
    added = attachments["My disk"]
    assert (added.interface, added.bootable, added.active) == ("virtio", False, True)
    assert fake.engine.state.disks[added.disk_id].status == "ok"
    assert statuses(fake, f"POST /vms/{vm.id}/diskattachments") == [202]  # AddDisk: async


def test_extend_disk_grows_a_new_iscsi_disk_to_12_gib(
    examples: Path, engine40: tuple[FakeOvirt, Path, str]
) -> None:
    fake = engine40[0]
    run_hardcoded(examples, engine40, "extend_disk.py", in_process=True)
    vm = fake.vm("myvm")
    (disk,) = (
        fake.engine.state.disks[a.disk_id]
        for a in vm.attachments
        if fake.engine.state.disks[a.disk_id].description == "my disk"
    )
    assert fake.engine.state.storage_domains[disk.storage_domain_id].name == "bs-scsi-012"
    assert (disk.provisioned_size, disk.status) == (12 * GiB, "ok")
    assert disk.content.size == 12 * GiB
    (extended,) = fake.events(code=371)
    assert extended.description == (
        "Size of the disk 'mydisk' was successfully updated to 12 GB by admin@internal."
    )


def test_deactivate_disk_attachment_unplugs_mydisk(
    examples: Path, engine40: tuple[FakeOvirt, Path, str]
) -> None:
    fake = engine40[0]
    run_hardcoded(examples, engine40, "deactivate_disk_attachment.py", in_process=True)
    vm = fake.vm("myvm")
    (attachment,) = (a for a in vm.attachments if a.disk_id == fake.disk("mydisk").id)
    assert attachment.active is False
    # HotUnPlugDiskFromVm, then UpdateDisk (BackendDiskAttachmentResource.update)
    assert [e.code for e in fake.events()][-2:] == [2002, 88]


def test_download_vm_ovf_writes_an_ovf_naming_myvms_disks(
    examples: Path, engine40: tuple[FakeOvirt, Path, str]
) -> None:
    fake, workdir, _ = engine40
    run_hardcoded(examples, engine40, "download_vm_ovf.py", in_process=True)
    vm = fake.vm("myvm")
    root = ET.parse(workdir / f"{vm.id}.ovf").getroot()
    assert root.tag == f"{OVF}Envelope"
    assert root.findtext("Content/Name") == "myvm"
    aliases = [d.get(f"{OVF}disk-alias") for d in root.iter("Disk")]
    assert aliases == ["mydisk"]
    disk = fake.disk("mydisk")
    assert [f.get(f"{OVF}href") for f in root.iter("File")] == [f"{disk.id}/{disk.image_id}"]


def test_add_disks_then_delete_disks(examples: Path, served: FakeOvirt, tmp_path: Path) -> None:
    before = set(served.engine.state.disks)
    home = tmp_path / "home"
    run_config(examples, served, home, "add_disks.py", "--sd-name", "mydata", "--count", "3",
               "--sparse", "--size", "64m")  # fmt: skip
    created = [served.engine.state.disks[d] for d in set(served.engine.state.disks) - before]
    assert sorted(d.alias for d in created) == ["disk-0", "disk-1", "disk-2"]
    assert {(d.format, d.sparse, d.status, d.provisioned_size) for d in created} == {
        ("cow", True, "ok", 64 * MiB)
    }
    run_config(examples, served, home, "add_disks.py", "--sd-name", "mydata", "--count", "1",
               "--format", "raw")  # fmt: skip
    done = run_config(examples, served, home, "delete_disks.py", "--sd-name", "mydata")
    assert done.stdout.count("Removing disk") == 4
    assert set(served.engine.state.disks) == before
    (sd,) = (s for s in served.engine.state.storage_domains.values() if s.name == "mydata")
    assert statuses(served, f"DELETE /storagedomains/{sd.id}/disks/{created[0].id}") == [200]


def test_add_disks_default_cow_preallocated_is_the_engines_refusal(
    examples: Path, served: FakeOvirt, tmp_path: Path
) -> None:
    before = set(served.engine.state.disks)
    done = run_example(examples, "add_disks.py", served, tmp_path, "--sd-name", "mydata",
                       "--count", "1", in_process=True)  # fmt: skip
    assert done.returncode != 0
    assert (
        "Cannot add Virtual Disk. Disk configuration (COW Preallocated backup-None) is "
        "incompatible with the storage domain type." in done.stderr
    )
    assert set(served.engine.state.disks) == before


# -- uploads ------------------------------------------------------------------------------
GUEST = {0: b"boot" * 1024, 3 * MiB + 512: b"\xa5" * 70_000, 9 * MiB: b"end!" * 512}
VIRTUAL = 10 * MiB


def guest_image() -> bytes:
    data = bytearray(VIRTUAL)
    for offset, chunk in GUEST.items():
        data[offset : offset + len(chunk)] = chunk
    return bytes(data)


def image(path: Path, fmt: str) -> Path:
    raw = path.with_suffix(".raw")
    raw.write_bytes(guest_image())
    if fmt == "raw":
        return raw
    subprocess.run(["qemu-img", "convert", "-f", "raw", "-O", fmt, str(raw), str(path)], check=True)
    return path


def uploaded(fake: FakeOvirt, before: set[str]) -> Disk:
    (disk_id,) = set(fake.engine.state.disks) - before
    return fake.engine.state.disks[disk_id]


@pytest.mark.parametrize(
    ("fmt", "extra", "disk_format", "sparse"),
    [
        ("qcow2", ["--disk-sparse"], "cow", True),
        ("qcow2", ["--disk-sparse", "--enable-backup"], "cow", True),
        ("raw", [], "raw", False),
        ("raw", ["--disk-format", "qcow2", "--disk-sparse"], "cow", True),
    ],
)
def test_upload_disk_holds_the_guest_bytes(
    examples: Path,
    served: FakeOvirt,
    tmp_path: Path,
    fmt: str,
    extra: list[str],
    disk_format: str,
    sparse: bool,
) -> None:
    require_qemu()
    source = image(tmp_path / f"source.{fmt}", fmt)
    before = set(served.engine.state.disks)
    done = run_config(examples, served, tmp_path / "home", "upload_disk.py", str(source),
                      "--sd-name", "mydata", *extra)  # fmt: skip
    assert "Upload completed successfully" in done.stdout
    disk = uploaded(served, before)
    assert (disk.format, disk.sparse, disk.status) == (disk_format, sparse, "ok")
    assert disk.provisioned_size == VIRTUAL
    assert disk.content.read(0, VIRTUAL) == guest_image()


def test_upload_disk_with_a_disk_id_keeps_it(
    examples: Path, served: FakeOvirt, tmp_path: Path
) -> None:
    require_qemu()
    chosen = str(uuid.uuid4())
    source = image(tmp_path / "source.raw", "raw")
    run_config(examples, served, tmp_path / "home", "upload_disk.py", str(source),
               "--sd-name", "mydata", "--disk-id", chosen, in_process=False)  # fmt: skip
    disk = served.engine.state.disks[chosen]
    assert (disk.alias, disk.status) == ("source.raw", "ok")
    assert disk.content.read(0, VIRTUAL) == guest_image()


# -- ovirt-img (ovirt-imageio's CLI) ------------------------------------------------------
def installed_script(distribution: str, name: str) -> str:
    """The console script `name` that `distribution` installed: found through the package's
    own record, so that it is the one beside the imported package (a virtualenv with the
    system's site-packages keeps the system's scripts outside its own bin/)."""
    files = importlib.metadata.distribution(distribution).files or []
    found = [f for f in files if f.name == name and f.parent.name == "bin"]
    assert found, f"{distribution} records no {name} script: pip install -e '.[test]'"
    return str(Path(str(found[0].locate())).resolve())


def ovirt_img(
    fake: FakeOvirt, home: Path, *args: str, in_process: bool = False
) -> subprocess.CompletedProcess[str]:
    """`ovirt-img` as its docs configure it: `$XDG_CONFIG_HOME/ovirt-img.conf`, a section
    per engine with `engine_url`, `username`, `password`, `cafile`; its 1 s polls shortened
    as the examples' are (tests/sdkexamples.py). A process of its own unless `in_process`
    (tests/inprocess.py, with the client's module-level record of the signal handlers it
    set taken back too: a later download in this process must not believe it handles
    signals)."""
    write_engine_config(home / ".config" / "ovirt-img.conf", fake)
    program = installed_script("ovirt-imageio", "ovirt-img")
    env = {**example_environment(home), "XDG_CONFIG_HOME": str(home / ".config")}
    if in_process:
        from ovirt_imageio.client import _app

        saved = (_app._registered_signals, _app._termination_signal)
        try:
            command = [sys.executable, program, *args]
            return run_script(command, cwd=home, env=env, sleep_cap=QUICK_SLEEP)
        finally:
            _app._registered_signals, _app._termination_signal = saved
    return subprocess.run(
        [program, *args], cwd=home, env=env, capture_output=True, text=True, timeout=120,
        check=False,
    )  # fmt: skip


@pytest.mark.parametrize("fmt", ["qcow2", "raw"])
def test_ovirt_img_upload_disk(served: FakeOvirt, tmp_path: Path, fmt: str) -> None:
    """The qcow2 upload is ovirt-img run as a process, as a user runs it; the raw one runs
    in the test process (tests/inprocess.py)."""
    require_qemu()
    source = image(tmp_path / f"source.{fmt}", fmt)
    before = set(served.engine.state.disks)
    command = ("upload-disk", "-c", "fake", "-s", "mydata", str(source))
    done = ovirt_img(served, tmp_path, *command, in_process=fmt == "raw")
    assert done.returncode == 0, done.stdout + done.stderr
    disk = uploaded(served, before)
    assert disk.status == "ok"
    assert disk.content.read(0, VIRTUAL) == guest_image()
