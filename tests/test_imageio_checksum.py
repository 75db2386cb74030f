"""The checksum endpoint: the daemon's block hash, checked against the daemon's own code.

The oracle is ovirt-imageio itself: `ovirt_imageio._internal.handlers.checksum.compute` (the
daemon's checksum operation, shipped with the client) run over the same bytes and extents,
and `ovirt_imageio.client.checksum` of an image the real client downloaded. Texts are those of
ovirt-imageio v2.5.1 `_internal/handlers/checksum.py:34-95`.
"""

from __future__ import annotations

import hashlib
import json
import ssl
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ovirtsdk4 as sdk
import ovirtsdk4.types as types
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ovirt_imageio import client as imageio_client
from ovirt_imageio._internal import extent as daemon_extent
from ovirt_imageio._internal.handlers import checksum as daemon_checksum

from fakeovirt import DEMO, DiskSpec, FakeOvirt, Scenario, VmSpec
from fakeovirt.core import checksum
from fakeovirt.core.content import BLOCK_SIZE, ContentView, DiskContent
from fakeovirt.core.transfers import TransferRequest
from tests import sdkflow
from tests.qemutools import require_qemu
from tests.sdkexamples import examples_dir, run_example
from tests.smalldisks import small

B = BLOCK_SIZE
MIB = 1024 * 1024
GIB = 1024 * MIB
FORBIDDEN = "You are not allowed to access this resource: "
# The demo's disks at 160 MiB (the writes below reach 132 MiB), seeded as densely as the
# demo's 1 GiB ones: every checksum and download reads a sixth of the bytes.
pytestmark = pytest.mark.fakeovirt(scenario=small(DEMO, 160 * MIB, seeded_blocks=8))


class ContentBackend:
    """The daemon's backend interface over fakeovirt content, for its checksum operation."""

    def __init__(self, content: DiskContent | ContentView) -> None:
        self._content = content
        self._position = 0
        self.reads = 0

    def size(self) -> int:
        return self._content.size

    def extents(self, context: str = "zero") -> Iterator[Any]:
        for e in self._content.zero_extents():
            yield daemon_extent.ZeroExtent(e.start, e.length, e.zero, e.hole)

    def seek(self, offset: int) -> int:
        self._position = offset
        return offset

    def readinto(self, buf: memoryview) -> int:
        length = min(len(buf), self._content.size - self._position)
        buf[:length] = self._content.read(self._position, length)
        self._position += length
        self.reads += 1
        return length


def daemon_answer(
    content: DiskContent | ContentView, algorithm: str = "blake2b", block_size: int = 4 * MIB
) -> dict[str, Any]:
    """What the daemon's checksum operation answers for this content."""
    result: dict[str, Any] = daemon_checksum.compute(
        ContentBackend(content), bytearray(block_size), algorithm=algorithm
    )
    return result


def ours(
    content: DiskContent | ContentView, algorithm: str = "blake2b", block_size: int = 4 * MIB
) -> dict[str, Any]:
    return checksum.compute(
        content.size, content.zero_extents(), content.read, algorithm, block_size
    )


# The algorithm (blkhash.py, checksum.py:98-147)

writes = st.lists(
    st.tuples(
        st.sampled_from(["write", "zero"]),
        st.integers(0, 48 * B - 1),
        st.integers(1, 3 * B),
        st.integers(0, 255),
    ),
    max_size=12,
)


@settings(max_examples=60, deadline=None)
@given(
    changes=writes,
    blocks=st.integers(1, 48),
    block_size=st.sampled_from([4096, B, 3 * 4096 * 100, MIB, 4 * MIB]),
    algorithm=st.sampled_from(["blake2b", "blake2s", "sha256", "md5", "sha3_256"]),
)
def test_the_checksum_is_the_daemons_for_any_content(
    changes: list[tuple[str, int, int, int]], blocks: int, block_size: int, algorithm: str
) -> None:
    disk = DiskContent(blocks * B)
    for kind, offset, length, byte in changes:
        offset, length = offset % disk.size, min(length, disk.size - offset % disk.size)
        if kind == "write":
            disk.write(offset, bytes([byte]) * length)
        else:
            disk.zero(offset, length)
    expected = daemon_answer(disk, algorithm, block_size)
    assert ours(disk, algorithm, block_size) == expected
    reference = checksum.blkhash(disk.read(0, disk.size), algorithm, block_size)
    assert expected["checksum"] == reference


def test_the_checksum_of_a_plain_byte_string_is_the_documented_algorithm() -> None:
    data = b"".join(bytes([i]) * (MIB + 7) for i in range(5))
    outer = hashlib.blake2b(digest_size=32)
    for offset in range(0, len(data), 4 * MIB):
        outer.update(hashlib.blake2b(data[offset : offset + 4 * MIB], digest_size=32).digest())
    assert checksum.blkhash(data) == outer.hexdigest()


def test_a_one_tib_disk_reads_only_its_data_blocks() -> None:
    """Zero extents stand for their blocks: 3 data blocks read, 65 533 zero blocks not."""
    disk = DiskContent(1 << 40)
    disk.write(0, b"boot")
    disk.write((1 << 39) + 5, b"middle" * 1000)
    disk.zero(1 << 38, 64 * MIB)
    disk.write((1 << 40) - 10, b"tail")
    reads: list[tuple[int, int]] = []

    def read(offset: int, length: int) -> bytes:
        reads.append((offset, length))
        return disk.read(offset, length)

    block = 16 * MIB
    answer = checksum.compute(disk.size, disk.zero_extents(), read, "blake2b", block)
    assert reads == [(0, block), (1 << 39, block), ((1 << 40) - block, block)]
    assert answer == daemon_answer(disk, block_size=block)


def test_the_zero_block_digest_is_computed_once_per_algorithm_and_length() -> None:
    checksum.zero_digest.cache_clear()
    disk = DiskContent(64 * MIB)
    for _ in range(3):
        ours(disk, "sha256", MIB)
    info = checksum.zero_digest.cache_info()
    assert (info.misses, info.hits) == (1, 2)
    assert checksum.zero_digest("sha256", MIB) == hashlib.sha256(bytes(MIB)).digest()


@pytest.mark.parametrize("algorithm", ["shake_128", "sha512_256", "md5-sha1", "no_such"])
def test_an_algorithm_the_daemon_cannot_run_is_refused(algorithm: str) -> None:
    with pytest.raises(checksum.UnsupportedAlgorithm):
        checksum.hasher(algorithm)


# The endpoint (checksum.py:34-95)


@pytest.fixture
def ticket(fake: FakeOvirt) -> str:
    """The ticket of a download of vm-down-disk1, with data, a zeroed run and holes."""
    disk = fake.disk("vm-down-disk1")
    fake.guest_write(disk.id, 3 * MIB + 5, b"data" * 100_000)
    fake.guest_write(disk.id, 20 * MIB, bytes(8 * MIB))
    transfer = fake.engine.start_transfer(
        TransferRequest(disk.id, direction="download", format="raw")
    )
    return transfer.ticket


def test_the_checksum_answers_the_daemons_json(fake: FakeOvirt, ticket: str) -> None:
    response = fake.client().get(f"/images/{ticket}/checksum")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.data.endswith(b"}\n")
    assert response.json == daemon_answer(fake.disk("vm-down-disk1").content)
    assert response.json is not None and response.json["algorithm"] == "blake2b"
    assert response.json["block_size"] == 4 * MIB


def test_the_checksum_takes_an_algorithm_and_a_block_size(fake: FakeOvirt, ticket: str) -> None:
    response = fake.client().get(f"/images/{ticket}/checksum?algorithm=sha1&block_size=1048576")
    content = fake.disk("vm-down-disk1").content
    assert response.json == daemon_answer(content, "sha1", MIB)


def test_the_algorithms_are_pythons_sorted_without_a_ticket(fake: FakeOvirt) -> None:
    response = fake.client().get("/images/anything/checksum/algorithms")
    assert response.status_code == 200
    assert response.json == {"algorithms": sorted(hashlib.algorithms_available)}


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("algorithm=crc32", "Unsupported value 'crc32' for 'algorithm', expecting one of {}"),
        ("block_size=big", "Invalid block size: 'big'"),
        ("block_size=1048575", "Block size out of allowed range: 1048576-16777216"),
        ("block_size=16777217", "Block size out of allowed range: 1048576-16777216"),
        ("block_size=1050000", "Block size is not aligned to 4096"),
    ],
)
def test_a_bad_algorithm_or_block_size_is_400_before_the_ticket(
    fake: FakeOvirt, query: str, text: str
) -> None:
    response = fake.client().get(f"/images/no-such-ticket/checksum?{query}")
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "text/plain; charset=UTF-8"
    expected = text.format(sorted(hashlib.algorithms_available))
    assert response.get_data(as_text=True) == expected + "\n"


def test_an_algorithm_the_daemon_lists_but_cannot_run_is_400_not_its_500(
    fake: FakeOvirt, ticket: str
) -> None:
    response = fake.client().get(f"/images/{ticket}/checksum?algorithm=shake_128")
    assert response.status_code == 400
    assert response.data == b"Algorithm 'shake_128' cannot compute a block checksum\n"


def test_an_unknown_ticket_is_403_and_keeps_the_connection(fake: FakeOvirt) -> None:
    """The checksum handler, unlike the others, does not close the connection on a 403."""
    response = fake.client().get("/images/nope/checksum")
    assert response.status_code == 403
    assert response.data == (FORBIDDEN + "No such ticket nope\n").encode()
    assert "Connection" not in response.headers


def test_an_upload_ticket_may_checksum_what_was_written(fake: FakeOvirt) -> None:
    disk = fake.disk("vm-down-disk1")
    transfer = fake.engine.start_transfer(
        TransferRequest(disk.id, direction="upload", format="raw")
    )
    client = fake.client()
    assert client.put(f"/images/{transfer.ticket}", data=b"uploaded").status_code == 200
    response = client.get(f"/images/{transfer.ticket}/checksum")
    assert response.json == daemon_answer(disk.content)


def test_a_large_sparse_disk_answers_without_reading_its_zeros() -> None:
    fake = FakeOvirt(
        Scenario(
            name="big",
            vms=(
                VmSpec(
                    "vm", status="down", disks=(DiskSpec("big", size=1 << 40, seeded_blocks=3),)
                ),
            ),
        )
    )
    disk = fake.disk("big")
    transfer = fake.engine.start_transfer(
        TransferRequest(disk.id, direction="download", format="raw")
    )
    response = fake.client().get(f"/images/{transfer.ticket}/checksum?block_size=16777216")
    assert response.status_code == 200
    data_blocks = {e.start // (16 * MIB) for e in disk.content.zero_extents() if not e.zero}
    assert fake.engine.transfer(transfer.id).transferred == len(data_blocks) * 16 * MIB
    assert response.json == daemon_answer(disk.content, block_size=16 * MIB)


# The real clients


def served_checksum(fake: FakeOvirt, transfer_url: str, **query: int | str) -> dict[str, Any]:
    suffix = "?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""
    context = ssl.create_default_context(cafile=fake.ca_file)
    with urllib.request.urlopen(transfer_url + "/checksum" + suffix, context=context) as r:
        answer: dict[str, Any] = json.loads(r.read())
    return answer


def test_the_clients_checksum_of_a_downloaded_image_is_the_served_one(
    fake: FakeOvirt, connection: sdk.Connection, tmp_path: Path
) -> None:
    """Data, holes and zeroed extents; raw and qcow2 downloads; two block sizes."""
    require_qemu()
    disk = fake.disk("vm-down-disk1")
    fake.guest_write(disk.id, 0, b"boot sector")
    fake.guest_write(disk.id, 3 * MIB + 17, b"x" * (5 * MIB))
    fake.guest_write(disk.id, 4 * MIB, bytes(MIB))  # zeros inside data
    fake.guest_write(disk.id, 100 * MIB, bytes(32 * MIB))  # a zeroed run
    fake.guest_write(disk.id, disk.content.size - 3, b"end")
    kinds = {e.zero for e in disk.content.zero_extents()} | {
        e.hole for e in disk.content.zero_extents()
    }
    assert kinds == {True, False}
    transfer = sdkflow.create_transfer(connection, disk.id, types.ImageTransferDirection.DOWNLOAD)
    try:
        served = served_checksum(fake, transfer.transfer_url)
        served_1m = served_checksum(fake, transfer.transfer_url, block_size=MIB)
        for fmt in ("raw", "qcow2"):
            path = tmp_path / f"disk.{fmt}"
            imageio_client.download(transfer.transfer_url, str(path), fake.ca_file, fmt=fmt)
            assert imageio_client.checksum(str(path)) == served, fmt
            assert imageio_client.checksum(str(path), block_size=MIB) == served_1m, fmt
    finally:
        sdkflow.finalize_transfer(connection, transfer)
    assert served["checksum"] != served_1m["checksum"]


def test_the_sdk_example_checksum_disk_works_unmodified(fake: FakeOvirt, tmp_path: Path) -> None:
    examples = examples_dir()
    disk = fake.disk("vm-down-disk1")
    fake.guest_write(disk.id, 7 * MIB, b"checksum me" * 1000)
    result = run_example(examples, "checksum_disk.py", fake, tmp_path, disk.id, in_process=True)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == daemon_answer(fake.disk("vm-down-disk1").content)
    assert fake.disk("vm-down-disk1").status == "ok", "the example finalized its transfer"
