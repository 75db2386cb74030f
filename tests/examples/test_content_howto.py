"""The content model: reading without copies, and a disk's snapshot layers."""

import io

from fakeovirt import DiskContent, VolumeChain

ZEROS = bytes(1 << 20)


def test_stream_a_range_without_joining_it():
    disk = DiskContent(1 << 30)
    disk.write(4096, b"hello")
    sink = io.BytesIO()
    for part in disk.iter_chunks(0, 1 << 20):  # memoryviews of stored bytes, ints of zeros
        sink.write(ZEROS[:part] if isinstance(part, int) else part)
    assert sink.getvalue() == disk.read(0, 1 << 20)

    buffer = bytearray(8192)  # or fill a buffer of your own
    assert disk.readinto(0, buffer) == 8192
    assert buffer[4096:4101] == b"hello"


def test_snapshot_layers_keep_their_point_in_time():
    disk = DiskContent(1 << 20)
    chain = VolumeChain(disk, "image-1")
    disk.write(0, b"monday")
    snapshot_image = chain.create_snapshot("image-2")  # image-1 is frozen, image-2 is active
    disk.write(0, b"friday")

    monday = chain.volume(snapshot_image)
    assert monday.guest.read(0, 6) == b"monday"  # the disk as it was (full chain)
    assert chain.volume("image-2").own.read(0, 6) == b"friday"  # what the top layer holds

    assert chain.remove(snapshot_image) == "image-2"  # a backward merge, as the engine's
    assert chain.active_id == "image-1" and disk.read(0, 6) == b"friday"
