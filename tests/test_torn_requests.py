"""Torn and whole data requests, as a test sees them through a served fake: on the transfer's
record (`fake.transfer`), in the journal, on the control plane and on the dashboard.

A client that hangs up is a socket event the server notices on its own thread; the tests
wait for it (at most 10 s, on the server's record), never for engine time.
"""

from __future__ import annotations

import base64
import io
import json
import socket
import ssl
import time
import urllib.request
from collections.abc import Callable, Iterator

import pytest
from ovirt_imageio.client import ImageioClient

from fakeovirt import DiskSpec, FakeOvirt, Scenario, TransferRequest, VmSpec
from fakeovirt.web.imageio.bodies import BODY_ENDED_EARLY, CLIENT_STOPPED_READING
from tests.browser import browser_session  # noqa: F401  (a fixture)
from tests.test_dashboard import Dom, chromium, dump_dom

MIB = 1 << 20
SCENARIO = Scenario(name="torn", vms=(VmSpec("vm", "down", disks=(DiskSpec("disk", 64 * MIB),)),))


@pytest.fixture
def served() -> Iterator[FakeOvirt]:
    with FakeOvirt(SCENARIO) as fake:
        yield fake


def eventually(check: Callable[[], bool], what: str) -> None:
    """Wait for the server's thread to notice what a client did to its socket."""
    deadline = time.monotonic() + 10
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"the server never recorded {what}")
        time.sleep(0.02)


def tls_socket(fake: FakeOvirt) -> ssl.SSLSocket:
    context = ssl.create_default_context(cafile=fake.ca_file)
    host, port = fake.origin.removeprefix("https://").rsplit(":", 1)
    return context.wrap_socket(socket.create_connection((host, int(port))), server_hostname=host)


def read_head(sock: ssl.SSLSocket) -> tuple[bytes, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, rest = data.partition(b"\r\n\r\n")
    return head, rest


def test_a_download_the_client_hangs_up_on_is_torn(served: FakeOvirt) -> None:
    transfer = served.start_transfer(
        TransferRequest(served.disk("disk").id, direction="download", format="raw")
    )
    sock = tls_socket(served)
    sock.sendall(
        f"GET /images/{transfer.ticket} HTTP/1.1\r\nHost: fake\r\n"
        f"Range: bytes=0-{32 * MIB - 1}\r\n\r\n".encode()
    )
    head, body = read_head(sock)
    assert head.startswith(b"HTTP/1.1 206")
    while len(body) < 6 * MIB:
        body += sock.recv(MIB)
    sock.close()  # the client hangs up with 26 MiB still to come

    eventually(lambda: served.transfer(transfer.id).torn == 1, "the torn download")
    info = served.transfer(transfer.id)
    assert (info.requests, info.in_flight, info.phase) == (1, 0, "transferring")
    (torn,) = info.torn_requests
    assert (torn.method, torn.op, torn.offset, torn.length) == ("GET", "read", 0, 32 * MIB)
    assert torn.announced == 32 * MIB and 6 * MIB <= torn.moved < 32 * MIB
    assert torn.reason == CLIENT_STOPPED_READING
    assert torn.line().startswith(f"GET read 0+{32 * MIB}: torn, ")

    (entry,) = served.journal.torn()
    assert (entry.method, entry.path, entry.status) == ("GET", f"/images/{transfer.ticket}", 206)
    assert entry.endpoint == "imageio.read" and entry.request_body == entry.response_body == b""
    assert entry.data is not None and entry.data.transfer == transfer.id
    assert entry.data.moved == torn.moved
    assert entry.line().endswith(f"of {32 * MIB} bytes (the client stopped reading)]")


def test_an_upload_whose_client_stops_sending_is_torn(served: FakeOvirt) -> None:
    transfer = served.start_transfer(
        TransferRequest(served.disk("disk").id, direction="upload", format="raw")
    )
    sock = tls_socket(served)
    sock.sendall(
        f"PUT /images/{transfer.ticket} HTTP/1.1\r\nHost: fake\r\n"
        f"Content-Length: {8 * MIB}\r\n\r\n".encode()
    )
    sock.sendall(b"u" * 3 * MIB)
    sock.shutdown(socket.SHUT_WR)  # the client stops sending: 5 MiB never come

    eventually(lambda: served.transfer(transfer.id).torn == 1, "the torn upload")
    sock.close()
    (torn,) = served.transfer(transfer.id).torn_requests
    assert (torn.method, torn.op, torn.announced, torn.moved) == ("PUT", "write", 8 * MIB, 3 * MIB)
    assert torn.reason == BODY_ENDED_EARLY
    (entry,) = served.journal.requests("PUT /images/*")
    assert entry.status == 400 and entry.data is not None and entry.data.torn
    assert served.disk("disk").content.read(0, 3 * MIB) == b"u" * 3 * MIB


def test_a_whole_download_with_the_imageio_client_tears_nothing(
    served: FakeOvirt,
) -> None:
    disk = served.disk("disk")
    download = served.start_transfer(TransferRequest(disk.id, direction="download", format="raw"))
    client = ImageioClient(f"{served.origin}/images/{download.ticket}", cafile=served.ca_file)
    try:
        buffer = bytearray(8 * MIB)
        for offset in range(0, 24 * MIB, len(buffer)):
            client.read(offset, memoryview(buffer))
    finally:
        client.close()
    info = served.transfer(download.id)
    assert (info.requests, info.torn, info.in_flight) == (3, 0, 0)
    assert info.announced == info.moved == 24 * MIB
    assert [r.line() for r in info.data_requests] == [
        f"GET read {o}+{8 * MIB}: {8 * MIB} bytes" for o in (0, 8 * MIB, 16 * MIB)
    ]
    reads = served.journal.requests("GET /images/*")
    assert [e.data.offset for e in reads if e.data] == [0, 8 * MIB, 16 * MIB]
    assert served.journal.torn() == []


def test_other_imageio_requests_are_not_journaled(served: FakeOvirt) -> None:
    transfer = served.start_transfer(
        TransferRequest(served.disk("disk").id, direction="download", format="raw")
    )
    client = ImageioClient(f"{served.origin}/images/{transfer.ticket}", cafile=served.ca_file)
    try:
        assert client.size() == 64 * MIB  # OPTIONS and extents
    finally:
        client.close()
    assert served.journal.requests("/images/*") == []
    assert served.transfer(transfer.id).requests == 0


def test_the_control_plane_journal_shows_what_a_data_request_moved(served: FakeOvirt) -> None:
    transfer = served.start_transfer(
        TransferRequest(served.disk("disk").id, direction="upload", format="raw")
    )
    served.client().put(f"/images/{transfer.ticket}", data=b"x" * MIB)
    context = ssl.create_default_context(cafile=served.ca_file)
    request = urllib.request.Request(
        f"{served.origin}/fakeovirt/journal",
        headers={
            "Authorization": "Basic " + base64.b64encode(b"admin@internal:fakeovirt").decode()
        },
    )
    with urllib.request.urlopen(request, context=context) as answer:
        entries = json.load(answer)["entries"]
    (put,) = [e for e in entries if e["method"] == "PUT"]
    assert put["data"] == {
        "transfer": transfer.id,
        "op": "write",
        "offset": 0,
        "length": MIB,
        "announced": MIB,
        "moved": MIB,
        "torn": False,
        "reason": "",
    }
    assert all("data" not in e for e in entries if e is not put)


@pytest.mark.usefixtures("browser_session")
def test_the_dashboard_shows_the_torn_count_and_why() -> None:
    binary = chromium()
    fake = FakeOvirt(SCENARIO)
    with fake.start(tls=False):
        transfer = fake.start_transfer(
            TransferRequest(fake.disk("disk").id, direction="upload", format="raw")
        )
        fake.client().put(
            f"/images/{transfer.ticket}",
            input_stream=io.BytesIO(b"x" * MIB),
            environ_overrides={"CONTENT_LENGTH": str(2 * MIB)},
        )
        state = fake.client().get("/fakeovirt/dashboard/state.json").get_json()
        url = fake.origin + "/fakeovirt/dashboard"
        dom = Dom(dump_dom(binary, url))
    (shown,) = state["transfers"]
    assert shown["data"]["torn"] == 1
    assert shown["data"]["last_torn"]["reason"] == BODY_ENDED_EARLY
    (cell,) = dom.find(class_="data", data_torn="1")
    assert cell is not None
    assert dom.find(class_="badge torn")
