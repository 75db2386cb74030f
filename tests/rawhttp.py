"""Raw HTTPS against a served fake, as curl users and non-SDK clients talk to the engine:
urllib, the fake's CA file, HTTP Basic credentials, and the headers the caller chooses."""

from __future__ import annotations

import base64
import json
import ssl
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

from fakeovirt import FakeOvirt

API = "/ovirt-engine/api"
XML = {"Content-Type": "application/xml", "Accept": "application/xml"}
JSON = {"Content-Type": "application/json", "Accept": "application/json"}


@dataclass
class Reply:
    status: int
    content_type: str
    body: bytes

    def xml(self) -> ET.Element:
        assert self.content_type.startswith("application/xml"), self.content_type
        return ET.fromstring(self.body)

    def json(self) -> Any:
        assert self.content_type.startswith("application/json"), self.content_type
        return json.loads(self.body)

    def fault(self) -> tuple[str | None, str | None]:
        """`(reason, detail)` of an XML or JSON fault."""
        if self.content_type.startswith("application/json"):
            data = self.json()
            return data.get("reason"), data.get("detail")
        root = self.xml()
        assert root.tag == "fault", self.body
        return root.findtext("reason"), root.findtext("detail")


def call(
    fake: FakeOvirt,
    method: str,
    path: str,
    body: bytes | str | None = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    """One request to `fake`; `path` is below the API root unless it starts with `/ovirt`."""
    url = fake.origin + (path if path.startswith("/ovirt") else API + path)
    data = body.encode() if isinstance(body, str) else body
    basic = base64.b64encode(f"{fake.username}:{fake.password}".encode()).decode()
    sent = {"Authorization": f"Basic {basic}", **(headers or {})}
    request = urllib.request.Request(url, data=data, method=method, headers=sent)
    context = ssl.create_default_context(cafile=fake.ca_file)
    try:
        with urllib.request.urlopen(request, context=context) as response:
            return Reply(response.status, response.headers["Content-Type"], response.read())
    except urllib.error.HTTPError as error:
        return Reply(error.code, error.headers["Content-Type"] or "", error.read())
