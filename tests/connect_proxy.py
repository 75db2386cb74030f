"""An HTTPS front for a served fake under the engine's own host name, for programs that
hard-code `https://engine40.example.com/ovirt-engine/api` (the SDK's examples).

libcurl (under ovirtsdk4) honours `https_proxy`: it sends `CONNECT host:443` to this proxy,
which answers the TLS handshake itself with a certificate for that host from its own CA
(written as `ca.pem`, the file the examples pass) and forwards the plain HTTP to the fake.
Nothing in the client is changed: only its environment and working directory.
"""

from __future__ import annotations

import select
import socket
import ssl
import threading
from pathlib import Path

import trustme

__all__ = ["TerminatingProxy"]


class TerminatingProxy:
    """CONNECT proxy on 127.0.0.1 terminating TLS for `hostname`, forwarding to `upstream`."""

    def __init__(self, hostname: str, upstream: tuple[str, int], directory: Path) -> None:
        ca = trustme.CA(organization_name="fakeovirt test proxy")
        self.ca_file = directory / "ca.pem"
        ca.cert_pem.write_to_path(str(self.ca_file))
        self._context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ca.issue_cert(hostname).configure_cert(self._context)
        self._upstream = upstream
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._stopped = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self._stopped.set()
        self._listener.close()

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        with client:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = client.recv(4096)
                if not chunk:
                    return
                head += chunk
            if not head.startswith(b"CONNECT "):
                client.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
                return
            client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            with (
                self._context.wrap_socket(client, server_side=True) as tls,
                socket.create_connection(self._upstream) as upstream,
            ):
                _pump(tls, upstream)


def _pump(tls: ssl.SSLSocket, upstream: socket.socket) -> None:
    """Copy bytes both ways until either side closes (one thread: an SSL socket is not
    safe to read and write from two threads at once)."""
    while True:
        ready = [tls] if tls.pending() else select.select([tls, upstream], [], [], 60)[0]
        if not ready:
            return
        for source in ready:
            data = source.recv(65536)
            if not data:
                return
            (upstream if source is tls else tls).sendall(data)
