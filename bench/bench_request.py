"""What one API request costs (issue 13, "lean request path"): each row side by side in one run.

    python bench/bench_request.py [--requests 200] [--rounds 40]

Rows, each a ratio measured in this run, next to the value this script measured on main
before the request path was made lean, and the goal:

- keep-alive HTTPS `GET` of a backup: fakeovirt against a bare WSGI app answering the same
  bytes with the same headers, on the same server class, one kept-alive connection each
  (client and servers share the process, as a test and its session server do);
- strict XSD validation overhead: the same in-process `GET` of a backup (the WSGI app called
  directly, no socket) with the app strict, then not, with the memo of answers
  (`web/documents.py`) off, and libxml2's memo of the small documents it accepted
  (`web/schema.py`) too, so that every request renders and validates: with them on, a
  polled backup is validated once per change, and strict costs nothing more.

Every time is the best of `--rounds` short rounds, the sides of a ratio measured in turn
within each round so that a busy machine weighs on both alike. Wall time is what a client
waits; CPU time (the process's, client and server together) is steadier on a loaded machine,
so both are shown; the goals are judged on wall time. The in-process costs of the app alone
are printed too, for where the rest of a request's time goes.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import io
import os
import platform
import ssl
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

from fakeovirt import FakeOvirt, TransitionPolicy
from fakeovirt.web import schema
from fakeovirt.web.serving import BackgroundServer

AUTH = "Basic " + base64.b64encode(b"admin@internal:fakeovirt").decode()
HEADERS = {"Authorization": AUTH, "Accept": "application/xml"}

# What this script measured on the 2-core machine (loaded by other work, load average ~6) on
# 0a05da6, before the lean request path; the table shows 0.45-0.58 and 2.4-3.9x.
BEFORE = {
    "https": "0.35",
    "https_cpu": "0.36",
    "strict": "4.84x",
    "strict_client": "3.68x",
    "app_lax": "218 us",
    "app_strict": "1056 us",
}


class Loop:
    """GETs on one kept-alive HTTPS connection."""

    def __init__(self, origin: str, ca_file: str, path: str) -> None:
        host, port = origin.split("://")[1].rsplit(":", 1)
        context = ssl.create_default_context(cafile=ca_file)
        self.connection = http.client.HTTPSConnection(host, int(port), context=context)
        self.path = path
        self.body = self.get()
        self.sock = self.connection.sock

    def get(self) -> bytes:
        self.connection.request("GET", self.path, headers=HEADERS)
        response = self.connection.getresponse()
        body = response.read()
        assert response.status == 200, (response.status, body)
        return body

    def run(self, count: int) -> tuple[float, float]:
        """Seconds (wall, CPU) per request over `count` requests."""
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(count):
            self.get()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        assert self.connection.sock is self.sock, "the connection was not kept alive"
        return wall / count, cpu / count


def bare_app(body: bytes, headers: list[tuple[str, str]]) -> Any:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        environ["wsgi.input"].read()
        start_response("200 OK", headers)
        return [body]

    return app


def backup_path(fake: FakeOvirt) -> str:
    vm = fake.vm("vm-up")
    disks = "".join(f'<disk id="{a.disk_id}"/>' for a in vm.attachments)
    answer = fake.client().post(
        f"/ovirt-engine/api/vms/{vm.id}/backups",
        data=f"<backup><disks>{disks}</disks></backup>",
        headers={"Authorization": AUTH, "Content-Type": "application/xml"},
    )
    assert answer.status_code == 201, answer.get_data()
    return "/ovirt-engine/api" + answer.headers["Location"].split("/ovirt-engine/api", 1)[1]


def environ(path: str) -> dict[str, Any]:
    """What the server hands the app for the loop's GET."""
    return {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "REQUEST_URI": path,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "44300",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": "50000",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "https",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "HTTP_HOST": "127.0.0.1:44300",
        "HTTP_ACCEPT_ENCODING": "identity",
        "HTTP_AUTHORIZATION": AUTH,
        "HTTP_ACCEPT": "application/xml",
    }


def in_process_seconds(app: Any, path: str, count: int) -> float:
    """Seconds per call of the WSGI app itself for the loop's GET."""

    def start_response(status: str, headers: Any, exc_info: Any = None) -> None:
        assert status.startswith("200"), status

    begin = time.perf_counter()
    for _ in range(count):
        b"".join(app(environ(path), start_response))
    return (time.perf_counter() - begin) / count


def client_seconds(fake: FakeOvirt, path: str, count: int) -> float:
    """Seconds per GET through werkzeug's in-process test client."""
    client = fake.client()
    headers = {"Authorization": AUTH, "Accept": "application/xml"}
    begin = time.perf_counter()
    for _ in range(count):
        client.get(path, headers=headers)
    return (time.perf_counter() - begin) / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="requests per round")
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    count, rounds = args.requests, args.rounds
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cpus, python "
        f"{platform.python_version()}; best of {rounds} rounds of {count} requests"
    )
    fake = FakeOvirt(policy=TransitionPolicy.immediate()).start()
    try:
        assert fake.ca_file is not None and fake.origin is not None
        path = backup_path(fake)
        ours = Loop(fake.origin, fake.ca_file, path)
        answer = fake.client().get(path, headers=HEADERS)
        wanted = ("content-type", "content-length")
        headers = [(k, v) for k, v in answer.headers.items() if k.lower() in wanted]
        bare_server = BackgroundServer(bare_app(ours.body, headers)).start()
        try:
            assert bare_server.ca_file is not None
            bare = Loop(bare_server.origin, str(bare_server.ca_file), path)
            assert bare.body == ours.body
            https = {"ours": [], "bare": []}
            for _ in range(rounds):
                https["ours"].append(ours.run(count))
                https["bare"].append(bare.run(count))
        finally:
            bare_server.stop()
        app = fake.app
        memo = app.documents
        timings: dict[str, list[float]] = {
            key: [] for key in ("lax", "strict", "c_lax", "c_strict", "memo", "memo_strict")
        }
        remembered = schema._REMEMBERED_BYTES
        for _ in range(rounds):
            app.documents = None  # validation's own cost, every request rendered
            schema._REMEMBERED_BYTES = -1  # ... and validated
            for strict in (False, True):
                app.strict = strict
                key = "strict" if strict else "lax"
                timings[key].append(in_process_seconds(app, path, count))
                timings["c_" + key].append(client_seconds(fake, path, count))
            app.documents = memo  # as served: the answer remembered while the backup stays
            schema._REMEMBERED_BYTES = remembered
            for strict in (False, True):
                app.strict = strict
                key = "memo_strict" if strict else "memo"
                timings[key].append(in_process_seconds(app, path, count))
        app.strict = False
    finally:
        fake.stop()

    wall_ours, wall_bare = (min(w for w, _ in https[k]) for k in ("ours", "bare"))
    cpu_ours, cpu_bare = (min(c for _, c in https[k]) for k in ("ours", "bare"))
    lax, strict = min(timings["lax"]), min(timings["strict"])
    memo, memo_strict = min(timings["memo"]), min(timings["memo_strict"])
    c_lax, c_strict = min(timings["c_lax"]), min(timings["c_strict"])
    us = 1e6
    print()
    print(f"{'measure':66} {'now':>8} {'before':>8}  goal")
    rows = [
        (
            "keep-alive HTTPS GET of a backup, bare app / fakeovirt (wall)",
            wall_bare / wall_ours,
            "https",
            ">= 0.8",
        ),
        ("  the same, CPU time of the process", cpu_bare / cpu_ours, "https_cpu", ""),
        (
            "strict XSD validation overhead, in-process GET of a backup",
            strict / lax,
            "strict",
            "<= 1.5x",
        ),
        ("  the same through werkzeug's test client", c_strict / c_lax, "strict_client", ""),
    ]
    for title, value, key, goal in rows:
        shown = f"{value:7.2f}" + ("x" if key.startswith("strict") else " ")
        print(f"{title:66} {shown:>8} {BEFORE[key]:>8}  {goal}")
    print()
    print("where a request's time goes (best round, per request):")
    print(
        f"  keep-alive HTTPS GET, fakeovirt      {wall_ours * us:7.0f} us wall "
        f"{cpu_ours * us:7.0f} us CPU"
    )
    print(
        f"  keep-alive HTTPS GET, bare app       {wall_bare * us:7.0f} us wall "
        f"{cpu_bare * us:7.0f} us CPU"
    )
    print(
        f"  the app alone, in process, not strict {memo * us:6.0f} us  "
        f"(before: {BEFORE['app_lax']})"
    )
    print(
        f"  the app alone, in process, strict     {memo_strict * us:6.0f} us  "
        f"(before: {BEFORE['app_strict']})"
    )
    print(
        f"  the same, every answer rendered       {lax * us:6.0f} us, strict {strict * us:.0f} us"
        "  (the strict rows above)"
    )


if __name__ == "__main__":
    main()
