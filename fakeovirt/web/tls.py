"""A certificate authority made for one server, so clients can verify it with a CA file, and
the server's TLS context built from it alone (no system CA store: the server verifies no
client certificate, and loading the store costs tens of milliseconds at every start).
`trustme` (and the `cryptography` it loads, a tenth of a second) is imported when a CA is
made, not by a server that serves plain HTTP."""

from __future__ import annotations

import ipaddress
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ServerTLS", "make_tls", "server_context"]


@dataclass(frozen=True)
class ServerTLS:
    ca_file: Path
    cert_file: Path
    key_file: Path


def make_tls(host: str, directory: Path | None = None) -> ServerTLS:
    """A fresh CA and a server certificate for `host`, localhost and the loopback addresses."""
    import trustme

    names = {"localhost", "127.0.0.1", "::1"}
    try:
        if not ipaddress.ip_address(host).is_unspecified:
            names.add(host)
    except ValueError:
        names.add(host)
    ca = trustme.CA(organization_name="fakeovirt")
    cert = ca.issue_cert(*sorted(names))
    directory = directory or Path(tempfile.mkdtemp(prefix="fakeovirt-ca-"))
    directory.mkdir(parents=True, exist_ok=True)
    made = ServerTLS(directory / "ca.pem", directory / "server.pem", directory / "server.key")
    ca.cert_pem.write_to_path(str(made.ca_file))
    cert.cert_chain_pems[0].write_to_path(str(made.cert_file))
    for pem in cert.cert_chain_pems[1:]:
        pem.write_to_path(str(made.cert_file), append=True)
    cert.private_key_pem.write_to_path(str(made.key_file))
    made.key_file.chmod(0o600)
    return made


def server_context(made: ServerTLS) -> ssl.SSLContext:
    """A server-side TLS context (TLS 1.2 or later) with our certificate and key only."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(made.cert_file, made.key_file)
    return context
