"""Uploads of any size, and data requests a test can see: torn, aborted, accounted.

Raw TLS sockets against the session's served fake, as a client that misbehaves would. The
daemon streams a PUT to storage (ovirt-imageio v2.5.1 `_internal/ops.py:124-195`); a body that
ends early writes what came and answers 400 ``Requested N bytes, available M bytes``.
"""

from __future__ import annotations

import gc
import socket
import ssl
import time
import tracemalloc
from collections.abc import Callable
from urllib.parse import urlsplit

import ovirtsdk4 as sdk
import ovirtsdk4.types as types
import pytest

from fakeovirt import FakeOvirt
from fakeovirt.core.model import DATA_REQUESTS_KEPT, ImageTransfer
from fakeovirt.core.tickets import data_summary
from fakeovirt.core.transfers import TransferRequest
from fakeovirt.web.imageio import CHUNK_SIZE
from tests import sdkflow

MIB = 1024 * 1024
GIB = 1024 * MIB


def connect(fake: FakeOvirt) -> ssl.SSLSocket:
    parts = urlsplit(fake.origin)
    assert parts.hostname is not None and parts.port is not None
    sock = socket.create_connection((parts.hostname, parts.port), timeout=60)
    context = ssl.create_default_context(cafile=fake.ca_file)
    return context.wrap_socket(sock, server_hostname=parts.hostname)


def send_head(sock: ssl.SSLSocket, method: str, path: str, **headers: str | int) -> None:
    lines = [f"{method} {path} HTTP/1.1", "Host: imageio"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))


def read_head(reader: object) -> tuple[int, dict[str, str]]:
    assert hasattr(reader, "readline")
    status = reader.readline()
    assert status.startswith(b"HTTP/1.1 "), status
    headers: dict[str, str] = {}
    while (line := reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status.split()[1]), headers


def read_answer(sock: ssl.SSLSocket) -> tuple[int, bytes]:
    with sock.makefile("rb") as reader:
        status, headers = read_head(reader)
        return status, reader.read(int(headers["content-length"]))


def eventually(predicate: Callable[[], bool], what: str) -> None:
    """Wait (at most 20 s) for the server's thread to notice what a socket did."""
    deadline = time.monotonic() + 20
    while not predicate():
        assert time.monotonic() < deadline, f"the server never saw {what}"
        time.sleep(0.01)


def transfer_of(fake: FakeOvirt, direction: str) -> ImageTransfer:
    """A guest-data (NBD, ``format=raw``) transfer of a down VM's disk."""
    disk = fake.disk("vm-down-disk1")
    request = TransferRequest(disk.id, direction=direction, format="raw")
    return fake.engine.start_transfer(request)


# Uploads of any size


def test_a_single_large_put_streams_with_memory_bounded_by_the_chunk(fake: FakeOvirt) -> None:
    """The Bareos plugin restores a disk with one PUT: 96 MiB here, past the old limit of
    64 MiB and almost five times the memory bound; peak memory follows the chunk size,
    whatever the body's size."""
    transfer = transfer_of(fake, "upload")
    size = 96 * MIB
    head, tail = b"\x11" * MIB, b"\x22" * MIB
    zeros = memoryview(bytes(4 * MIB))
    sock = connect(fake)
    gc.collect()
    tracemalloc.start()
    try:
        send_head(sock, "PUT", f"/images/{transfer.ticket}?flush=y", Content_Length=size)
        sock.sendall(head)
        for _ in range((size - 2 * MIB) // len(zeros)):
            sock.sendall(zeros)
        sock.sendall(zeros[: (size - 2 * MIB) % len(zeros)])
        sock.sendall(tail)
        status, body = read_answer(sock)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        sock.close()
    assert (status, body) == (200, b"")
    content = fake.disk("vm-down-disk1").content
    assert content.read(0, MIB) == head
    assert content.read(size - MIB, MIB) == tail
    assert content.read(size // 2, MIB) == bytes(MIB)
    assert peak < 5 * CHUNK_SIZE, f"peak {peak / MIB:.1f} MiB for a {size // MIB} MiB body"
    (request,) = transfer.data_requests
    assert (request.announced, request.moved, request.torn) == (size, size, False)


# Torn and aborted data requests


def test_a_torn_upload_writes_what_came_and_can_still_be_finalized(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """PUT announces 8 MiB, sends 3 MiB, hangs up: the 3 MiB land, and a test can see it."""
    disk = fake.disk("vm-down-disk1")
    transfer = sdkflow.create_transfer(connection, disk.id, types.ImageTransferDirection.UPLOAD)
    entity = fake.engine.transfer(transfer.id)
    sock = connect(fake)
    try:
        path = urlsplit(transfer.transfer_url).path
        send_head(sock, "PUT", f"{path}?flush=n", Content_Length=8 * MIB)
        sock.sendall(b"\x5a" * 3 * MIB)
        # Hang up by TCP FIN: a close() with the server's unread TLS session tickets in the
        # socket would be a reset, which may discard the 3 MiB before the server reads them.
        socket.socket.shutdown(sock, socket.SHUT_WR)
        eventually(lambda: bool(entity.torn_requests), "the client hang up")
    finally:
        sock.close()
    (torn,) = entity.torn_requests
    assert (torn.method, torn.op, torn.offset, torn.length) == ("PUT", "write", 0, 8 * MIB)
    assert (torn.announced, torn.moved, torn.reason) == (
        8 * MIB,
        3 * MIB,
        "the request body ended early",
    )
    assert fake.disk("vm-down-disk1").content.read(0, 3 * MIB + 1) == b"\x5a" * 3 * MIB + b"\0"
    sdkflow.finalize_transfer(connection, transfer)  # as the engine would: success
    summary = data_summary(fake.engine.transfer(transfer.id))
    assert (summary["requests"], summary["torn"], summary["moved"]) == (1, 1, 3 * MIB)
    assert summary["last_torn"]["reason"] == "the request body ended early"


def test_a_download_the_client_abandons_is_torn(fake: FakeOvirt) -> None:
    transfer = transfer_of(fake, "download")
    fake.guest_write("vm-down-disk1", 0, b"\x33" * 64 * MIB)
    sock = connect(fake)
    try:
        send_head(sock, "GET", f"/images/{transfer.ticket}", Range=f"bytes=0-{64 * MIB - 1}")
        with sock.makefile("rb") as reader:  # the socket closes with its last file
            status, _ = read_head(reader)
            assert status == 206
            assert reader.read(4 * MIB) == b"\x33" * 4 * MIB
    finally:
        sock.close()
    eventually(lambda: bool(transfer.torn_requests), "the client leave")
    (torn,) = transfer.torn_requests
    assert (torn.method, torn.announced, torn.reason) == (
        "GET",
        64 * MIB,
        "the client stopped reading",
    )
    assert 4 * MIB <= torn.moved < 64 * MIB


def test_a_download_whose_transfer_is_cancelled_midway_is_cut_short(
    fake: FakeOvirt, connection: sdk.Connection
) -> None:
    """The daemon cancels the ticket's operations: the client sees a short body, an error."""
    disk = fake.disk("vm-down-disk1")
    fake.guest_write(disk.id, 0, b"\x44" * 64 * MIB)
    transfer = sdkflow.create_transfer(connection, disk.id, types.ImageTransferDirection.DOWNLOAD)
    sock = connect(fake)
    try:
        path = urlsplit(transfer.transfer_url).path
        send_head(sock, "GET", path, Range=f"bytes=0-{64 * MIB - 1}")
        with sock.makefile("rb") as reader:
            status, headers = read_head(reader)
            assert (status, headers["content-length"]) == (206, str(64 * MIB))
            assert reader.read(MIB) == b"\x44" * MIB
            connection.system_service().image_transfers_service().image_transfer_service(
                transfer.id
            ).cancel()
            received = MIB + len(reader.read())  # to the end of the connection
    finally:
        sock.close()
    assert received < 64 * MIB, "the body was cut, never completed"
    (torn,) = fake.engine.transfer(transfer.id).torn_requests
    assert torn.reason == f"Transfer {transfer.id} was canceled"


def test_the_real_clients_upload_moves_every_byte_it_announces(
    fake: FakeOvirt, connection: sdk.Connection, tmp_path: pytest.TempPathFactory
) -> None:
    from ovirt_imageio import client

    from tests.qemutools import require_qemu

    require_qemu()
    disk = fake.disk("vm-down-disk1")
    source = tmp_path / "source.raw"  # type: ignore[operator]
    with open(source, "wb") as out:
        out.truncate(disk.content.size)
        out.seek(5 * MIB)
        out.write(b"payload" * 300_000)
    transfer = sdkflow.create_transfer(connection, disk.id, types.ImageTransferDirection.UPLOAD)
    client.upload(str(source), transfer.transfer_url, fake.ca_file)
    sdkflow.finalize_transfer(connection, transfer)
    entity = fake.engine.transfer(transfer.id)
    assert entity.torn_requests == []
    methods = {r.method for r in entity.data_requests}
    assert methods >= {"PUT", "PATCH"}
    assert all(r.moved == r.announced and r.ended for r in entity.data_requests)
    summary = data_summary(entity)
    assert (summary["torn"], summary["in_flight"]) == (0, 0)
    assert summary["moved"] == summary["announced"]


def test_a_transfer_keeps_a_bounded_list_of_requests_and_totals_of_all(fake: FakeOvirt) -> None:
    transfer = transfer_of(fake, "download")
    client = fake.client()
    for offset in range(200):
        response = client.get(
            f"/images/{transfer.ticket}", headers={"Range": f"bytes={offset}-{offset}"}
        )
        assert len(response.data) == 1
    assert len(transfer.data_requests) == DATA_REQUESTS_KEPT
    assert transfer.data_requests[-1].offset == 199
    assert (transfer.data_totals.requests, transfer.data_totals.moved) == (200, 200)
    assert data_summary(transfer) == {
        "transfer": transfer.id,
        "requests": 200,
        "torn": 0,
        "announced": 200,
        "moved": 200,
        "in_flight": 0,
        "last_torn": None,
    }
