"""A threaded HTTP(S) server for a WSGI app, started in a background thread.

cheroot (CherryPy's server) rather than werkzeug's development server: werkzeug's closes
every connection and waits 10 ms after each response, which makes an imageio download of
many small extents 100 times slower; cheroot keeps connections alive, as the real
engine and imageio daemon do, without tying a thread to an idle connection.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from cheroot import wsgi
from cheroot.ssl.builtin import BuiltinSSLAdapter

from .tls import make_tls

__all__ = ["BackgroundServer"]


class BackgroundServer:
    """Serves `app` on `host:port` (port 0 picks a free one) until `stop()`."""

    def __init__(
        self,
        app: Any,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        tls: bool = True,
        ca_dir: Path | None = None,
        threads: int = 16,
    ) -> None:
        self.ca_file: Path | None = None
        self._server = wsgi.Server((host, port), app, numthreads=threads, server_name="fakeovirt")
        # The serve loop notices stop() at this interval (cheroot's default is 0.5 s, which
        # every test that starts its own server would pay at teardown).
        self._server.expiration_interval = 0.05
        if tls:
            made = make_tls(host, ca_dir)
            self.ca_file = made.ca_file
            self._server.ssl_adapter = BuiltinSSLAdapter(str(made.cert_file), str(made.key_file))
        self._server.prepare()  # binds now, so the port is known and errors surface here
        self.host = host
        self.port = self._server.bind_addr[1]
        self.scheme = "https" if tls else "http"
        self._thread = threading.Thread(
            target=self._server.serve, name=f"fakeovirt:{self.port}", daemon=True
        )

    @property
    def origin(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        if ":" in host:
            host = f"[{host}]"
        return f"{self.scheme}://{host}:{self.port}"

    def start(self) -> BackgroundServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.stop()
        self._thread.join(timeout=10)
