"""Full-download throughput of a backup disk through the real imageio client.

Prints MiB/s for `ovirt_imageio.client.download` of a backup disk with at least 1 GiB
written, and the ratio against reading the same bytes from a local file in the same run.

    python bench/bench_download.py [--written-mib 1024]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import tempfile
import time
from pathlib import Path

import ovirtsdk4 as sdk
import ovirtsdk4.types as types
from ovirt_imageio import client

from fakeovirt import DiskSpec, FakeOvirt, Scenario, TransitionPolicy, VmSpec


def local_read_seconds(path: Path) -> float:
    start = time.perf_counter()
    with path.open("rb", buffering=0) as source:
        while source.read(8 << 20):
            pass
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--written-mib", type=int, default=1024)
    args = parser.parse_args()
    written = args.written_mib << 20
    scenario = Scenario(
        name="bench",
        vms=(
            VmSpec(
                "vm-bench",
                disks=(DiskSpec("bench-disk", size=2 * written, seeded_blocks=0),),
            ),
        ),
    )
    started = time.perf_counter()
    fake = FakeOvirt(scenario, policy=TransitionPolicy.immediate())
    # Written the way a filesystem fills a disk: runs of 8 MiB with gaps between them.
    run = 8 << 20
    pattern = random.Random(0).randbytes(run)
    for index in range(written // run):
        fake.guest_write("bench-disk", index * 2 * run, pattern[index:] + pattern[:index])
    print(
        f"engine built with {args.written_mib} MiB written in {time.perf_counter() - started:.1f} s"
    )
    with fake, tempfile.TemporaryDirectory() as tmp:
        disk = fake.disk("bench-disk")
        raw = Path(tmp) / "local.raw"
        with raw.open("wb") as out:
            for extent in disk.content.zero_extents():
                if not extent.zero:
                    out.write(disk.content.read(extent.start, extent.length))
        connection = sdk.Connection(**fake.connection_kwargs())
        vm_id = fake.vm("vm-bench").id
        backups = connection.system_service().vms_service().vm_service(vm_id).backups_service()
        backup = backups.add(types.Backup(disks=[types.Disk(id=disk.id)]))
        transfers = connection.system_service().image_transfers_service()
        transfer = transfers.add(
            types.ImageTransfer(
                disk=types.Disk(id=disk.id),
                backup=types.Backup(id=backup.id),
                direction=types.ImageTransferDirection.DOWNLOAD,
                format=types.DiskFormat.RAW,
            )
        )
        local_read_seconds(raw)  # warm the page cache, as the fake's bytes are in memory
        baseline = local_read_seconds(raw)
        start = time.perf_counter()
        client.download(transfer.transfer_url, str(Path(tmp) / "full.qcow2"), fake.ca_file)
        fake_seconds = time.perf_counter() - start
        transfers.image_transfer_service(transfer.id).finalize()
        connection.close()
    mib = written / (1 << 20)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cpus, python {platform.python_version()}"
    )
    print(f"local file read: {mib / baseline:8.0f} MiB/s")
    print(f"fakeovirt download (real client, HTTPS, qcow2 output): {mib / fake_seconds:8.0f} MiB/s")
    print(f"ratio fakeovirt/local read: {baseline / fake_seconds:.3f}")


if __name__ == "__main__":
    main()
