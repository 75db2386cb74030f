"""Clients that misbehave on purpose, over raw sockets: silent, half a TLS hello, idle, slow.

Each opens a real TCP connection to a served fake; `Crowd` keeps them open until closed.
"""

from __future__ import annotations

import base64
import http.client
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

BASIC = "Basic " + base64.b64encode(b"admin@internal:fakeovirt").decode()
# A TLS record header and the first byte of a ClientHello: a client that stops right there.
PARTIAL_HELLO = b"\x16\x03\x01\x02\x00\x01"
_BUILDERS = 4  # threads that open a crowd's TLS connections


@dataclass
class Server:
    """Where to connect: `https://127.0.0.1:PORT` (or http) and the CA file."""

    origin: str
    ca_file: str | None
    _context: ssl.SSLContext | None = field(default=None, init=False, repr=False, compare=False)

    @property
    def address(self) -> tuple[str, int]:
        parts = urlsplit(self.origin)
        assert parts.hostname is not None and parts.port is not None
        return parts.hostname, parts.port

    def context(self) -> ssl.SSLContext:
        """The client side's TLS context, made once (it verifies the server with the CA file);
        an SSLContext is safe to share between threads."""
        if self._context is None:
            self._context = ssl.create_default_context(cafile=self.ca_file)
        return self._context

    def connect(
        self, *, tls: bool = True, timeout: float = 30.0, receive_buffer: int | None = None
    ) -> socket.socket:
        """A connected socket; `receive_buffer` is set before connecting (set later, the
        window the socket announced stays), so that a client that stops reading makes the
        server's writes block."""
        sock = socket.socket()
        sock.settimeout(timeout)
        if receive_buffer is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        sock.connect(self.address)
        if tls and self.ca_file is not None:
            return self.context().wrap_socket(sock, server_hostname=self.address[0])
        return sock

    def http(self, timeout: float = 30.0) -> http.client.HTTPConnection:
        host, port = self.address
        if self.ca_file is None:
            return http.client.HTTPConnection(host, port, timeout=timeout)
        return http.client.HTTPSConnection(host, port, context=self.context(), timeout=timeout)


def request_bytes(path: str = "/ovirt-engine/api", method: str = "GET", extra: str = "") -> bytes:
    return (
        f"{method} {path} HTTP/1.1\r\nHost: fake\r\nAuthorization: {BASIC}\r\n{extra}\r\n"
    ).encode()


def timed_get(server: Server, path: str = "/ovirt-engine/api") -> tuple[int, float]:
    """A fresh connection, one GET, the whole answer read: (status, seconds)."""
    start = time.perf_counter()
    connection = server.http()
    try:
        connection.request("GET", path, headers={"Authorization": BASIC})
        response = connection.getresponse()
        response.read()
    finally:
        connection.close()
    return response.status, time.perf_counter() - start


def read_answer(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """One whole HTTP answer from a raw socket (Content-Length framed)."""
    reader = sock.makefile("rb")
    status_line = reader.readline()
    assert status_line.startswith(b"HTTP/1.1 "), status_line
    headers: dict[str, str] = {}
    while (line := reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    body = reader.read(int(headers.get("content-length", "0")))
    return int(status_line.split()[1]), headers, body


def accepted(count: int, server: Any, within: float = 10.0) -> bool:
    """True once `server` (a BackgroundServer) holds at least `count` connections: a client's
    connect returns before the server's accept loop has taken the connection."""
    until = time.monotonic() + within
    while server.connections < count:
        if time.monotonic() > until:
            return False
        time.sleep(0.01)
    return True


def closed_by_server(sock: socket.socket) -> bool:
    """True when the server has closed the connection (reads end or reset)."""
    try:
        return sock.recv(1) == b""
    except (ConnectionResetError, ssl.SSLError):
        return True


@dataclass
class Crowd:
    """Connections that misbehave while a test looks at the server."""

    server: Server
    sockets: list[socket.socket] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def silent(self, count: int = 1) -> None:
        """TCP connections that never send a byte."""
        for _ in range(count):
            self.sockets.append(self.server.connect(tls=False))

    def partial_hello(self, count: int = 1) -> None:
        """TCP connections that send six bytes of a TLS ClientHello, then nothing."""
        for _ in range(count):
            sock = self.server.connect(tls=False)
            sock.sendall(PARTIAL_HELLO)
            self.sockets.append(sock)

    def idle_keep_alive(self, count: int) -> None:
        """TLS connections that made one request, read its answer, and stay open (made by a
        few threads at once: each connection mostly waits for the server)."""

        def one(_: int) -> socket.socket:
            sock = self.server.connect()
            self.sockets.append(sock)  # list.append is atomic: closed with the crowd
            sock.sendall(request_bytes())
            status, _, _ = read_answer(sock)
            assert status == 200
            return sock

        with ThreadPoolExecutor(_BUILDERS) as pool:
            list(pool.map(one, range(count)))

    def slow_headers(self, count: int, every: float = 0.5) -> None:
        """Connections that send a request line, then one header byte every `every` s."""
        slow = []
        for _ in range(count):
            sock = self.server.connect()
            sock.sendall(b"GET /ovirt-engine/api HTTP/1.1\r\nHost: fake\r\nX-Slow: ")
            slow.append(sock)
        self.sockets.extend(slow)

        def trickle() -> None:
            while not self._stop.wait(every):
                for sock in slow:
                    with suppress(OSError):
                        sock.sendall(b"a")

        thread = threading.Thread(target=trickle, daemon=True)
        thread.start()
        self._threads.append(thread)

    def stalled_download(self, transfer_url: str) -> None:
        """A GET of a whole image whose reader stops reading after the first bytes."""
        sock = self.server.connect()
        sock.sendall(request_bytes(urlsplit(transfer_url).path))
        assert sock.recv(4096).startswith(b"HTTP/1.1 200 ")
        self.sockets.append(sock)

    def close(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()
        for sock in self.sockets:
            sock.close()


@contextmanager
def crowd(server: Server) -> Iterator[Crowd]:
    made = Crowd(server)
    try:
        yield made
    finally:
        made.close()
