"""The data endpoint's checksum, and the data requests a test can see on a transfer."""

import hashlib
import io

from fakeovirt import DiskSpec, FakeOvirt, Scenario, TransferRequest, VmSpec

MIB = 1024 * 1024
SMALL = Scenario(name="small", vms=(VmSpec("vm", "down", disks=(DiskSpec("disk", 64 * MIB),)),))


def blkhash(image: bytes, block_size: int = 4 * MIB) -> str:
    """The daemon's checksum, as `ovirt_imageio.client.checksum` computes it on a file."""
    outer = hashlib.blake2b(digest_size=32)
    for offset in range(0, len(image), block_size):
        block = image[offset : offset + block_size]  # the last one may be shorter
        outer.update(hashlib.blake2b(block, digest_size=32).digest())
    return outer.hexdigest()


def test_the_served_checksum_is_the_block_hash_of_the_disk():
    fake = FakeOvirt(SMALL)
    fake.guest_write("disk", 5 * MIB, b"my data")
    disk = fake.disk("disk")
    transfer = fake.start_transfer(TransferRequest(disk.id, direction="download", format="raw"))

    answer = fake.client().get(f"/images/{transfer.ticket}/checksum").get_json()

    image = disk.content.read(0, disk.content.size)
    assert answer == {"algorithm": "blake2b", "block_size": 4 * MIB, "checksum": blkhash(image)}


def test_a_torn_upload_is_on_the_transfers_record_and_in_the_journal():
    fake = FakeOvirt(SMALL)
    disk = fake.disk("disk")
    transfer = fake.start_transfer(TransferRequest(disk.id, direction="upload", format="raw"))

    # A client announces 8 MiB, sends 3 MiB and stops.
    fake.client().put(
        f"/images/{transfer.ticket}",
        input_stream=io.BytesIO(b"x" * 3 * MIB),
        environ_overrides={"CONTENT_LENGTH": str(8 * MIB)},
    )

    info = fake.transfer(transfer.id)
    assert (info.requests, info.torn, info.moved) == (1, 1, 3 * MIB)
    (torn,) = info.torn_requests
    assert (torn.method, torn.announced, torn.moved) == ("PUT", 8 * MIB, 3 * MIB)
    assert torn.reason == "the request body ended early"

    (entry,) = fake.journal.torn()  # one journal entry per data request, without its bytes
    assert (entry.method, entry.status, entry.data.moved) == ("PUT", 400, 3 * MIB)
    assert entry.line().endswith("torn, 3145728 of 8388608 bytes (the request body ended early)]")
    assert disk.content.read(0, 3 * MIB) == b"x" * 3 * MIB  # what came was written
