"""How long the server waits for a client and how much it accepts, with where each number
comes from.

API connections wait as the engine's front end does: Apache httpd with its stock settings.
The engine only adds a reverse proxy to JBoss (`ovirt-engine:packaging/conf/
ovirt-engine-proxy.conf.v2.in`, `ProxyPassMatch ajp://... timeout=3600`, the time httpd waits
for the engine, not for a client) and sets no client timeout, so httpd's defaults hold:
`Timeout 60`, `KeepAliveTimeout 5`, mod_reqtimeout `header=20 body=20`, `LimitRequestLine
8190`, `LimitRequestFieldSize 8190`, `LimitRequestFields 100`.

Imageio connections (`/images/...`) wait as the daemon does (`ovirt-imageio:ovirt_imageio/
_internal/http.py:170-179`, `config.py:19-22`): 60 s for every read and write, idle or not,
then the ticket's `inactivity_timeout` once a request on the connection was authorized
(`backends/__init__.py:119-120`); see `ENVIRON_IDLE_TIMEOUT`.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ENVIRON_IDLE_TIMEOUT", "IMAGEIO_PREFIX", "Limits", "Timeouts"]

# An app sets environ[ENVIRON_IDLE_TIMEOUT] = seconds (int or float) once it has authorized a
# request; from then on it is the connection's timeout for every wait (idle, reads, writes).
# A value <= 0 (or not a finite number) means the daemon's default, `Timeouts.imageio`.
ENVIRON_IDLE_TIMEOUT = "fakeovirt.idle_timeout"
IMAGEIO_PREFIX = "/images"
MAX_IDLE_TIMEOUT = 1_000_000.0  # about 11 days: what a socket timeout can hold with room


@dataclass(frozen=True)
class Timeouts:
    """Seconds the server waits for a client; a client past one is disconnected."""

    head: float = 20.0
    """A deadline for the request line and headers, from their first byte (httpd
    mod_reqtimeout `header=20`); for a new connection it runs from the accept and covers
    the TLS handshake too."""
    keep_alive: float = 5.0
    """An API connection idle between requests (httpd `KeepAliveTimeout 5`)."""
    body: float = 20.0
    """Each read of an API request body (httpd mod_reqtimeout `body=20`)."""
    send: float = 60.0
    """Each write of an API response (httpd `Timeout 60`)."""
    imageio: float = 60.0
    """Each wait of an imageio connection, idle, reading or writing, until a request on it
    was authorized (the daemon's `Connection.timeout`, and its default ticket
    `inactivity_timeout`)."""
    linger: float = 2.0
    """After a response that closes the connection, how long unread request bytes are
    drained so the client reads the answer instead of a reset (httpd's lingering close)."""

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if not 0 < value <= MAX_IDLE_TIMEOUT:
                raise ValueError(f"timeout {name} must be > 0 and <= {MAX_IDLE_TIMEOUT:g} s")


@dataclass(frozen=True)
class Limits:
    """Sizes and counts the server accepts; past one the client gets a 4xx or a 503."""

    request_line: int = 8190
    """Bytes of the request line (httpd `LimitRequestLine`); longer is 414."""
    header_field: int = 8190
    """Bytes of one header line (httpd `LimitRequestFieldSize`); longer is 400."""
    header_fields: int = 100
    """Header lines of one request (httpd `LimitRequestFields`); more is 400."""
    chunked_body: int = 64 * 1024 * 1024
    """Bytes of a `Transfer-Encoding: chunked` request body, which the server decodes before
    the app runs (so bad framing is a 400 from the server); larger is 413."""
    connections: int = 1000
    """Open connections, each with its own thread; one more is answered 503 and closed."""
    rejecting: int = 32
    """Connections past `connections` being answered 503 at once; more are closed at once."""

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if value < 1:
                raise ValueError(f"limit {name} must be positive")
