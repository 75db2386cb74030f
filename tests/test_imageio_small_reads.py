"""A small ranged read goes out as one piece (its head and body in one write) and is still
exactly the disk's bytes: across a block boundary, across zeros and data, at the edges."""

from __future__ import annotations

import http.client
import ssl
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from fakeovirt import DiskSpec, FakeOvirt, Scenario, TransitionPolicy, VmSpec
from fakeovirt.core.transfers import TransferRequest

BLOCK = 64 * 1024
DATA = bytes(range(1, 251)) * 4  # 1000 bytes, no zero among them


@pytest.fixture(scope="module")
def download() -> Iterator[tuple[http.client.HTTPSConnection, str, bytes]]:
    """A kept-alive connection to a download of a disk of zeros with `DATA` written across
    the first block boundary, the ticket's path, and the disk's first 4 blocks."""
    scenario = Scenario(
        name="small-reads",
        vms=(
            VmSpec(
                "vm-reads",
                status="down",
                disks=(DiskSpec("reads-disk", size=4 * BLOCK, seeded_blocks=0),),
            ),
        ),
    )
    fake = FakeOvirt(scenario, policy=TransitionPolicy.immediate())
    at = BLOCK - len(DATA) // 2
    fake.guest_write("reads-disk", at, DATA)
    fake.start()
    disk = fake.disk("reads-disk")
    request = TransferRequest(disk.id, direction="download", format="raw", inactivity_timeout=0)
    with fake.lock:
        transfer = fake.engine.start_transfer(request)
        transfer = fake.engine.transfer(transfer.id, observe=True)
    assert fake.origin is not None and fake.ca_file is not None
    parts = urlsplit(fake.origin)
    context = ssl.create_default_context(cafile=fake.ca_file)
    connection = http.client.HTTPSConnection(parts.netloc, context=context)
    content = bytes(at) + DATA + bytes(4 * BLOCK - at - len(DATA))
    try:
        yield connection, f"/images/{transfer.ticket}", content
    finally:
        connection.close()
        fake.stop()


@pytest.mark.parametrize(
    ("offset", "length"),
    [
        (BLOCK - 600, 1200),  # zeros, data across the block boundary, zeros
        (BLOCK - 500, 1000),  # exactly the data
        (0, 16 * 1024),  # a whole small chunk of zeros only
        (BLOCK - 8 * 1024, 16 * 1024),  # the largest chunk sent as one piece
        (BLOCK - 8 * 1024, 16 * 1024 + 1),  # one byte more: sent in its pieces
        (BLOCK + 499, 2),  # the last data byte and a zero
    ],
)
def test_a_small_ranged_read_is_the_disks_bytes(
    download: tuple[http.client.HTTPSConnection, str, bytes], offset: int, length: int
) -> None:
    connection, path, content = download
    last = offset + length - 1
    connection.request("GET", path, headers={"Range": f"bytes={offset}-{last}"})
    response = connection.getresponse()
    body = response.read()
    assert response.status == 206
    assert body == content[offset : offset + length]
