"""What fakeovirt's server costs: starting over HTTPS, and a keep-alive GET loop.

Prints, best of several rounds in one run:
- the start of a served fake over HTTPS (bind, TLS context, accept thread), without the
  certificate generation, which is timed on its own (goal: <= 30 ms);
- `FakeOvirt(...).start()` and `stop()` as a user pays them;
- a keep-alive HTTPS GET of a backup, fakeovirt against a bare WSGI app answering the same
  bytes on the same server (the server's share of the per-request cost).

    python bench/bench_server.py [--requests 1000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import base64
import http.client
import os
import platform
import ssl
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from fakeovirt import FakeOvirt, TransitionPolicy
from fakeovirt.web.serving import BackgroundServer
from fakeovirt.web.tls import make_tls

AUTH = "Basic " + base64.b64encode(b"admin@internal:fakeovirt").decode()


def best(rounds: int, run: Callable[[], float]) -> float:
    return min(run() for _ in range(rounds))


def start_seconds(certs: Path) -> float:
    """Bind, build the TLS context from existing files, start accepting; certificates made
    beforehand (make_tls is timed on its own)."""
    import fakeovirt.web.serving.server as server_module

    made = make_tls("127.0.0.1", certs)
    original = server_module.make_tls
    server_module.make_tls = lambda host, directory=None: made
    try:
        begin = time.perf_counter()
        server = BackgroundServer(_bare(b""), tls=True, ca_dir=certs).start()
        took = time.perf_counter() - begin
    finally:
        server_module.make_tls = original
    server.stop()
    return took


def certificate_seconds(where: Path) -> float:
    begin = time.perf_counter()
    make_tls("127.0.0.1", where)
    return time.perf_counter() - begin


def fake_start_stop_seconds() -> tuple[float, float]:
    fake = FakeOvirt()
    begin = time.perf_counter()
    fake.start()
    started = time.perf_counter()
    fake.stop()
    return started - begin, time.perf_counter() - started


def get_loop_seconds(origin: str, ca_file: str, path: str, count: int) -> float:
    """`count` GETs on one keep-alive HTTPS connection; seconds per request."""
    host, port = origin.split("://")[1].rsplit(":", 1)
    context = ssl.create_default_context(cafile=ca_file)
    connection = http.client.HTTPSConnection(host, int(port), context=context)
    headers = {"Authorization": AUTH, "Accept": "application/xml"}
    connection.request("GET", path, headers=headers)
    connection.getresponse().read()
    sock = connection.sock
    begin = time.perf_counter()
    for _ in range(count):
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()
        assert response.status == 200, response.status
    took = time.perf_counter() - begin
    assert connection.sock is sock, "the connection was not kept alive"
    connection.close()
    return took / count


def _bare(body: bytes) -> Any:
    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        environ["wsgi.input"].read()
        start_response(
            "200 OK",
            [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))],
        )
        return [body]

    return app


def backup_path(fake: FakeOvirt) -> str:
    import ovirtsdk4 as sdk
    import ovirtsdk4.types as types

    connection = sdk.Connection(**fake.connection_kwargs())
    vm = fake.vm("vm-up")
    service = connection.system_service().vms_service().vm_service(vm.id).backups_service()
    disks = [types.Disk(id=a.disk_id) for a in vm.attachments]
    backup = service.add(types.Backup(disks=disks))
    connection.close()
    return f"/ovirt-engine/api/vms/{vm.id}/backups/{backup.id}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cpus, python {platform.python_version()}"
    )
    with tempfile.TemporaryDirectory(prefix="bench-server-") as tmp:
        certs = Path(tmp)
        start = best(args.rounds, lambda: start_seconds(certs))
        made = best(args.rounds, lambda: certificate_seconds(certs / "again"))
    starts = [fake_start_stop_seconds() for _ in range(args.rounds)]
    print(
        f"HTTPS server start, certificates excluded: {start * 1000:6.1f} ms"
        "  (before ~115 ms; goal <= 30 ms)"
    )
    print(f"certificate generation (trustme):          {made * 1000:6.1f} ms")
    print(f"FakeOvirt().start():                       {min(s for s, _ in starts) * 1000:6.1f} ms")
    print(f"FakeOvirt().stop():                        {min(s for _, s in starts) * 1000:6.1f} ms")

    with FakeOvirt(policy=TransitionPolicy.immediate()) as fake:
        assert fake.ca_file is not None
        path = backup_path(fake)
        ours = best(
            args.rounds, lambda: get_loop_seconds(fake.origin, fake.ca_file, path, args.requests)
        )
        body = fake.client().get(path, headers={"Authorization": AUTH}).get_data()
    bare = BackgroundServer(_bare(body)).start()
    assert bare.ca_file is not None
    try:
        baseline = best(
            args.rounds,
            lambda: get_loop_seconds(bare.origin, str(bare.ca_file), path, args.requests),
        )
    finally:
        bare.stop()
    print(f"keep-alive GET of a backup, fakeovirt:     {ours * 1e6:6.0f} us/request")
    print(f"same bytes from a bare app, same server:   {baseline * 1e6:6.0f} us/request")
    print(
        f"ratio bare/fakeovirt:                      {baseline / ours:6.2f}"
        "  (before 0.45-0.58; goal >= 0.8)"
    )


if __name__ == "__main__":
    main()
