"""Hostile requests for every route family, generated as routes by bad bodies/params/headers.

`CASES` is what `tests/test_hostile_inputs.py` sends. A case's path and body may hold
`{vm}`, `{disk}`, `{ticket}` and `{files}` (a directory of hostile files: a FIFO, a
directory, a link to /dev/zero, an oversize file, a secret), filled in per test.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

__all__ = ["CANARY", "CASES", "FAMILY_TYPES", "Case"]

API = "/ovirt-engine/api"
SSO = "/ovirt-engine/sso/oauth/token"
CANARY = "fakeovirt-canary-7f3a9c"  # the content of the secret file; never in an answer
BIG = 9 * 1024 * 1024  # past the 8 MiB body limit
FAMILY_TYPES = {
    "api": "application/xml",
    "sso": "application/json",
    "imageio": "text/plain",
    "control": "application/json",
    "dashboard": "application/json",
}


@dataclass(frozen=True)
class Case:
    """One hostile request and what it must get: a 4xx (`status`, when given, exactly)."""

    id: str
    family: str
    method: str
    path: str
    body: bytes | None = None
    headers: tuple[tuple[str, str], ...] = ()
    auth: bool = True
    status: int | None = None
    served: bool = False  # also sent to a served fake over a real socket
    error: str | None = None  # the JSON error code it must get (control plane)

    @property
    def journaled(self) -> bool:
        return self.family in ("api", "sso", "control")


def _basic(user: bytes) -> str:
    return "Basic " + base64.b64encode(user).decode()


# -- the REST API -------------------------------------------------------------------------
XML_BODIES: dict[str, bytes] = {
    "malformed": b"<backup><disks>",
    "billion-laughs": (
        b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "lol">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]>'
        b"<backup><description>&c;</description></backup>"
    ),
    "external-entity": (
        b'<?xml version="1.0"?><!DOCTYPE b [<!ENTITY x SYSTEM "file://{files}/secret.toml">]>'
        b"<backup><description>&x;</description><disks><disk id='x'/></disks></backup>"
    ),
    "parameter-entity": (
        b'<?xml version="1.0"?><!DOCTYPE b [<!ENTITY % x SYSTEM "file://{files}/secret.toml">'
        b"%x;]><backup/>"
    ),
    "wrong-root": b"<vm><name>x</name></vm>",
    "unknown-element": b"<backup><colour>red</colour><disks><disk id='x'/></disks></backup>",
    "binary": b"\x00\xff\xfe garbage",
    "deep": b"<backup>" * 50_000,
    "invalid-utf8": b"<backup><description>\xff\xfe</description></backup>",
    "declared-utf16": b"<?xml version='1.0' encoding='utf-16'?><backup/>",
    "unknown-encoding": b"<?xml version='1.0' encoding='bogus'?><backup/>",
    "multi-byte-encoding": b"<?xml version='1.0' encoding='shift_jis'?><backup/>",
    "codec-no-encoding": b"<?xml version='1.0' encoding='idna'?><backup/>",
    "json": b'{"backup": {"disks": []}}',
    "empty": b"",
    "huge-id": b"<backup><disks><disk id='" + b"x" * 100_000 + b"'/></disks></backup>",
    "too-large": b"<backup><description>" + b"x" * BIG + b"</description></backup>",
}
TRANSFER_BODIES = {
    "timeout-overflow": b"<image_transfer><disk id='{disk}'/>"
    b"<inactivity_timeout>99999999999999999999</inactivity_timeout></image_transfer>",
    "direction-sideways": b"<image_transfer><direction>sideways</direction>"
    b"<disk id='{disk}'/></image_transfer>",
    "unknown-disk": b"<image_transfer><disk id='no-such-disk'/></image_transfer>",
}
# A disk attached as of a snapshot (`vm_backup.py`'s body) with a snapshot nobody has.
_SNAPSHOT_ATTACH = (
    b"<disk_attachment><disk id='{disk}'>%s</disk><active>true</active>"
    b"<interface>virtio</interface></disk_attachment>"
)
ATTACHMENT_BODIES = {
    "snapshot-unknown": _SNAPSHOT_ATTACH % b"<snapshot id='no-such-snapshot'/>",
    "snapshot-no-id": _SNAPSHOT_ATTACH % b"<snapshot/>",
    "snapshot-huge-id": _SNAPSHOT_ATTACH % (b"<snapshot id='" + b"x" * 100_000 + b"'/>"),
    "snapshot-traversal": _SNAPSHOT_ATTACH % b"<snapshot id='../../etc/passwd'/>",
}
# The collections a POST creates something in: a bad body must create nothing.
WRITE_TARGETS = (
    "vms/{vm}/backups",
    "imagetransfers",
    "disks",
    "vms",
    "vms/{vm}/snapshots",
    "vms/{vm}/diskattachments",
    "vms/{vm}/nics",
    "events",
    "storagedomains/{sd}/disks",
)
COLLECTIONS = (
    "vms",
    "disks",
    "hosts",
    "storagedomains",
    "clusters",
    "datacenters",
    "events",
    "jobs",
    "imagetransfers",
    "vms/{vm}/backups",
    "vms/{vm}/checkpoints",
    "vms/{vm}/snapshots",
    "vms/{vm}/diskattachments",
)
# The engine ignores a `max` it cannot read and answers an unknown search key with an empty
# list (docs/wire.md): those are not hostile. A negative `max` is refused by search-backed
# lists only; an unknown `follow` everywhere.
SEARCH_BACKED = ("vms", "hosts", "storagedomains", "clusters", "datacenters", "events", "jobs")
BAD_QUERIES = {
    "follow-unknown": "follow=bogus",
    "follow-unknown-nested": "follow=disk_attachments.bogus",
    "follow-flood": "follow=" + "a," * 2000,
}
BAD_IDS = {
    "traversal": "..%2F..%2Fetc%2Fpasswd",
    "long": "x" * 10_000,
    "nul": "%00",
    "bad-utf8": "%C3%28",
}
AUTHS = {
    "none": None,
    "basic-garbage": "Basic !!!",
    "basic-wrong": _basic(b"admin@internal:wrong"),
    "basic-not-utf8": _basic(b"\xff\xfe:x"),
    "bearer-unknown": "Bearer nope",
    "bearer-long": "Bearer " + "x" * 10_000,
    "digest": 'Digest username="admin@internal"',
}


def _api_cases() -> list[Case]:
    out = []
    for name, body in XML_BODIES.items():
        status = 413 if name == "too-large" else None
        for target in WRITE_TARGETS:
            short = "-".join(p for p in target.split("/") if not p.startswith("{"))
            out.append(
                Case(
                    f"api-post-{short}-{name}",
                    "api",
                    "POST",
                    f"{API}/{target}",
                    body,
                    (("Content-Type", "application/xml"),),
                    status=status,
                    served=name in ("external-entity", "too-large", "deep"),
                )
            )
    for name, body in TRANSFER_BODIES.items():
        out.append(
            Case(f"api-post-imagetransfers-{name}", "api", "POST", f"{API}/imagetransfers", body)
        )
    for name, body in ATTACHMENT_BODIES.items():
        path = f"{API}/vms/{{vm}}/diskattachments"
        xml = (("Content-Type", "application/xml"),)
        case = Case(f"api-post-diskattachments-{name}", "api", "POST", path, body, xml, status=400)
        out.append(case)
    for collection in COLLECTIONS:
        for name, query in BAD_QUERIES.items():
            out.append(
                Case(
                    f"api-get-{collection}-{name}",
                    "api",
                    "GET",
                    f"{API}/{collection}?{query}",
                    status=400,
                )
            )
    for collection in SEARCH_BACKED:
        path = f"{API}/{collection}?max=-1"
        out.append(Case(f"api-get-{collection}-max-negative", "api", "GET", path, status=400))
    for resource in ("vms", "disks", "hosts", "storagedomains", "imagetransfers"):
        for name, bad in BAD_IDS.items():
            path = f"{API}/{resource}/{bad}"
            out.append(Case(f"api-get-{resource}-id-{name}", "api", "GET", path, status=404))
    served_methods = {  # a running VM and its plugged disk refuse removal as the engine does
        ("DELETE", "vms/{vm}"): 409,
        ("DELETE", "disks/{disk}"): 409,
    }
    for method in ("PUT", "PATCH", "DELETE", "POST"):
        for target in ("vms/{vm}", "disks/{disk}", "hosts", ""):
            path = f"{API}/{target}".rstrip("/")
            out.append(
                Case(
                    f"api-{method.lower()}-{target or 'root'}",
                    "api",
                    method,
                    path,
                    b"<x/>",
                    status=served_methods.get((method, target), 405),
                )
            )
    for name, header in AUTHS.items():
        headers = (("Authorization", header),) if header else ()
        out.append(
            Case(
                f"api-auth-{name}",
                "api",
                "GET",
                f"{API}/vms",
                None,
                headers,
                auth=False,
                status=401,
                # Not served: there a 10 kB header line is refused before authentication,
                # as httpd's LimitRequestFieldSize does (tests/test_server_framing.py).
                served=False,
            )
        )
    return out


# -- SSO ------------------------------------------------------------------------------------
FORM = (("Content-Type", "application/x-www-form-urlencoded"),)
SSO_FORMS = {
    "empty": b"",
    "client-credentials": b"grant_type=client_credentials",
    "empty-password": b"grant_type=password&username=admin@internal&password=",
    "wrong-password": b"grant_type=password&username=admin@internal&password=no",
    "not-utf8-user": b"grant_type=password&username=%ff%fe&password=x",
    "long-user": b"grant_type=password&username=" + b"a" * 100_000 + b"&password=x",
    "binary": b"\xff\xfe\x00",
    "too-large": b"grant_type=password&username=" + b"a" * BIG,
}


def _sso_cases() -> list[Case]:
    out = [
        Case(
            f"sso-{name}",
            "sso",
            "POST",
            SSO,
            body,
            FORM,
            auth=False,
            status=413 if name == "too-large" else None,
            served=name in ("too-large", "binary"),
        )
        for name, body in SSO_FORMS.items()
    ]
    multipart = b'--x\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n'
    out += [
        Case(
            "sso-broken-multipart",
            "sso",
            "POST",
            SSO,
            multipart,
            (("Content-Type", "multipart/form-data; boundary=x"),),
            auth=False,
        ),
        Case(
            "sso-multipart-no-boundary",
            "sso",
            "POST",
            SSO,
            b"garbage",
            (("Content-Type", "multipart/form-data"),),
            auth=False,
        ),
        Case("sso-get", "sso", "GET", SSO, auth=False, status=405),
        Case("sso-put", "sso", "PUT", SSO, b"x", auth=False, status=405),
    ]
    return out


# -- imageio --------------------------------------------------------------------------------
IMAGE = "/images/{ticket}"
RANGES = {
    "word": "bytes=abc",
    "backwards": "bytes=5-1",
    "past-end": "bytes=0-99999999999999",
    "several": "bytes=0-1,5-6",
    "other-unit": "items=0-1",
    "empty": "bytes=-",
    "huge-start": "bytes=99999999999999999999999999-",
}
PATCHES = {
    "malformed": b"{bad",
    "unknown-op": b'{"op": "explode"}',
    "negative-offset": b'{"op": "zero", "offset": -1, "size": 5}',
    "deep": b"[" * 100_000,
    "not-an-object": b"[1, 2]",
}


def _imageio_cases() -> list[Case]:
    out = [
        Case(
            f"imageio-range-{name}",
            "imageio",
            "GET",
            IMAGE,
            headers=(("Range", value),),
            auth=False,
            # The daemon reads nothing past the end of an open range and says so (400).
            status=400 if name == "huge-start" else 416,
            served=name == "several",
        )
        for name, value in RANGES.items()
    ]
    json_type = (("Content-Type", "application/json"),)
    out += [
        Case(f"imageio-patch-{name}", "imageio", "PATCH", IMAGE, body, json_type, auth=False)
        for name, body in PATCHES.items()
    ]
    out += [
        Case(
            "imageio-put-on-download",
            "imageio",
            "PUT",
            IMAGE,
            b"x" * 10,
            (("Content-Range", "bytes 0-9/*"),),
            auth=False,
            status=403,
            served=True,
        ),
        Case("imageio-delete", "imageio", "DELETE", IMAGE, auth=False, status=405),
        Case("imageio-post", "imageio", "POST", IMAGE, b"x", auth=False, status=405),
        Case(
            "imageio-extents-bogus",
            "imageio",
            "GET",
            IMAGE + "/extents?context=bogus",
            auth=False,
            status=400,
        ),
        Case(
            "imageio-dirty-of-full",
            "imageio",
            "GET",
            IMAGE + "/extents?context=dirty",
            auth=False,
            status=404,
        ),
        Case(
            "imageio-unknown-ticket",
            "imageio",
            "GET",
            "/images/nope",
            headers=(("Range", "bytes=0-1"),),
            auth=False,
            status=403,
        ),
        Case(
            "imageio-long-ticket",
            "imageio",
            "GET",
            "/images/" + "x" * 10_000,
            auth=False,
            status=403,
        ),
        Case("imageio-traversal", "imageio", "GET", "/images/..%2F..%2Fetc%2Fpasswd", auth=False),
    ]
    return out


# -- the control plane ----------------------------------------------------------------------
BODY_ROUTES = (
    ("POST", "/fakeovirt/reset"),
    ("POST", "/fakeovirt/scenario"),
    ("POST", "/fakeovirt/clock"),
    ("PUT", "/fakeovirt/policy"),
    ("POST", "/fakeovirt/release"),
    ("POST", "/fakeovirt/faults"),
    ("POST", "/fakeovirt/disks/vm-up-disk1/writes"),
    ("PUT", "/fakeovirt/vms/vm-up/freeze"),
)
JSON_BODIES = {
    "malformed": (b"{not json", "bad_json"),
    "nan": (b'{"advance": NaN}', "bad_json"),
    "infinite": (b'{"advance": 1e400}', "bad_json"),
    "huge-int": (b'{"advance": 1' + b"0" * 5000 + b"}", "bad_json"),
    "invalid-utf8": (b'{"a": "\xff\xfe"}', "bad_json"),
    "nested-100000": (b"[" * 100_000 + b"]" * 100_000, "bad_json"),
    "nested-40": (b'{"a": ' * 40 + b"1" + b"}" * 40, "bad_json"),
    "number": (b"5", "bad_request"),
    "string": (b'"text"', "bad_request"),
    "unknown-key": (b'{"colour": "red"}', "bad_request"),
    "too-large": (b'{"a": "' + b"x" * BIG + b'"}', "too_large"),
}


def _control_body_cases() -> list[Case]:
    out = []
    for method, path in BODY_ROUTES:
        route = path.split("/")[2]
        for name, (body, error) in JSON_BODIES.items():
            if name == "unknown-key" and route == "scenario":
                error = "bad_request"
            out.append(
                Case(
                    f"control-{route}-{name}",
                    "control",
                    method,
                    path,
                    body,
                    status=413 if error == "too_large" else 400,
                    error=error,
                    served=route == "scenario" and name in ("nested-100000", "too-large"),
                )
            )
    return out


def _j(data: object) -> bytes:
    return json.dumps(data).encode()


CONTROL_SPECIFIC: dict[str, tuple[str, str, bytes, int]] = {
    # the 500s and the half-applied reset of issue 10, then their relatives
    "scenario-list": ("POST", "/fakeovirt/scenario", b"[]", 400),
    "scenario-hosts-number": ("POST", "/fakeovirt/scenario", _j({"hosts": 5}), 400),
    "scenario-seed-list": ("POST", "/fakeovirt/scenario", _j({"seed": [1]}), 400),
    "scenario-negative-size": (
        "POST",
        "/fakeovirt/scenario",
        _j({"name": "x", "vms": [{"name": "a", "disks": [{"alias": "d", "size": -1}]}]}),
        400,
    ),
    "scenario-unknown-cluster": (
        "POST",
        "/fakeovirt/scenario",
        _j({"vms": [{"name": "a", "cluster": "nope"}]}),
        400,
    ),
    "scenario-disk-on-iso": (
        "POST",
        "/fakeovirt/scenario",
        _j(
            {
                "storage_domains": [{"name": "d"}, {"name": "iso", "type": "iso"}],
                "vms": [{"name": "a", "disks": [{"alias": "d1", "storage_domain": "iso"}]}],
            }
        ),
        400,
    ),
    "scenario-twin-vms": (
        "POST",
        "/fakeovirt/scenario",
        _j({"vms": [{"name": "a"}, {"name": "a"}]}),
        400,
    ),
    "scenario-bad-name": ("POST", "/fakeovirt/scenario", _j({"vms": [{"name": "a b<"}]}), 400),
    "scenario-seeded-flood": (
        "POST",
        "/fakeovirt/scenario",
        _j(
            {
                "vms": [
                    {"name": f"v{i}", "disks": [{"alias": f"d{i}", "seeded_blocks": 16384}]}
                    for i in range(2)
                ]
            }
        ),
        400,
    ),
    "reset-root": ("POST", "/fakeovirt/reset", _j({"scenario": "/"}), 400),
    "reset-etc-passwd": ("POST", "/fakeovirt/reset", _j({"scenario": "/etc/passwd"}), 400),
    "reset-dev-zero": ("POST", "/fakeovirt/reset", _j({"scenario": "/dev/zero"}), 400),
    "reset-fifo": ("POST", "/fakeovirt/reset", _j({"scenario": "{files}/pipe.toml"}), 400),
    "reset-directory": ("POST", "/fakeovirt/reset", _j({"scenario": "{files}/dir.toml"}), 400),
    "reset-link-to-device": (
        "POST",
        "/fakeovirt/reset",
        _j({"scenario": "{files}/zero.toml"}),
        400,
    ),
    "reset-oversize-file": ("POST", "/fakeovirt/reset", _j({"scenario": "{files}/big.toml"}), 400),
    "reset-secret-file": ("POST", "/fakeovirt/reset", _j({"scenario": "{files}/secret.toml"}), 400),
    "reset-missing-file": ("POST", "/fakeovirt/reset", _j({"scenario": "{files}/none.toml"}), 400),
    "reset-scale-negative": ("POST", "/fakeovirt/reset", _j({"scenario": "scale:vms=-1"}), 400),
    "reset-scale-flood": (
        "POST",
        "/fakeovirt/reset",
        _j({"scenario": "scale:vms=100000,disks=64"}),
        400,
    ),
    "reset-scale-unknown": ("POST", "/fakeovirt/reset", _j({"scenario": "scale:bogus=1"}), 400),
    "reset-bad-policy": (
        "POST",
        "/fakeovirt/reset",
        _j({"scenario": "empty", "policy": {"mode": "x"}}),
        400,
    ),
    "policy-hold-number": ("PUT", "/fakeovirt/policy", _j({"hold": 5}), 400),
    "policy-reads-list": ("PUT", "/fakeovirt/policy", _j({"reads": [1]}), 400),
    "policy-list": ("PUT", "/fakeovirt/policy", b"[1, 2]", 400),
    "policy-seconds-huge": ("PUT", "/fakeovirt/policy", _j({"seconds": 1e300}), 400),
    "policy-immediate-with-reads": (
        "PUT",
        "/fakeovirt/policy",
        _j({"mode": "immediate", "reads": 2}),
        400,
    ),
    "fault-latency-huge": (
        "POST",
        "/fakeovirt/faults",
        _j({"fault": "latency", "seconds": 1e9}),
        400,
    ),
    "fault-probability": (
        "POST",
        "/fakeovirt/faults",
        _j({"fault": "drop_connection", "probability": 2}),
        400,
    ),
    "fault-times-negative": (
        "POST",
        "/fakeovirt/faults",
        _j({"fault": "drop_connection", "times": -1}),
        400,
    ),
    "fault-method-space": (
        "POST",
        "/fakeovirt/faults",
        _j({"fault": "drop_connection", "method": "GET /"}),
        400,
    ),
    "fault-detail-nul": (
        "POST",
        "/fakeovirt/faults",
        _j({"fault": "http_error", "status": 503, "detail": "a\u0000"}),
        400,
    ),
    "fault-one-bad-of-two": (
        "POST",
        "/fakeovirt/faults",
        _j([{"fault": "http_error", "status": 503}, {"fault": "latency"}]),
        400,
    ),
    "fault-flood": (
        "POST",
        "/fakeovirt/faults",
        _j([{"fault": "http_error", "status": 503}] * 1001),
        400,
    ),
    "clock-advance-huge": ("POST", "/fakeovirt/clock", _j({"advance": 1e300}), 400),
    "clock-set-far": ("POST", "/fakeovirt/clock", _j({"set": "9999-12-31T00:00:00+00:00"}), 400),
    "clock-set-past": ("POST", "/fakeovirt/clock", _j({"set": "2000-01-01T00:00:00+00:00"}), 400),
    "write-negative-offset": (
        "POST",
        "/fakeovirt/disks/vm-up-disk1/writes",
        _j({"offset": -1, "data": "AA=="}),
        400,
    ),
    "write-huge-offset": (
        "POST",
        "/fakeovirt/disks/vm-up-disk1/writes",
        _j({"offset": 2**70, "data": "AA=="}),
        400,
    ),
    "write-pattern-300": (
        "POST",
        "/fakeovirt/disks/vm-up-disk1/writes",
        _j({"offset": 0, "pattern": 300, "length": 1}),
        400,
    ),
    "write-length-huge": (
        "POST",
        "/fakeovirt/disks/vm-up-disk1/writes",
        _j({"offset": 0, "pattern": 1, "length": 2**40}),
        400,
    ),
    "write-unknown-disk": (
        "POST",
        "/fakeovirt/disks/nope/writes",
        _j({"offset": 0, "data": "AA=="}),
        404,
    ),
    "freeze-string": ("PUT", "/fakeovirt/vms/vm-up/freeze", _j({"fails": "yes"}), 400),
    "freeze-number": ("PUT", "/fakeovirt/vms/vm-up/freeze", _j({"fails": 1}), 400),
    "release-id-number": ("POST", "/fakeovirt/release", _j({"id": 5}), 400),
}


def _control_cases() -> list[Case]:
    out = _control_body_cases()
    for name, (method, path, body, status) in CONTROL_SPECIFIC.items():
        served = name in (
            "reset-fifo",
            "reset-dev-zero",
            "scenario-negative-size",
            "policy-hold-number",
        )
        out.append(
            Case(f"control-{name}", "control", method, path, body, status=status, served=served)
        )
    out += [
        Case(
            "control-journal-since-word", "control", "GET", "/fakeovirt/journal?since=x", status=400
        ),
        Case(
            "control-journal-since-float",
            "control",
            "GET",
            "/fakeovirt/journal?since=1e5",
            status=400,
        ),
        Case(
            "control-events-code-word", "control", "GET", "/fakeovirt/events?code=abc", status=400
        ),
        Case(
            "control-history-long",
            "control",
            "GET",
            "/fakeovirt/history/" + "x" * 10_000,
            status=404,
        ),
        Case("control-unknown-route", "control", "GET", "/fakeovirt/nothing", status=404),
        Case("control-delete-clock", "control", "DELETE", "/fakeovirt/clock", status=405),
        Case("control-patch-reset", "control", "PATCH", "/fakeovirt/reset", b"{}", status=405),
        Case(
            "control-no-credentials",
            "control",
            "POST",
            "/fakeovirt/reset",
            b"{}",
            auth=False,
            status=401,
            served=True,
        ),
        Case(
            "control-bad-credentials",
            "control",
            "GET",
            "/fakeovirt/clock",
            None,
            (("Authorization", _basic(b"admin@internal:wrong")),),
            auth=False,
            status=401,
        ),
    ]
    return out


# -- the dashboard --------------------------------------------------------------------------
def _dashboard_cases() -> list[Case]:
    board = "/fakeovirt/dashboard"
    return [
        Case(
            "dashboard-post", "dashboard", "POST", board, b"x", auth=False, status=405, served=True
        ),
        Case(
            "dashboard-put-state",
            "dashboard",
            "PUT",
            f"{board}/state.json",
            b"{}",
            auth=False,
            status=405,
        ),
        Case("dashboard-delete", "dashboard", "DELETE", board, auth=False, status=405),
        Case(
            "dashboard-dotdot",
            "dashboard",
            "GET",
            f"{board}/../../etc/passwd",
            auth=False,
            status=404,
        ),
        Case(
            "dashboard-escaped-dotdot",
            "dashboard",
            "GET",
            f"{board}/%2e%2e/%2e%2e/etc/passwd",
            auth=False,
            status=404,
            served=True,
        ),
        Case(
            "dashboard-unknown-file", "dashboard", "GET", f"{board}/nope.js", auth=False, status=404
        ),
        Case(
            "dashboard-source-file",
            "dashboard",
            "GET",
            f"{board}/../control.py",
            auth=False,
            status=404,
        ),
        Case(
            "dashboard-long", "dashboard", "GET", f"{board}/" + "x" * 10_000, auth=False, status=404
        ),
    ]


CASES: list[Case] = [
    *_api_cases(),
    *_sso_cases(),
    *_imageio_cases(),
    *_control_cases(),
    *_dashboard_cases(),
]
