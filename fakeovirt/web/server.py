"""A threaded HTTP(S) server for a WSGI app, started in a background thread."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .tls import make_tls

__all__ = ["BackgroundServer"]


class _QuietHandler(WSGIRequestHandler):
    """No access log on stderr: the journal records every request."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


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
    ) -> None:
        self.ca_file: Path | None = None
        ssl_context = None
        if tls:
            made = make_tls(host, ca_dir)
            self.ca_file, ssl_context = made.ca_file, made.context
        self._server: BaseWSGIServer = make_server(
            host,
            port,
            app,
            threaded=True,
            request_handler=_QuietHandler,
            ssl_context=ssl_context,
        )
        self._server.daemon_threads = True
        self.host = host
        self.port = self._server.socket.getsockname()[1]
        self.scheme = "https" if tls else "http"
        self._thread = threading.Thread(
            target=self._server.serve_forever, name=f"fakeovirt:{self.port}", daemon=True
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
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
