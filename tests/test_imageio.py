"""The imageio data endpoint: the HTTP rules, then the real ovirt_imageio client over a socket."""

from __future__ import annotations

import io
import json
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.serving import make_server
from werkzeug.test import Client, EnvironBuilder, TestResponse, run_wsgi_app
from werkzeug.wrappers import Response

from fakeovirt.core.content import (
    BLOCK_SIZE,
    ContentView,
    DirtyExtent,
    DiskContent,
    UnsupportedExtents,
    ZeroExtent,
    seed_content,
)
from fakeovirt.web.imageio import ALL_FEATURES, ImageioApp, TicketNotFound
from tests.qemutools import require_qemu

B = BLOCK_SIZE
MIB = 1024 * 1024
SIZE = 16 * B


class OwnedLock:
    """A lock that can tell whether the calling thread holds it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._owner: int | None = None

    def __enter__(self) -> OwnedLock:
        self._lock.acquire()
        self._owner = threading.get_ident()
        return self

    def __exit__(self, *exc: object) -> None:
        self._owner = None
        self._lock.release()

    def held(self) -> bool:
        return self._owner == threading.get_ident()


@dataclass
class Ticket:
    """An ImageTicket over a disk or a view that checks every call happens under the lock."""

    source: DiskContent | ContentView
    lock: OwnedLock
    writable: bool = False
    readable: bool = True
    dirty_since: int | None = None
    flushes: int = 0
    bytes_read: int = 0
    zeroed: list[tuple[int, int]] = field(default_factory=list)

    @property
    def size(self) -> int:
        assert self.lock.held()
        return self.source.size

    def read(self, offset: int, length: int) -> bytes:
        assert self.lock.held()
        self.bytes_read += length
        return self.source.read(offset, length)

    def write(self, offset: int, data: bytes) -> None:
        assert self.lock.held()
        assert isinstance(self.source, DiskContent)
        self.source.write(offset, data)

    def zero(self, offset: int, length: int) -> None:
        assert self.lock.held()
        assert isinstance(self.source, DiskContent)
        self.zeroed.append((offset, length))
        self.source.zero(offset, length)

    def flush(self) -> None:
        assert self.lock.held()
        self.flushes += 1

    def zero_extents(self) -> list[ZeroExtent]:
        assert self.lock.held()
        return self.source.zero_extents()

    def dirty_extents(self) -> list[DirtyExtent]:
        assert self.lock.held()
        if self.dirty_since is None:
            raise UnsupportedExtents("Ticket does not support dirty extents")
        return self.source.dirty_extents(self.dirty_since)


class Tickets(dict[str, Ticket]):
    """The tickets an app serves, with the resolver the app calls."""

    def __init__(self, lock: OwnedLock) -> None:
        super().__init__()
        self.lock = lock

    def resolve(self, ticket_id: str) -> Ticket:
        assert self.lock.held()
        if ticket_id == "finished":
            raise TicketNotFound("Transfer finished was finalized")
        try:
            return self[ticket_id]
        except KeyError:
            raise TicketNotFound() from None


@pytest.fixture
def lock() -> OwnedLock:
    return OwnedLock()


@pytest.fixture
def tickets(lock: OwnedLock) -> Tickets:
    disk = DiskContent(SIZE)
    seed_content(disk, seed=1, blocks=4)
    tickets = Tickets(lock)
    tickets["ro"] = Ticket(disk.freeze(), lock)
    tickets["rw"] = Ticket(disk, lock, writable=True, readable=False)
    return tickets


@pytest.fixture
def app(tickets: Tickets, lock: OwnedLock) -> ImageioApp:
    return ImageioApp(tickets.resolve, lock)


@pytest.fixture
def client(app: ImageioApp) -> Client:
    return Client(app)


def assert_text_error(response: Response, status: int, text: str = "") -> None:
    """One line of text/plain with the given status, an exact Content-Length, mentioning text."""
    assert response.status_code == status, response.data
    assert response.headers["Content-Type"] == "text/plain; charset=UTF-8"
    assert response.headers["Content-Length"] == str(len(response.data))
    body = response.get_data(as_text=True)
    assert body.endswith("\n")
    assert body.count("\n") == 1
    assert text in body


def content_of(tickets: Tickets, name: str) -> DiskContent | ContentView:
    return tickets[name].source


# OPTIONS


def test_options_of_a_read_only_ticket_offers_extents_only(client: Client) -> None:
    response = client.options("/images/ro")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    assert response.json == {"features": ["extents"], "max_readers": 4, "max_writers": 1}


def test_options_of_a_writable_ticket_offers_zero_and_flush(client: Client) -> None:
    response = client.options("/images/rw")
    assert response.json is not None
    assert response.json["features"] == ["extents", "zero", "flush"]
    assert "unix_socket" not in response.json


def test_options_reports_the_configured_reader_and_writer_limits(tickets: Tickets) -> None:
    app = ImageioApp(tickets.resolve, tickets.lock, max_readers=2, max_writers=3)
    response = Client(app).options("/images/ro")
    assert response.json is not None
    assert (response.json["max_readers"], response.json["max_writers"]) == (2, 3)


def test_options_star_reports_all_server_features(client: Client) -> None:
    response = client.options("/images/*")
    assert response.status_code == 200
    assert response.json == {"features": list(ALL_FEATURES)}


# GET


def test_a_ranged_get_answers_206_with_the_exact_bytes_and_headers(
    client: Client, tickets: Tickets
) -> None:
    response = client.get("/images/ro", headers={"Range": f"bytes={B - 10}-{3 * B + 9}"})
    assert response.status_code == 206
    assert response.data == content_of(tickets, "ro").read(B - 10, 2 * B + 20)
    assert response.headers["Content-Length"] == str(2 * B + 20)
    assert response.headers["Content-Range"] == f"bytes {B - 10}-{3 * B + 9}/{SIZE}"
    assert response.headers["Content-Type"] == "application/octet-stream"


def test_an_open_ended_range_runs_to_the_end_of_the_image(client: Client) -> None:
    response = client.get("/images/ro", headers={"Range": f"bytes={SIZE - 100}-"})
    assert response.status_code == 206
    assert len(response.data) == 100
    assert response.headers["Content-Range"] == f"bytes {SIZE - 100}-{SIZE - 1}/{SIZE}"


def test_a_get_without_range_answers_the_whole_image(client: Client, tickets: Tickets) -> None:
    response = client.get("/images/ro")
    assert response.status_code == 200
    assert response.headers["Content-Length"] == str(SIZE)
    assert response.data == content_of(tickets, "ro").read(0, SIZE)


def test_head_answers_the_length_without_a_body(client: Client) -> None:
    response = client.head("/images/ro")
    assert response.status_code == 200
    assert response.headers["Content-Length"] == str(SIZE)
    assert response.data == b""


def test_a_write_ticket_may_also_read(client: Client) -> None:
    assert client.get("/images/rw", headers={"Range": "bytes=0-9"}).status_code == 206


def test_a_large_range_streams_in_chunks_and_releases_the_lock_between_them(
    lock: OwnedLock,
) -> None:
    disk = DiskContent(8 * MIB)
    disk.write(0, b"\x05" * 8 * MIB)
    tickets = Tickets(lock)
    tickets["big"] = Ticket(disk, lock)
    app = ImageioApp(tickets.resolve, lock)
    environ = EnvironBuilder("/images/big", headers=[("Range", "bytes=1-7340033")]).get_environ()
    app_iter, status, headers = run_wsgi_app(app, environ)
    assert status == "206 PARTIAL CONTENT"
    sizes = []
    for chunk in app_iter:
        assert not lock.held()
        sizes.append(len(chunk))
    assert max(sizes) <= MIB
    assert sum(sizes) == 7340033 == int(headers["Content-Length"])


@pytest.mark.parametrize(
    "header",
    [
        "bytes=0-1,4-5",
        "bytes=-100",
        "bytes=-",
        "bytes=10-5",
        f"bytes=0-{SIZE}",
        f"bytes={SIZE}-",
        "items=0-1",
        "bytes= 0-1",
        "bytes=x-y",
    ],
)
def test_a_bad_multiple_or_out_of_bounds_range_is_416(client: Client, header: str) -> None:
    response = client.get("/images/ro", headers={"Range": header})
    assert_text_error(response, 416, "Cannot satisfy range")
    assert response.headers["Content-Range"] == f"bytes */{SIZE}"


@settings(max_examples=100, deadline=None)
@given(
    header=st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=30)
    | st.builds("bytes={}-{}".format, st.integers(-2, SIZE + 2), st.integers(-2, SIZE + 2))
)
def test_no_range_header_makes_a_server_error(header: str) -> None:
    lock = OwnedLock()
    tickets = Tickets(lock)
    tickets["t"] = Ticket(DiskContent(SIZE), lock)
    environ = EnvironBuilder("/images/t").get_environ()
    environ["HTTP_RANGE"] = header
    response = Client(ImageioApp(tickets.resolve, lock)).open(environ)
    assert response.status_code in (206, 416)


# Extents


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
    assert_text_error(client.get("/images/ro/extents?context=dirty"), 404, "dirty extents")


def test_an_unknown_extents_context_is_400(client: Client) -> None:
    assert_text_error(client.get("/images/ro/extents?context=bogus"), 400, "'bogus'")


# PUT


def test_put_writes_at_the_content_range_start_and_flushes(
    client: Client, tickets: Tickets
) -> None:
    response = client.put(
        "/images/rw", data=b"hello", headers={"Content-Range": f"bytes {B - 2}-{B + 2}/*"}
    )
    assert response.status_code == 200
    assert response.headers["Content-Length"] == "0"
    assert content_of(tickets, "rw").read(B - 2, 5) == b"hello"
    assert tickets["rw"].flushes == 1


def test_put_without_content_range_writes_at_zero(client: Client, tickets: Tickets) -> None:
    assert client.put("/images/rw?flush=n", data=b"start").status_code == 200
    assert content_of(tickets, "rw").read(0, 5) == b"start"
    assert tickets["rw"].flushes == 0


def test_put_reads_a_large_body_in_chunks(client: Client, tickets: Tickets) -> None:
    data = bytes(range(256)) * (3 * MIB // 256)
    disk = DiskContent(4 * MIB)
    tickets["big"] = Ticket(disk, tickets.lock, writable=True)
    assert client.put("/images/big", data=data).status_code == 200
    assert disk.read(0, len(data)) == data
    assert disk.generation == 3


def test_put_without_content_length_is_400(app: ImageioApp) -> None:
    environ = EnvironBuilder(
        "/images/rw", method="PUT", input_stream=io.BytesIO(b"x")
    ).get_environ()
    del environ["CONTENT_LENGTH"]
    app_iter, status, headers = run_wsgi_app(app, environ, buffered=True)
    assert_text_error(Response(app_iter, status, headers), 400, "Content-Length")


def test_put_past_the_end_is_416(client: Client, tickets: Tickets) -> None:
    response = client.put(
        "/images/rw", data=b"xx", headers={"Content-Range": f"bytes {SIZE - 1}-{SIZE}/*"}
    )
    assert_text_error(response, 416)
    assert response.headers["Content-Range"] == f"bytes */{SIZE}"


def test_put_to_a_read_only_ticket_is_403(client: Client, tickets: Tickets) -> None:
    before = content_of(tickets, "ro").read(0, 4)
    assert_text_error(client.put("/images/ro", data=b"nope"), 403, "forbids write")
    assert content_of(tickets, "ro").read(0, 4) == before


def test_put_over_the_request_limit_is_413(tickets: Tickets) -> None:
    client = Client(ImageioApp(tickets.resolve, tickets.lock, max_request_bytes=100))
    assert_text_error(client.put("/images/rw", data=bytes(101)), 413)
    assert client.put("/images/rw", data=bytes(100)).status_code == 200


@pytest.mark.parametrize(
    ("url", "headers", "text"),
    [
        ("/images/rw?flush=maybe", {}, "'flush'"),
        ("/images/rw", {"Content-Range": "bytes 0-1"}, "Content-Range"),
        ("/images/rw", {"Content-Range": "0-1/*"}, "Content-Range"),
    ],
)
def test_put_with_a_bad_flush_or_content_range_is_400(
    client: Client, url: str, headers: dict[str, str], text: str
) -> None:
    assert_text_error(client.put(url, data=b"x", headers=headers), 400, text)


# PATCH


def patch(client: Client, ticket: str, body: Any) -> TestResponse:
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.patch(f"/images/{ticket}", data=data, content_type="application/json")


def test_patch_zero_zeroes_the_range(client: Client, tickets: Tickets) -> None:
    disk = content_of(tickets, "rw")
    data = next(e for e in disk.zero_extents() if not e.zero)
    response = patch(client, "rw", {"op": "zero", "offset": data.start + 1, "size": 10})
    assert response.status_code == 200
    assert response.headers["Content-Length"] == "0"
    assert disk.read(data.start + 1, 10) == bytes(10)
    assert disk.read(data.start, 1) != b"\0"
    assert tickets["rw"].flushes == 0


def test_patch_zero_defaults_offset_to_zero_and_may_flush(client: Client, tickets: Tickets) -> None:
    assert patch(client, "rw", {"op": "zero", "size": B, "flush": True}).status_code == 200
    assert tickets["rw"].zeroed == [(0, B)]
    assert tickets["rw"].flushes == 1


def test_patch_flush_flushes(client: Client, tickets: Tickets) -> None:
    assert patch(client, "rw", {"op": "flush"}).status_code == 200
    assert tickets["rw"].flushes == 1


@pytest.mark.parametrize(
    ("body", "text"),
    [
        ("{not json", "Invalid JSON"),
        (b"\xff\xfe", "Invalid JSON"),
        ("", "Invalid JSON"),
        ([1, 2], "object"),
        ({"op": "trim"}, "'op'"),
        ({"size": 1}, "'op'"),
        ({"op": "zero"}, "'size'"),
        ({"op": "zero", "size": -1}, "'size'"),
        ({"op": "zero", "size": True}, "'size'"),
        ({"op": "zero", "size": "1"}, "'size'"),
        ({"op": "zero", "size": 1, "offset": 1.5}, "'offset'"),
        ({"op": "zero", "size": 1, "flush": "yes"}, "'flush'"),
    ],
)
def test_a_bad_patch_message_is_400(client: Client, tickets: Tickets, body: Any, text: str) -> None:
    assert_text_error(patch(client, "rw", body), 400, text)
    assert tickets["rw"].zeroed == []


def test_patch_zero_past_the_end_is_416(client: Client) -> None:
    assert_text_error(patch(client, "rw", {"op": "zero", "offset": SIZE - 1, "size": 2}), 416)


@pytest.mark.parametrize("body", [{"op": "zero", "size": 1}, {"op": "flush"}])
def test_patch_of_a_read_only_ticket_is_403(client: Client, body: dict[str, Any]) -> None:
    assert_text_error(patch(client, "ro", body), 403, "forbids write")


def test_a_patch_message_over_the_limit_is_413(client: Client) -> None:
    assert_text_error(patch(client, "rw", " " * 100_000 + '{"op": "flush"}'), 413)


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


# Tickets, methods and paths


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
def test_an_unknown_ticket_is_403(client: Client, method: str, path: str) -> None:
    data = json.dumps({"op": "flush"}) if method == "PATCH" else b"x"
    response = client.open(path, method=method, data=data)
    assert_text_error(response, 403)
    assert response.data == b"You are not allowed to access this resource: Ticket nope not found\n"


def test_a_finished_ticket_is_403_with_the_engine_reason(client: Client) -> None:
    response = client.get("/images/finished", headers={"Range": "bytes=0-1"})
    assert_text_error(response, 403, "Transfer finished was finalized")


def test_a_ticket_allowing_nothing_is_403(client: Client, tickets: Tickets) -> None:
    tickets["none"] = Ticket(DiskContent(B), tickets.lock, readable=False)
    assert_text_error(client.options("/images/none"), 403, "forbids read")


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("DELETE", "/images/ro", {"OPTIONS", "GET", "HEAD", "PUT", "PATCH"}),
        ("POST", "/images/ro", {"OPTIONS", "GET", "HEAD", "PUT", "PATCH"}),
        ("PUT", "/images/ro/extents", {"GET", "HEAD"}),
    ],
)
def test_an_unknown_method_is_405(client: Client, method: str, path: str, allow: set[str]) -> None:
    response = client.open(path, method=method)
    assert_text_error(response, 405)
    assert set(response.headers["Allow"].split(",")) == allow


@pytest.mark.parametrize("path", ["/images/", "/images/ro/", "/images/ro/checksum", "/other"])
def test_an_unknown_path_is_a_plain_404(client: Client, path: str) -> None:
    assert_text_error(client.get(path), 404)


class BrokenTicket(Ticket):
    def dirty_extents(self) -> list[DirtyExtent]:
        raise RuntimeError("a bug in the engine")


def test_a_ticket_failure_is_a_plain_500_not_an_html_page(
    client: Client, tickets: Tickets, caplog: pytest.LogCaptureFixture
) -> None:
    tickets["broken"] = BrokenTicket(DiskContent(B), tickets.lock)
    response = client.get("/images/broken/extents?context=dirty")
    assert_text_error(response, 500)
    assert b"a bug in the engine" not in response.data
    assert "a bug in the engine" in caplog.text


# The real ovirt_imageio client over a socket


@pytest.fixture
def url(app: ImageioApp) -> Iterator[str]:
    """The base URL of a threaded server for the app on 127.0.0.1."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
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
