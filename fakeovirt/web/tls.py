"""A certificate authority made for one server, so clients can verify it with a CA file."""

from __future__ import annotations

import ipaddress
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path

import trustme

__all__ = ["ServerTLS", "make_tls"]


@dataclass(frozen=True)
class ServerTLS:
    ca_file: Path
    context: ssl.SSLContext


def make_tls(host: str, directory: Path | None = None) -> ServerTLS:
    """A fresh CA and a server certificate for `host`, localhost and the loopback addresses."""
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
    ca_file = directory / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    return ServerTLS(ca_file=ca_file, context=context)
