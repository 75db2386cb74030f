"""The imageio data endpoint: the daemon's HTTP rules, then the real ovirt_imageio client.

Texts, statuses and headers are ovirt-imageio v2.5.1's: `_internal/http.py` (routing, errors,
ranges), `handlers/images.py` (OPTIONS, GET, PUT, PATCH), `handlers/extents.py`, `auth.py`,
`validate.py`. The checksum endpoint has its own file (test_imageio_checksum.py), uploads of
any size and torn requests theirs (test_imageio_uploads.py).
"""

from __future__ import annotations

import io
import json
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.serving import make_server
from werkzeug.test import Client, EnvironBuilder, TestResponse, run_wsgi_app

from fakeovirt.core.content import BLOCK_SIZE, ContentView, DiskContent, seed_content
from fakeovirt.web.imageio import ALL_FEATURES, IDLE_TIMEOUT, ImageioApp
from tests.imageio_tickets import OwnedLock, Ticket, Tickets
from tests.qemutools import require_qemu

B = BLOCK_SIZE
MIB = 1024 * 1024
SIZE = 16 * B
FORBIDDEN = "You are not allowed to access this resource: "


@pytest.fixture
def lock() -> OwnedLock:
    return OwnedLock()


@pytest.fixture
def tickets(lock: OwnedLock) -> Tickets:
    disk = DiskContent(SIZE)
    seed_content(disk, seed=1, blocks=4)
    tickets = Tickets(lock)
    tickets["ro"] = Ticket(disk.freeze(), lock, transfer_id="t-ro")
    tickets["rw"] = Ticket(disk, lock, writable=True, readable=False, transfer_id="t-rw")
    return tickets


@pytest.fixture
def app(tickets: Tickets, lock: OwnedLock) -> ImageioApp:
    return ImageioApp(tickets.resolve, lock)


@pytest.fixture
def client(app: ImageioApp) -> Client:
    return Client(app)


def assert_text_error(response: TestResponse, status: int, text: str) -> None:
    """The daemon's error: the status, text/plain, the exact text and a newline."""
    assert response.status_code == status, response.data
    assert response.headers["Content-Type"] == "text/plain; charset=UTF-8"
    assert response.headers["Content-Length"] == str(len(response.data))
    assert response.get_data(as_text=True) == text + "\n"


def content_of(tickets: Tickets, name: str) -> DiskContent | ContentView:
    return tickets[name].source


def call(app: ImageioApp, environ: dict[str, Any]) -> bytes:
    """Run ``app`` on ``environ`` itself (not a copy, as werkzeug's helpers do); the body."""
    return b"".join(app(environ, lambda status, headers: lambda data: None))


# OPTIONS (images.py:222-267)


def test_options_of_a_read_ticket_offers_checksum_and_extents(client: Client) -> None:
    response = client.options("/images/ro")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Allow"] == "OPTIONS,GET"
    assert response.data.endswith(b"}\n")
    assert response.json == {
        "features": ["checksum", "extents"],
        "max_readers": 8,
        "max_writers": 8,
    }


def test_options_of_a_write_ticket_adds_flush_and_zero(client: Client) -> None:
    response = client.options("/images/rw")
    assert response.headers["Allow"] == "OPTIONS,GET,PUT,PATCH"
    assert response.json is not None
    assert response.json["features"] == ["checksum", "extents", "flush", "zero"]
    assert "unix_socket" not in response.json


def test_options_reports_the_configured_reader_and_writer_limits(tickets: Tickets) -> None:
    app = ImageioApp(tickets.resolve, tickets.lock, max_readers=2, max_writers=3)
    response = Client(app).options("/images/ro")
    assert response.json is not None
    assert (response.json["max_readers"], response.json["max_writers"]) == (2, 3)


def test_options_star_reports_all_server_features_without_a_ticket(client: Client) -> None:
    response = client.options("/images/*")
    assert response.status_code == 200
    assert response.headers["Allow"] == "OPTIONS,GET,PUT,PATCH"
    assert response.json == {"features": list(ALL_FEATURES)}
    assert ALL_FEATURES == ("checksum", "extents", "flush", "zero")


def test_a_browser_preflight_gets_the_cors_headers(client: Client) -> None:
    response = client.options(
        "/images/rw",
        headers={
            "Origin": "https://engine.example",
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "content-range",
        },
    )
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Access-Control-Allow-Headers"] == "*"
    assert response.headers["Access-Control-Allow-Methods"] == "OPTIONS,GET,PUT"
    assert response.headers["Access-Control-Max-Age"] == "86400"
    assert "Access-Control-Allow-Origin" not in client.options("/images/rw").headers


# GET (images.py:79-148, http.py:628-705)


def test_a_ranged_get_answers_206_with_the_exact_bytes_and_headers(
    client: Client, tickets: Tickets
) -> None:
    response = client.get("/images/ro", headers={"Range": f"bytes={B - 10}-{3 * B + 9}"})
    assert response.status_code == 206
    assert response.data == content_of(tickets, "ro").read(B - 10, 2 * B + 20)
    assert response.headers["Content-Length"] == str(2 * B + 20)
    assert response.headers["Content-Range"] == f"bytes {B - 10}-{3 * B + 9}/{SIZE}"
    assert response.headers["Content-Type"] == "application/octet-stream"
    assert response.headers["Content-Disposition"] == "attachment"


def test_an_open_ended_range_runs_to_the_end_of_the_image(client: Client) -> None:
    response = client.get("/images/ro", headers={"Range": f"bytes={SIZE - 100}-"})
    assert response.status_code == 206
    assert len(response.data) == 100
    assert response.headers["Content-Range"] == f"bytes {SIZE - 100}-{SIZE - 1}/{SIZE}"


def test_a_get_without_range_answers_the_whole_image(client: Client, tickets: Tickets) -> None:
    response = client.get("/images/ro")
    assert response.status_code == 200
    assert response.headers["Content-Length"] == str(SIZE)
    assert "Content-Range" not in response.headers
    assert response.data == content_of(tickets, "ro").read(0, SIZE)


def test_a_range_from_the_end_answers_an_empty_206_as_the_daemon(client: Client) -> None:
    response = client.get("/images/ro", headers={"Range": f"bytes={SIZE}-"})
    assert response.status_code == 206
    assert response.data == b""
    assert response.headers["Content-Range"] == f"bytes {SIZE}-{SIZE - 1}/{SIZE}"


def test_a_range_past_the_end_is_the_daemons_short_read_400(client: Client) -> None:
    response = client.get("/images/ro", headers={"Range": f"bytes={SIZE + 5}-"})
    assert_text_error(response, 400, "Requested -5 bytes, available 0 bytes")


def test_a_write_ticket_may_also_read(client: Client) -> None:
    assert client.get("/images/rw", headers={"Range": "bytes=0-9"}).status_code == 206


def test_head_is_not_a_method_of_the_daemon(client: Client) -> None:
    response = client.head("/images/ro")
    assert_text_error(response, 405, "Method 'HEAD' not defined for '/images/ro'")


def test_a_large_range_streams_in_chunks_and_releases_the_lock_between_them(
    lock: OwnedLock,
) -> None:
    disk = DiskContent(8 * MIB)
    disk.write(0, b"\x05" * 8 * MIB)
    tickets = Tickets(lock)
    tickets["big"] = Ticket(disk, lock)
    app = ImageioApp(tickets.resolve, lock, chunk_size=MIB)
    environ = EnvironBuilder("/images/big", headers=[("Range", "bytes=1-7340033")]).get_environ()
    app_iter, status, headers = run_wsgi_app(app, environ)
    assert status == "206 Partial Content"
    sizes = []
    for chunk in app_iter:
        assert not lock.held()
        assert isinstance(chunk, bytes)
        sizes.append(len(chunk))
    assert max(sizes) == MIB
    assert sum(sizes) == 7340033 == int(headers["Content-Length"])


def test_a_get_sends_the_tickets_pieces_as_they_are(lock: OwnedLock) -> None:
    """No join and no copy on the way out: each piece the ticket gives is a piece sent."""
    disk = DiskContent(4 * MIB)
    disk.write(0, bytes(range(256)) * (4 * MIB // 256))
    given: list[bytes] = []

    class Recording(Ticket):
        def read_pieces(self, offset: int, length: int) -> list[bytes]:
            pieces = super().read_pieces(offset, length)
            given.extend(pieces)
            return pieces

    tickets = Tickets(lock)
    tickets["t"] = Recording(disk, lock, piece=B)
    app = ImageioApp(tickets.resolve, lock, chunk_size=MIB)
    environ = EnvironBuilder("/images/t", headers=[("Range", f"bytes=0-{3 * MIB - 1}")])
    sent = list(app(environ.get_environ(), lambda status, headers: lambda data: None))
    assert len(sent) == 3 * MIB // B
    assert all(s is g for s, g in zip(sent, given, strict=True))
    assert b"".join(sent) == disk.read(0, 3 * MIB)
    (request,) = tickets["t"].requests
    assert (request.moved, request.torn) == (3 * MIB, False)


def test_a_transfers_pieces_are_its_stored_blocks_themselves() -> None:
    """Whole stored blocks go out as the very bytes stored; zeros from one shared buffer."""
    from fakeovirt import DiskSpec, FakeOvirt, Scenario, VmSpec
    from fakeovirt.core.transfers import TransferRequest

    disks = (DiskSpec("disk", 64 * MIB, seeded_blocks=0),)
    fake = FakeOvirt(Scenario(name="one", vms=(VmSpec("vm", "down", disks=disks),)))
    disk = fake.disk("disk")
    fake.guest_write("disk", 0, bytes(range(256)) * 1024)  # four whole blocks
    fake.guest_write("disk", 10 * B + 5, b"part of a block")
    transfer = fake.engine.start_transfer(
        TransferRequest(disk.id, direction="download", format="raw")
    )
    with fake.lock:
        pieces = fake.engine.ticket(transfer.ticket).read_pieces(0, 3 * MIB)
    stored = [part.obj for part in disk.content.iter_chunks(0, 4 * B)]
    assert all(piece is block for piece, block in zip(pieces, stored, strict=False))
    zeros = [piece for piece in pieces[4:] if not any(piece)]
    assert len({id(piece) for piece in zeros if len(piece) == MIB}) == 1
    assert b"".join(pieces) == disk.content.read(0, 3 * MIB)
    assert fake.engine.transfer(transfer.id).transferred == 3 * MIB


@pytest.mark.parametrize(
    ("header", "text", "content_range"),
    [
        (
            "bytes=0-1,4-5",
            "Cannot satisfy range 'bytes=0-1,4-5', invalid range or multiple ranges",
            None,
        ),
        ("items=0-1", "Cannot satisfy range 'items=0-1', invalid range or multiple ranges", None),
        ("bytes= 0-1", "Cannot satisfy range 'bytes= 0-1', invalid range or multiple ranges", None),
        ("bytes=x-y", "Cannot satisfy range 'bytes=x-y', invalid range or multiple ranges", None),
        ("bytes=-", "Cannot satisfy range 'bytes=-', no first or last", None),
        ("bytes=10-5", "Cannot satisfy range 'bytes=10-5', first > last", None),
        ("bytes=-100", "suffix-byte-range-spec not supported yet", None),
        (f"bytes=0-{SIZE}", "Requested range out of allowed range", f"bytes */{SIZE}"),
        (f"bytes={SIZE}-{SIZE}", "Requested range out of allowed range", f"bytes */{SIZE}"),
    ],
)
def test_a_bad_multiple_or_out_of_bounds_range_is_416(
    client: Client, header: str, text: str, content_range: str | None
) -> None:
    response = client.get("/images/ro", headers={"Range": header})
    assert_text_error(response, 416, text)
    assert response.headers.get("Content-Range") == content_range


def test_a_bad_range_is_refused_before_the_ticket_is_looked_at(client: Client) -> None:
    """The daemon parses Range first: a bad range on an unknown ticket is a 416, not a 403."""
    response = client.get("/images/nope", headers={"Range": "bytes=-"})
    assert response.status_code == 416


@settings(max_examples=100, deadline=None)
@given(
    header=st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=30)
    | st.builds("bytes={}-{}".format, st.integers(-2, SIZE + 2), st.integers(-2, SIZE + 2))
    | st.builds("bytes={}-".format, st.integers(0, SIZE + 2))
)
def test_no_range_header_makes_a_server_error(header: str) -> None:
    lock = OwnedLock()
    tickets = Tickets(lock)
    tickets["t"] = Ticket(DiskContent(SIZE), lock)
    environ = EnvironBuilder("/images/t").get_environ()
    environ["HTTP_RANGE"] = header
    response = Client(ImageioApp(tickets.resolve, lock)).open(environ)
    assert response.status_code in (206, 400, 416)
    if response.status_code == 206:
        assert len(response.data) == int(response.headers["Content-Length"])


def test_a_get_is_accounted_as_a_data_request(client: Client, tickets: Tickets) -> None:
    assert len(client.get("/images/ro", headers={"Range": "bytes=100-199"}).data) == 100
    (request,) = tickets["ro"].requests
    assert (request.method, request.op, request.offset, request.length) == ("GET", "read", 100, 100)
    assert (request.announced, request.moved, request.torn) == (100, 100, False)


def test_a_get_cut_by_the_client_is_accounted_as_torn(lock: OwnedLock) -> None:
    disk = DiskContent(4 * MIB)
    tickets = Tickets(lock)
    tickets["t"] = Ticket(disk, lock)
    app = ImageioApp(tickets.resolve, lock, chunk_size=MIB)
    environ = EnvironBuilder("/images/t", headers=[("Range", f"bytes=0-{3 * MIB - 1}")])
    body = iter(app(environ.get_environ(), lambda status, headers: lambda data: None))
    next(body)
    next(body)  # the server asks for a second chunk: the first one went out
    body.close()  # type: ignore[attr-defined]  # then the client hangs up
    (request,) = tickets["t"].requests
    assert (request.announced, request.moved, request.torn) == (3 * MIB, MIB, True)
    assert request.reason == "the client stopped reading"


def test_a_get_whose_ticket_goes_away_is_cut_short(lock: OwnedLock) -> None:
    """As the daemon's canceled operation: the connection closes under a started answer."""
    disk = DiskContent(4 * MIB)
    tickets = Tickets(lock)
    tickets["t"] = Ticket(disk, lock, transfer_id="t-1")
    app = ImageioApp(tickets.resolve, lock, chunk_size=MIB)
    environ = EnvironBuilder("/images/t", headers=[("Range", f"bytes=0-{3 * MIB - 1}")])
    body = iter(app(environ.get_environ(), lambda status, headers: lambda data: None))
    next(body)
    tickets["t"].live = False  # the engine finalizes or cancels the transfer
    with pytest.raises(ConnectionAbortedError, match="Transfer t-1 was canceled"):
        next(body)
    (request,) = tickets["t"].requests
    assert (request.moved, request.torn, request.reason) == (MIB, True, "Transfer t-1 was canceled")


# Extents (extents.py:23-51)


def test_zero_extents_are_json_covering_the_whole_image(client: Client, tickets: Tickets) -> None:
    response = client.get("/images/ro/extents?context=zero")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    expected = [
        {"start": e.start, "length": e.length, "zero": e.zero, "hole": e.hole}
        for e in content_of(tickets, "ro").zero_extents()
    ]
    assert response.json == expected
    assert expected[-1]["start"] + expected[-1]["length"] == SIZE


def test_extents_default_to_the_zero_context(client: Client) -> None:
    assert (
        client.get("/images/ro/extents").json == client.get("/images/ro/extents?context=zero").json
    )


def test_dirty_extents_are_json_for_an_incremental_ticket(
    client: Client, tickets: Tickets, lock: OwnedLock
) -> None:
    disk = DiskContent(4 * B)
    disk.write(0, b"old")
    mark = disk.generation
    disk.write(2 * B, b"new")
    tickets["inc"] = Ticket(disk.freeze(), lock, dirty_since=mark)
    response = client.get("/images/inc/extents?context=dirty")
    assert response.status_code == 200
    assert response.json == [
        {"start": 0, "length": B, "dirty": False, "zero": False},
        {"start": B, "length": B, "dirty": False, "zero": True},
        {"start": 2 * B, "length": B, "dirty": True, "zero": False},
        {"start": 3 * B, "length": B, "dirty": False, "zero": True},
    ]


def test_dirty_extents_of_a_full_backup_ticket_are_404(client: Client) -> None:
    response = client.get("/images/ro/extents?context=dirty")
    assert_text_error(response, 404, "Ticket does not support dirty extents")


def test_an_unknown_extents_context_is_400(client: Client) -> None:
    assert_text_error(
        client.get("/images/ro/extents?context=bogus"),
        400,
        "Unsupported value 'bogus' for 'context', expecting one of ['dirty', 'zero']",
    )


def test_the_last_of_a_repeated_query_parameter_wins(client: Client) -> None:
    response = client.get("/images/ro/extents?context=bogus&context=zero")
    assert response.status_code == 200


# PUT (images.py:29-77)


def test_put_writes_at_the_content_range_start_and_flushes(
    client: Client, tickets: Tickets
) -> None:
    response = client.put(
        "/images/rw", data=b"hello", headers={"Content-Range": f"bytes {B - 2}-{B + 2}/*"}
    )
    assert response.status_code == 200
    assert response.headers["Content-Length"] == "0"
    assert "Content-Type" not in response.headers
    assert response.data == b""
    assert content_of(tickets, "rw").read(B - 2, 5) == b"hello"
    assert tickets["rw"].flushes == 1


def test_put_without_content_range_writes_at_zero(client: Client, tickets: Tickets) -> None:
    assert client.put("/images/rw?flush=n", data=b"start").status_code == 200
    assert content_of(tickets, "rw").read(0, 5) == b"start"
    assert tickets["rw"].flushes == 0


def test_put_streams_a_large_body_chunk_by_chunk(tickets: Tickets) -> None:
    data = bytes(range(256)) * (3 * MIB // 256)
    disk = DiskContent(4 * MIB)
    tickets["big"] = Ticket(disk, tickets.lock, writable=True)
    client = Client(ImageioApp(tickets.resolve, tickets.lock, chunk_size=MIB))
    assert client.put("/images/big", data=data).status_code == 200
    assert disk.read(0, len(data)) == data
    assert disk.generation == 3
    (request,) = tickets["big"].requests
    assert (request.method, request.announced, request.moved, request.torn) == (
        "PUT",
        3 * MIB,
        3 * MIB,
        False,
    )


def test_put_without_content_length_is_400(app: ImageioApp) -> None:
    environ = EnvironBuilder(
        "/images/rw", method="PUT", input_stream=io.BytesIO(b"x")
    ).get_environ()
    del environ["CONTENT_LENGTH"]
    app_iter, status, _ = run_wsgi_app(app, environ, buffered=True)
    assert status == "400 Bad Request"
    assert b"".join(app_iter) == b"Content-Length header is required\n"


def test_a_put_whose_body_ends_early_writes_what_came_and_is_400(
    app: ImageioApp, tickets: Tickets
) -> None:
    environ = EnvironBuilder(
        "/images/rw?flush=y", method="PUT", input_stream=io.BytesIO(b"\x07" * 300)
    ).get_environ()
    environ["CONTENT_LENGTH"] = "1000"
    app_iter, status, _ = run_wsgi_app(app, environ, buffered=True)
    assert status == "400 Bad Request"
    assert b"".join(app_iter) == b"Requested 1000 bytes, available 300 bytes\n"
    assert content_of(tickets, "rw").read(0, 301) == b"\x07" * 300 + b"\0"
    assert tickets["rw"].flushes == 0
    (request,) = tickets["rw"].requests
    assert (request.announced, request.moved, request.torn) == (1000, 300, True)
    assert request.reason == "the request body ended early"


def test_put_past_the_end_is_416_and_writes_nothing(client: Client, tickets: Tickets) -> None:
    before = content_of(tickets, "rw").read(SIZE - 1, 1)
    response = client.put(
        "/images/rw", data=b"xx", headers={"Content-Range": f"bytes {SIZE - 1}-{SIZE}/*"}
    )
    assert_text_error(response, 416, "Requested range out of allowed range")
    assert response.headers["Content-Range"] == f"bytes */{SIZE}"
    assert response.headers["Connection"] == "close", "the body was not read"
    assert content_of(tickets, "rw").read(SIZE - 1, 1) == before
    assert tickets["rw"].requests == []


class Unreadable(io.BytesIO):
    def read(self, size: int | None = -1) -> bytes:
        raise AssertionError("a refused body is never read")

    def readinto(self, buffer: Any) -> int:
        raise AssertionError("a refused body is never read")


def test_a_put_of_any_size_past_the_end_is_416_before_its_body(app: ImageioApp) -> None:
    environ = EnvironBuilder("/images/rw", method="PUT", input_stream=Unreadable()).get_environ()
    environ["CONTENT_LENGTH"] = str(1 << 40)
    app_iter, status, headers = run_wsgi_app(app, environ, buffered=True)
    assert status == "416 Requested Range Not Satisfiable"
    assert b"".join(app_iter) == b"Requested range out of allowed range\n"
    assert headers["Connection"] == "close"


def test_put_to_a_read_only_ticket_is_403(client: Client, tickets: Tickets) -> None:
    before = content_of(tickets, "ro").read(0, 4)
    response = client.put("/images/ro", data=b"nope")
    assert_text_error(response, 403, FORBIDDEN + "Transfer=t-ro forbids write")
    assert response.headers["Connection"] == "close"
    assert content_of(tickets, "ro").read(0, 4) == before


@pytest.mark.parametrize(
    ("url", "headers", "text"),
    [
        (
            "/images/rw?flush=maybe",
            {},
            "Unsupported value 'maybe' for 'flush', expecting one of ['n', 'y']",
        ),
        ("/images/rw", {"Content-Range": "bytes 0-1"}, "Invalid Content-Range 'bytes 0-1'"),
        ("/images/rw", {"Content-Range": "0-1/*"}, "Invalid Content-Range '0-1/*'"),
        (
            "/images/rw",
            {"Content-Range": "bytes 5-1/*"},
            "Invalid Content-Range 'bytes 5-1/*', first > last",
        ),
        (
            "/images/rw",
            {"Content-Range": "bytes 0-9/9"},
            "Invalid Content-Range 'bytes 0-9/9', last >= complete",
        ),
    ],
)
def test_put_with_a_bad_flush_or_content_range_is_400(
    client: Client, url: str, headers: dict[str, str], text: str
) -> None:
    assert_text_error(client.put(url, data=b"x", headers=headers), 400, text)


# PATCH (images.py:150-220, validate.py)


def patch(client: Client, ticket: str, body: Any) -> TestResponse:
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.patch(f"/images/{ticket}", data=data, content_type="application/json")


def test_patch_zero_zeroes_the_range(client: Client, tickets: Tickets) -> None:
    disk = content_of(tickets, "rw")
    data = next(e for e in disk.zero_extents() if not e.zero)
    response = patch(client, "rw", {"op": "zero", "offset": data.start + 1, "size": 10})
    assert response.status_code == 200
    assert response.headers["Content-Length"] == "0"
    assert "Content-Type" not in response.headers
    assert disk.read(data.start + 1, 10) == bytes(10)
    assert disk.read(data.start, 1) != b"\0"
    assert tickets["rw"].flushes == 0
    (request,) = tickets["rw"].requests
    assert (request.method, request.op, request.offset, request.length, request.torn) == (
        "PATCH",
        "zero",
        data.start + 1,
        10,
        False,
    )


def test_patch_zero_defaults_offset_to_zero_and_may_flush(client: Client, tickets: Tickets) -> None:
    assert patch(client, "rw", {"op": "zero", "size": B, "flush": True}).status_code == 200
    assert tickets["rw"].zeroed == [(0, B)]
    assert tickets["rw"].flushes == 1


def test_patch_flush_flushes(client: Client, tickets: Tickets) -> None:
    assert patch(client, "rw", {"op": "flush"}).status_code == 200
    assert tickets["rw"].flushes == 1


def test_a_boolean_size_is_an_integer_to_the_daemon(client: Client, tickets: Tickets) -> None:
    """`validate.integer` checks `isinstance(value, int)`, which `True` is."""
    assert patch(client, "rw", {"op": "zero", "size": True}).status_code == 200
    assert tickets["rw"].zeroed == [(0, 1)]


@pytest.mark.parametrize(
    ("body", "text"),
    [
        (
            "{not json",
            "Invalid JSON message Expecting property name enclosed in double quotes:"
            " line 1 column 2 (char 1)",
        ),
        ("", "Invalid JSON message Expecting value: line 1 column 1 (char 0)"),
        ({"size": 1}, "Missing required value for op"),
        ({"op": "trim"}, "Unsupported value 'trim' for 'op', expecting one of ['flush', 'zero']"),
        (
            {"op": ["zero"]},
            "Unsupported value ['zero'] for 'op', expecting one of ['flush', 'zero']",
        ),
        ({"op": "zero"}, "Missing required value for 'size'"),
        ({"op": "zero", "size": -1}, "Invalid value -1 < 0"),
        ({"op": "zero", "size": "1"}, "Integer required '1'"),
        ({"op": "zero", "size": 1, "offset": 1.5}, "Integer required 1.5"),
        ({"op": "zero", "size": 1, "offset": -2}, "Invalid value -2 < 0"),
        ({"op": "zero", "size": 1, "flush": "yes"}, "Boolean required 'yes'"),
    ],
)
def test_a_bad_patch_message_is_400_with_the_daemons_text(
    client: Client, tickets: Tickets, body: Any, text: str
) -> None:
    assert_text_error(patch(client, "rw", body), 400, text)
    assert tickets["rw"].zeroed == []


@pytest.mark.parametrize("body", [b"\xff\xfe", "[1, 2]", "null", '"zero"', "7"])
def test_a_patch_message_that_is_no_object_is_400_not_the_daemons_500(
    client: Client, tickets: Tickets, body: str | bytes
) -> None:
    response = patch(client, "rw", body)
    assert response.status_code == 400
    assert response.data.startswith(b"Invalid JSON message ")
    assert tickets["rw"].zeroed == []


def test_patch_zero_past_the_end_is_416(client: Client) -> None:
    response = patch(client, "rw", {"op": "zero", "offset": SIZE - 1, "size": 2})
    assert_text_error(response, 416, "Requested range out of allowed range")


@pytest.mark.parametrize("body", [{"op": "zero", "size": 1}, {"op": "flush"}])
def test_patch_of_a_read_only_ticket_is_403(client: Client, body: dict[str, Any]) -> None:
    assert_text_error(patch(client, "ro", body), 403, FORBIDDEN + "Transfer=t-ro forbids write")


def test_a_patch_message_over_the_limit_is_413(client: Client) -> None:
    response = patch(client, "rw", " " * 100_000 + '{"op": "flush"}')
    assert_text_error(response, 413, "JSON message exceeds the limit of 65536 bytes")


@settings(max_examples=100, deadline=None)
@given(
    body=st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(st.sampled_from(["op", "offset", "size", "flush", "x"]), inner)
        ),
        max_leaves=6,
    )
)
def test_no_patch_message_makes_a_server_error(body: Any) -> None:
    lock = OwnedLock()
    tickets = Tickets(lock)
    tickets["t"] = Ticket(DiskContent(B), lock, writable=True)
    response = patch(Client(ImageioApp(tickets.resolve, lock)), "t", body)
    assert response.status_code in (200, 400, 416)


# Tickets, methods and paths (auth.py:427-451, http.py:781-843)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("OPTIONS", "/images/nope"),
        ("GET", "/images/nope"),
        ("GET", "/images/nope/extents"),
        ("PUT", "/images/nope"),
        ("PATCH", "/images/nope"),
    ],
)
def test_an_unknown_ticket_is_403_and_closes_the_connection(
    client: Client, method: str, path: str
) -> None:
    data = json.dumps({"op": "flush"}) if method == "PATCH" else b"x"
    response = client.open(path, method=method, data=data)
    assert_text_error(response, 403, FORBIDDEN + "No such ticket nope")
    assert response.headers["Connection"] == "close"


def test_a_ticket_allowing_nothing_is_403(client: Client, tickets: Tickets) -> None:
    tickets["none"] = Ticket(DiskContent(B), tickets.lock, readable=False, transfer_id="t-0")
    assert_text_error(client.options("/images/none"), 403, FORBIDDEN + "Transfer=t-0 forbids read")


@pytest.mark.parametrize(
    ("method", "path", "text"),
    [
        ("DELETE", "/images/ro", "Method 'DELETE' not defined for '/images/ro'"),
        ("POST", "/images/ro", "Method 'POST' not defined for '/images/ro'"),
        ("PUT", "/images/ro/extents", "Method 'PUT' not defined for '/images/ro/extents'"),
        (
            "OPTIONS",
            "/images/ro/checksum",
            "Method 'OPTIONS' not defined for '/images/ro/checksum'",
        ),
        ("TRACE", "/images/ro", "Invalid method 'TRACE'"),
        ("BREW", "/nowhere", "Invalid method 'BREW'"),
    ],
)
def test_a_method_the_daemon_lacks_is_405(
    client: Client, method: str, path: str, text: str
) -> None:
    response = client.open(path, method=method)
    assert_text_error(response, 405, text)
    assert "Allow" not in response.headers


@pytest.mark.parametrize(
    ("path", "status", "text"),
    [
        ("/images", 404, "No handler for '/images'"),
        ("/other", 404, "No handler for '/other'"),
        ("/images/", 400, "Ticket id is required"),
        ("/images//extents", 400, "Ticket id is required"),
        ("/images/ro/", 403, FORBIDDEN + "No such ticket ro/"),
    ],
)
def test_paths_route_as_the_daemons_table(
    client: Client, path: str, status: int, text: str
) -> None:
    assert_text_error(client.get(path), status, text)


def test_routes_match_from_the_start_of_the_path_as_the_daemons(client: Client) -> None:
    """`Router.dispatch` uses `re.match`: what follows a route's pattern is ignored."""
    assert client.get("/images/ro/extents/more").json == client.get("/images/ro/extents").json


def test_an_authorized_request_hands_the_ticket_timeout_to_the_server(
    app: ImageioApp, tickets: Tickets
) -> None:
    """`backends.get` sets the connection timeout to the ticket's inactivity_timeout."""
    tickets["ro"].inactivity_timeout = 321
    for method, path, headers in [
        ("OPTIONS", "/images/ro", {}),
        ("GET", "/images/ro", {"Range": "bytes=0-0"}),
        ("GET", "/images/ro/extents", {}),
        ("GET", "/images/ro/checksum", {}),
    ]:
        environ = EnvironBuilder(path, method=method, headers=headers).get_environ()
        call(app, environ)
        assert environ[IDLE_TIMEOUT] == 321, (method, path)
    for path in ["/images/nope", "/images/*", "/images/ro/checksum/algorithms"]:
        environ = EnvironBuilder(
            path, method="OPTIONS" if path == "/images/*" else "GET"
        ).get_environ()
        call(app, environ)
        assert IDLE_TIMEOUT not in environ, path


def test_a_write_ticket_hands_its_timeout_for_put_and_patch(
    app: ImageioApp, tickets: Tickets
) -> None:
    tickets["rw"].inactivity_timeout = 7
    put = EnvironBuilder("/images/rw", method="PUT", data=b"x").get_environ()
    patch_ = EnvironBuilder("/images/rw", method="PATCH", data=b'{"op": "flush"}').get_environ()
    for environ in (put, patch_):
        assert call(app, environ) == b""
        assert environ[IDLE_TIMEOUT] == 7


latin1 = st.text(st.characters(min_codepoint=0, max_codepoint=255), max_size=20)
field = st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=20)  # a header's


@settings(max_examples=300, deadline=None)
@given(
    method=st.sampled_from(["GET", "PUT", "PATCH", "OPTIONS", "HEAD", "POST", "DELETE", "X"]),
    suffix=st.sampled_from(["ro", "rw", "*", "", "nope"]) | latin1,
    tail=st.sampled_from(["", "/extents", "/checksum", "/checksum/algorithms"]) | latin1,
    query=st.sampled_from(
        ["block_size=x", "block_size=-1", "algorithm=shake_128", "context=dirty", "flush=q"]
    )
    | latin1,
    headers=st.dictionaries(
        st.sampled_from(["HTTP_RANGE", "HTTP_CONTENT_RANGE", "CONTENT_LENGTH", "HTTP_ORIGIN"]),
        field | st.integers(-5, 2 * SIZE).map(str),
    ),
    body=st.binary(max_size=64),
)
def test_no_request_makes_a_server_error(
    method: str, suffix: str, tail: str, query: str, headers: dict[str, str], body: bytes
) -> None:
    """Whatever the method, path, query, headers and body: an answer, never a 500."""
    lock = OwnedLock()
    disk = DiskContent(SIZE)
    tickets = Tickets(lock)
    tickets["ro"] = Ticket(disk.freeze(), lock)
    tickets["rw"] = Ticket(disk, lock, writable=True)
    environ = EnvironBuilder("/", method=method, data=body).get_environ()
    environ.update(PATH_INFO=f"/images/{suffix}{tail}", QUERY_STRING=query, **headers)
    answer: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]]) -> Any:
        answer.update(status=int(status.split()[0]), headers=dict(headers))

    data = b"".join(ImageioApp(tickets.resolve, lock)(environ, start_response))
    assert 200 <= answer["status"] < 500, data
    assert len(data) == int(answer["headers"]["content-length"])


class BrokenTicket(Ticket):
    def dirty_extents(self) -> list[Any]:
        raise RuntimeError("a bug in the engine")


def test_a_ticket_failure_is_the_daemons_plain_500(
    client: Client, tickets: Tickets, caplog: pytest.LogCaptureFixture
) -> None:
    tickets["broken"] = BrokenTicket(DiskContent(B), tickets.lock)
    response = client.get("/images/broken/extents?context=dirty")
    assert_text_error(response, 500, "Server failed to perform the request, check logs")
    assert "a bug in the engine" in caplog.text


def test_a_finished_transfers_ticket_is_no_such_ticket(fake: Any) -> None:
    """The engine removes a ticket from the daemon when its transfer ends."""
    from fakeovirt.core.transfers import TransferRequest

    disk = fake.disk("vm-down-disk1")
    transfer = fake.engine.start_transfer(
        TransferRequest(disk.id, direction="download", format="raw")
    )
    client = fake.client()
    assert client.options(f"/images/{transfer.ticket}").status_code == 200
    fake.engine.transfer_action(transfer.id, "finalize")
    response = client.options(f"/images/{transfer.ticket}")
    assert_text_error(response, 403, FORBIDDEN + f"No such ticket {transfer.ticket}")


def test_a_bug_behind_the_data_endpoint_reaches_the_error_list() -> None:
    """A 500 from imageio is fakeovirt's bug: the app keeps it, traceback included."""
    from fakeovirt import FakeOvirt

    fake = FakeOvirt()

    def broken(ticket_id: str) -> Any:
        raise ZeroDivisionError("a bug")

    fake.app.imageio._resolve = broken
    response = fake.client().get("/images/whatever", headers={"Range": "bytes=0-1"})
    assert response.status_code == 500
    (error,) = fake.errors
    assert isinstance(error.error, ZeroDivisionError)
    assert "ZeroDivisionError" in error.traceback


# The real ovirt_imageio client over a socket


@pytest.fixture
def url(app: ImageioApp) -> Iterator[str]:
    """The base URL of a threaded server for the app on 127.0.0.1 (polling for its shutdown
    every 10 ms: at the default 0.5 s, each teardown waited that long)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    serve = {"poll_interval": 0.01}
    thread = threading.Thread(target=server.serve_forever, kwargs=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/images"
    server.shutdown()
    thread.join()
    server.server_close()


def write_raw(content: DiskContent | ContentView, path: Path) -> Path:
    """The content as a sparse raw file."""
    with path.open("wb") as f:
        f.truncate(content.size)
        for extent in content.zero_extents():
            if not extent.zero:
                f.seek(extent.start)
                f.write(content.read(extent.start, extent.length))
    return path


def same_image(image: Path, raw: Path, fmt: str = "qcow2") -> bool:
    result = subprocess.run(
        ["qemu-img", "compare", "-f", fmt, "-F", "raw", str(image), str(raw)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr
    return result.returncode == 0


def backup_disk() -> DiskContent:
    """A disk with seeded data, a zeroed run, explicit zeros and unaligned writes."""
    disk = DiskContent(256 * B)
    seed_content(disk, seed=5, blocks=40)
    disk.zero(10 * B + 3, 7 * B)
    disk.write(100 * B, bytes(3 * B))
    disk.write(200 * B - 7, b"unaligned" * 5000)
    return disk


def test_the_real_client_downloads_a_full_image(url: str, tickets: Tickets, tmp_path: Path) -> None:
    require_qemu()
    from ovirt_imageio import client

    view = backup_disk().freeze()
    tickets["full"] = Ticket(view, tickets.lock)
    client.download(f"{url}/full", str(tmp_path / "full.qcow2"), None, fmt="qcow2")
    assert same_image(tmp_path / "full.qcow2", write_raw(view, tmp_path / "expected.raw"))
    assert tickets["full"].bytes_read == sum(e.length for e in view.zero_extents() if not e.zero)


def test_the_real_client_downloads_an_incremental_backup_onto_the_full_one(
    url: str, tickets: Tickets, tmp_path: Path
) -> None:
    require_qemu()
    from ovirt_imageio import client

    disk = backup_disk()
    full = disk.freeze()
    mark = disk.generation
    tickets["full"] = Ticket(full, tickets.lock)
    client.download(f"{url}/full", str(tmp_path / "full.qcow2"), None, fmt="qcow2")

    disk.write(3 * B + 100, b"changed" * 20000)
    disk.zero(next(e for e in full.zero_extents() if not e.zero).start, B)
    disk.write(250 * B, b"\x01" * B)
    incremental = disk.freeze()
    disk.write(0, b"after the second backup")
    tickets["inc"] = Ticket(incremental, tickets.lock, dirty_since=mark)
    client.download(
        f"{url}/inc",
        str(tmp_path / "inc.qcow2"),
        None,
        fmt="qcow2",
        incremental=True,
        backing_file=str(tmp_path / "full.qcow2"),
        backing_format="qcow2",
    )

    expected = write_raw(incremental, tmp_path / "expected.raw")
    assert not same_image(tmp_path / "full.qcow2", expected)
    assert same_image(tmp_path / "inc.qcow2", expected)
    dirty_data = incremental.dirty_extents(mark)
    assert tickets["inc"].bytes_read == sum(e.length for e in dirty_data if e.dirty and not e.zero)


def test_the_real_client_uploads_an_image_into_a_writable_ticket(
    url: str, tickets: Tickets, tmp_path: Path
) -> None:
    require_qemu()
    from ovirt_imageio import client

    source = backup_disk()
    raw = write_raw(source, tmp_path / "source.raw")
    subprocess.run(
        ["qemu-img", "convert", "-f", "raw", "-O", "qcow2", str(raw), str(tmp_path / "src.qcow2")],
        check=True,
    )
    target = DiskContent(source.size)
    target.write(0, b"\xee" * source.size)  # stale bytes the upload must zero
    tickets["up"] = Ticket(target, tickets.lock, writable=True, readable=False)
    client.upload(str(tmp_path / "src.qcow2"), f"{url}/up", None)
    assert target.read(0, target.size) == source.read(0, source.size)
    assert tickets["up"].zeroed, "the client zeroes holes with PATCH"


def test_the_real_client_reports_an_unknown_ticket(url: str, tmp_path: Path) -> None:
    require_qemu()
    from ovirt_imageio import client

    with pytest.raises(Exception, match="not allowed to access this resource"):
        client.download(f"{url}/nope", str(tmp_path / "x.qcow2"), None, fmt="qcow2")


# The qemu guard used above


def test_require_qemu_skips_without_qemu_tools(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="qemu-img and qemu-nbd not found"):
        require_qemu()


def test_require_qemu_fails_on_ci_without_qemu_tools(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="qemu-utils must be installed"):
        require_qemu()
