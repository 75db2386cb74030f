"""An imageio client may pause for 15 s, as a backup tool writing to slow storage does, at the
real timeouts (the daemon waits 60 s or the ticket's `inactivity_timeout`: ovirt-imageio
`ovirt_imageio/_internal/http.py:170-179`, `config.py:19-22`).

Both waits run at once, on one served fake with the default timeouts, so the module costs
15 s, not 30.
"""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import ovirtsdk4 as sdk
import ovirtsdk4.types as types
import pytest
from ovirt_imageio import client

from fakeovirt import FakeOvirt, TransitionPolicy
from tests import sdkflow

from .rawclients import request_bytes
from .servertools import MiB, pattern

PAUSE = 15.0
RANGE = 64 * MiB
DISK = "vm-up-disk1"


def stalled_ranged_get(url: str, ca_file: str, expected: bytes) -> bytes:
    """GET 64 MiB, read 4 MiB, stop reading for 15 s, then read the rest."""
    parts = urlsplit(url)
    assert parts.hostname is not None and parts.port is not None
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 256 * 1024)  # so the server stalls too
    raw.connect((parts.hostname, parts.port))
    context = ssl.create_default_context(cafile=ca_file)
    with context.wrap_socket(raw, server_hostname=parts.hostname) as sock:
        extra = f"Range: bytes=0-{len(expected) - 1}\r\n"
        sock.sendall(request_bytes(parts.path, extra=extra))
        reader = sock.makefile("rb")
        assert reader.readline().startswith(b"HTTP/1.1 206 ")
        while reader.readline() not in (b"\r\n", b""):
            pass
        body = reader.read(4 * MiB)
        time.sleep(PAUSE)
        return body + reader.read(len(expected) - len(body))


def idle_keep_alive_reads(url: str, ca_file: str) -> tuple[bytes, bytes, bool]:
    """The real client reads 1 MiB, idles 15 s on its connection, reads 1 MiB again."""
    io = client.ImageioClient(url, cafile=ca_file)
    try:
        before, after = bytearray(MiB), bytearray(MiB)
        io.read(0, before)
        sock = io._backend._con.sock  # the client does not reconnect: same socket or an error
        time.sleep(PAUSE)
        io.read(8 * MiB, after)
        return bytes(before), bytes(after), io._backend._con.sock is sock
    finally:
        io.close()


@pytest.fixture(scope="module")
def waits() -> Iterator[dict[str, Any]]:
    fake = FakeOvirt(policy=TransitionPolicy.immediate()).start()
    try:
        for offset in range(0, RANGE, 8 * MiB):  # a different pattern every 8 MiB
            fake.guest_write(DISK, offset, pattern(offset, MiB))
        connection = sdk.Connection(**fake.connection_kwargs())
        vm = fake.vm("vm-up")
        disk = fake.disk(DISK)
        backup = sdkflow.start_backup(connection, vm.id, [types.Disk(id=disk.id)])
        transfer = sdkflow.create_transfer(
            connection, disk.id, types.ImageTransferDirection.DOWNLOAD, backup_id=backup.id
        )
        with fake.lock:
            view = fake.engine.backup(vm.id, backup.id).views[disk.id]
            expected = view.read(0, RANGE)
        assert fake.ca_file is not None
        url = str(transfer.transfer_url)
        with ThreadPoolExecutor(2) as pool:
            futures: dict[str, Future[Any]] = {
                "stalled": pool.submit(stalled_ranged_get, url, fake.ca_file, expected),
                "idle": pool.submit(idle_keep_alive_reads, url, fake.ca_file),
            }
            yield {"expected": expected, **futures}
        connection.close()
    finally:
        fake.stop()


def test_a_ranged_get_stalled_15_s_mid_body_resumes_and_receives_every_byte(
    waits: dict[str, Any],
) -> None:
    body = waits["stalled"].result(timeout=120)
    assert len(body) == RANGE
    assert body == waits["expected"]


def test_an_imageio_keep_alive_connection_idle_for_15_s_still_serves(
    waits: dict[str, Any],
) -> None:
    before, after, same_connection = waits["idle"].result(timeout=120)
    assert before == waits["expected"][:MiB]
    assert after == waits["expected"][8 * MiB : 9 * MiB]
    assert same_connection
