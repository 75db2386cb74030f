"""The listening socket, the accept loop, the bound on connections, and a prompt stop.

Rules of this file:
- Accepting never waits on a client: the loop only accepts, wraps the socket for TLS (no I/O)
  and starts the connection's thread; the handshake and the first request happen there.
- At most `Limits.connections` connections; one more is answered 503 on a short-lived thread
  (at most `Limits.rejecting` of those at once, past that it is closed at once).
- `stop()` returns in well under a second whatever the clients do: it shuts every socket,
  which wakes each thread from its wait, and waits half a second at most for them.
"""

from __future__ import annotations

import logging
import selectors
import shutil
import socket
import ssl
import threading
import time
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fakeovirt.web.tls import make_tls, server_context

from .connection import Connection
from .http1 import error_bytes
from .limits import Limits, Timeouts

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

__all__ = ["BackgroundServer"]

log = logging.getLogger("fakeovirt.server")
_BACKLOG = 511  # httpd's ListenBacklog
_JOIN_AT_STOP = 0.5


class BackgroundServer:
    """Serves `app` on `host:port` (port 0 picks a free one) until `stop()`.

    The port is bound when this returns (a busy port raises `OSError` here); `start()`
    begins accepting. With `tls`, a CA and a server certificate are made in `ca_dir`, or in
    a temporary directory that `stop()` removes. `access_log(line)` hears of every request.
    """

    def __init__(
        self,
        app: WSGIApplication,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        tls: bool = True,
        ca_dir: Path | None = None,
        timeouts: Timeouts | None = None,
        limits: Limits | None = None,
        access_log: Callable[[str], None] | None = None,
    ) -> None:
        self.app = app
        self.timeouts = timeouts or Timeouts()
        self.limits = limits or Limits()
        self.access_log = access_log
        self.stopping = False
        self.ca_file: Path | None = None
        self._own_ca_dir: Path | None = None
        self._remove_ca: weakref.finalize[..., BackgroundServer] | None = None
        self._context: ssl.SSLContext | None = None
        self._listener = _listen(host, port)
        try:
            if tls:
                made = make_tls(host, ca_dir)
                self.ca_file = made.ca_file
                self._own_ca_dir = made.ca_file.parent if ca_dir is None else None
                if self._own_ca_dir is not None:  # also at exit, if stop() never ran
                    self._remove_ca = weakref.finalize(
                        self, shutil.rmtree, self._own_ca_dir, ignore_errors=True
                    )
                self._context = server_context(made)
        except BaseException:
            self._listener.close()
            if self._remove_ca is not None:
                self._remove_ca()
            raise
        self.host = host
        self.port: int = self._listener.getsockname()[1]
        self.scheme = "https" if tls else "http"
        self._connections: set[Connection] = set()
        self._rejecting = 0
        self._lock = threading.Lock()
        self._log_lock = threading.Lock()
        self._wake_r, self._wake_w = socket.socketpair()
        self._thread = threading.Thread(
            target=self._accept_loop, name=f"fakeovirt:{self.port}", daemon=True
        )

    @property
    def origin(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        if host == "::":
            host = "::1"
        if ":" in host:
            host = f"[{host}]"
        return f"{self.scheme}://{host}:{self.port}"

    @property
    def connections(self) -> int:
        """Connections open now."""
        with self._lock:
            return len(self._connections)

    def start(self) -> BackgroundServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Close the port and every connection, remove a generated CA directory."""
        if self.stopping:
            return
        self.stopping = True
        self._wake_w.send(b"x")
        if self._thread.is_alive():
            self._thread.join(_JOIN_AT_STOP)
        self._listener.close()
        self._wake_r.close()
        self._wake_w.close()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            connection.abort()
        until = time.monotonic() + _JOIN_AT_STOP
        for connection in connections:
            connection.thread.join(max(0.0, until - time.monotonic()))
        if self._remove_ca is not None:
            self._remove_ca()

    # -- what connections call back --------------------------------------------------------
    def log_request(self, line: str) -> None:
        if self.access_log is not None:
            with self._log_lock:
                self.access_log(line)

    def forget(self, connection: Connection) -> None:
        with self._lock:
            self._connections.discard(connection)

    # -- accepting -------------------------------------------------------------------------
    def _accept_loop(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self._listener, selectors.EVENT_READ)
            selector.register(self._wake_r, selectors.EVENT_READ)
            while not self.stopping:
                for key, _ in selector.select():
                    if key.fileobj is self._wake_r:
                        return
                self._accept_waiting()

    def _accept_waiting(self) -> None:
        for _ in range(64):
            try:
                sock, address = self._listener.accept()
            except (BlockingIOError, InterruptedError, ConnectionAbortedError):
                return
            except OSError as error:  # out of file descriptors or memory: try again soon
                log.warning("fakeovirt cannot accept a connection: %s", error)
                time.sleep(0.05)
                return
            try:
                self._admit(sock, address)
            except (OSError, RuntimeError) as error:  # RuntimeError: no thread to be had
                log.warning("fakeovirt cannot serve a connection: %s", error)
                sock.close()

    def _admit(self, sock: socket.socket, address: Any) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(self.timeouts.head)
        if self._context is not None:
            sock = self._context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        with self._lock:
            if len(self._connections) < self.limits.connections:
                connection = Connection(self, sock, address)
                connection.thread.name = f"fakeovirt:{self.port}:{address[1]}"
                self._connections.add(connection)
                try:
                    connection.thread.start()
                except RuntimeError:
                    self._connections.discard(connection)
                    raise
                return
            if self._rejecting >= self.limits.rejecting:
                sock.close()
                return
            self._rejecting += 1
        try:
            threading.Thread(target=self._reject, args=(sock,), daemon=True).start()
        except RuntimeError:
            with self._lock:
                self._rejecting -= 1
            raise

    def _reject(self, sock: socket.socket) -> None:
        """Answer 503 to a connection past the limit, then close it."""
        try:
            sock.settimeout(min(2.0, self.timeouts.head))
            if isinstance(sock, ssl.SSLSocket):
                sock.do_handshake()
            message = f"fakeovirt has {self.limits.connections} connections open, its limit"
            sock.sendall(error_bytes(503, message))
            socket.socket.shutdown(sock, socket.SHUT_WR)
            until = time.monotonic() + self.timeouts.linger
            while time.monotonic() < until and socket.socket.recv(sock, 65536):
                pass
        except OSError:
            pass
        finally:
            sock.close()
            with self._lock:
                self._rejecting -= 1


def _listen(host: str, port: int) -> socket.socket:
    """A non-blocking listening socket on `host:port`; `OSError` when the port is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(_BACKLOG)
        sock.setblocking(False)
    except BaseException:
        sock.close()
        raise
    return sock
