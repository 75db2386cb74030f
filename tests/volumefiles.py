"""Plain HTTPS to the imageio endpoint, as the Bareos plugin reads and writes it, and
qemu-img to judge the volume files it gets.

A download is one `GET` of the ticket URL without `Range` (BAREOS:1736-1825); an upload one
`PUT` of the whole file with `Content-Range: bytes 0-(N-1)/N` (BAREOS:1843-1866).
"""

from __future__ import annotations

import ssl
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterable
from pathlib import Path

from fakeovirt import FakeOvirt

__all__ = ["get_image", "put_image", "qemu_img", "ticket_url"]


def ticket_url(fake: FakeOvirt, ticket: str) -> str:
    return f"{fake.origin}/images/{ticket}"


def _open(fake: FakeOvirt, request: urllib.request.Request) -> tuple[int, dict[str, str], bytes]:
    context = ssl.create_default_context(cafile=fake.ca_file)
    try:
        with urllib.request.urlopen(request, context=context, timeout=60) as response:
            return response.status, _lower(response.headers.items()), response.read()
    except urllib.error.HTTPError as error:
        return error.code, _lower(error.headers.items()), error.read()


def get_image(fake: FakeOvirt, url: str) -> tuple[int, dict[str, str], bytes]:
    """A plain GET without Range: status, headers, the whole body."""
    return _open(fake, urllib.request.Request(url, method="GET"))


def put_image(fake: FakeOvirt, url: str, data: bytes) -> tuple[int, bytes]:
    """One PUT of the whole file, with the Content-Range Bareos sends."""
    headers = {"Content-Range": f"bytes 0-{len(data) - 1}/{len(data)}"}
    status, _, body = _open(fake, urllib.request.Request(url, data, headers, method="PUT"))
    return status, body


def qemu_img(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["qemu-img", *map(str, args)], capture_output=True, text=True, check=False, timeout=60
    )


def _lower(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Header names in lower case (HTTP names are case-insensitive)."""
    return {name.lower(): value for name, value in items}
