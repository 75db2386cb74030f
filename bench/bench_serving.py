"""The server's own CPU per keep-alive HTTPS request, as the SDK and imageio clients send them.

    python bench/bench_serving.py [--requests 300] [--rounds 15] [--lax] [--against DIR]

Every SDK or imageio test pays the server's work once per request: read the head, build the
environ, run the app (route, authenticate, render, validate in strict mode, journal), write
the answer, log it. This script measures that work alone: the CPU clock of the server thread
that serves the client's one kept-alive connection (`time.pthread_getcpuclockid`), so the
client's own work (in this process too) does not count. Rows, each the best of `--rounds`
rounds of `--requests` requests, the rows taking turns within each round:

- `GET` of a backup with the SDK's headers (answered by the lean lane, from the memo);
- `POST` of an `extend` action on an image transfer with the SDK's headers and body
  (werkzeug's request, the handler, a rendered and validated `<action>`);
- imageio ranged `GET` of 4 KiB, as the imageio client reads extents' data;
- the same `GET` of a backup's bytes from a bare WSGI app on the same server class: the floor
  that the serving layer alone costs.

The app is strict, as under test (`--lax` for the served default). `--against DIR` compares
this checkout with another (e.g. a worktree of the parent commit) side by side: each side is
measured in its own process, in turn, `--turns` times, and the best of each row is shown with
the ratio of the two.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable

from bench_request import bare_app  # the same floor as bench_request's (this folder)

from fakeovirt import DiskSpec, FakeOvirt, Scenario, TransitionPolicy, VmSpec
from fakeovirt.core.transfers import TransferRequest
from fakeovirt.web.serving import BackgroundServer

BARE = "bare app GET of the same bytes"
SDK_HEADERS = {
    "User-Agent": "PythonSDK/4.6.3",
    "Version": "4",
    "Content-Type": "application/xml",
    "Accept": "application/xml",
}


class Loop:
    """Requests on one kept-alive HTTPS connection; the server thread's CPU clock."""

    def __init__(self, origin: str, ca_file: str, request: Callable[[Loop], None]) -> None:
        host, port = origin.split("://")[1].rsplit(":", 1)
        context = ssl.create_default_context(cafile=ca_file)
        self.connection = http.client.HTTPSConnection(host, int(port), context=context)
        self._request = request
        request(self)
        self.sock = self.connection.sock
        assert self.sock is not None
        client_port = self.sock.getsockname()[1]
        name = f"fakeovirt:{port}:{client_port}"
        (thread,) = [t for t in threading.enumerate() if t.name == name]
        assert thread.ident is not None
        self.clock = time.pthread_getcpuclockid(thread.ident)

    def send(self, method: str, path: str, headers: dict[str, str], body: bytes | None) -> bytes:
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        data = response.read()
        assert response.status < 300, (response.status, data)
        return data

    def run(self, count: int) -> float:
        """Server CPU seconds per request over `count` requests."""
        begin = time.clock_gettime(self.clock)
        for _ in range(count):
            self._request(self)
        took = time.clock_gettime(self.clock) - begin
        assert self.connection.sock is self.sock, "the connection was not kept alive"
        return took / count


def served(strict: bool) -> tuple[FakeOvirt, str, str, str, str]:
    """A served fake with a running backup and a running download: their paths, and a
    bearer token as the SDK would send it."""
    scenario = Scenario(
        name="bench",
        vms=(
            VmSpec("vm-bench", disks=(DiskSpec("bench-disk", size=1 << 20, seeded_blocks=4),)),
            VmSpec(
                "vm-down",
                status="down",
                disks=(DiskSpec("down-disk", size=1 << 20, seeded_blocks=4),),
            ),
        ),
    )
    fake = FakeOvirt(scenario, policy=TransitionPolicy.immediate(), strict=strict).start()
    vm = fake.vm("vm-bench")
    disk = fake.disk("bench-disk")
    auth = {"Authorization": "Basic YWRtaW5AaW50ZXJuYWw6ZmFrZW92aXJ0"}
    client = fake.client()
    answer = client.post(
        f"/ovirt-engine/api/vms/{vm.id}/backups",
        data=f'<backup><disks><disk id="{disk.id}"/></disks></backup>',
        headers={**auth, "Content-Type": "application/xml"},
    )
    assert answer.status_code == 201, answer.get_data()
    backup = "/ovirt-engine/api" + answer.headers["Location"].split("/ovirt-engine/api", 1)[1]
    down = fake.disk("down-disk")
    request = TransferRequest(down.id, direction="download", format="raw", inactivity_timeout=0)
    with fake.lock:
        transfer = fake.engine.start_transfer(request)
        transfer = fake.engine.transfer(transfer.id, observe=True)
    token = client.post(
        "/ovirt-engine/sso/oauth/token",
        data={"grant_type": "password", "username": "admin@internal", "password": "fakeovirt"},
    ).get_json()["access_token"]
    return fake, backup, transfer.id, f"/images/{transfer.ticket}", token


def measure(rounds: int, requests: int, strict: bool) -> dict[str, float]:
    """Server CPU seconds per request of each row, the best of `rounds` rounds."""
    fake, backup, transfer_id, image, token = served(strict)
    sdk = {**SDK_HEADERS, "Authorization": f"Bearer {token}"}
    extend = f"/ovirt-engine/api/imagetransfers/{transfer_id}/extend"
    assert fake.origin is not None and fake.ca_file is not None
    bare_server: BackgroundServer | None = None
    try:
        loops = {
            "SDK GET of a backup": Loop(
                fake.origin, fake.ca_file, lambda loop: loop.send("GET", backup, sdk, None) and None
            ),
            "SDK POST of an action (extend)": Loop(
                fake.origin,
                fake.ca_file,
                lambda loop: loop.send("POST", extend, sdk, b"<action/>") and None,
            ),
            "imageio ranged GET of 4 KiB": Loop(
                fake.origin,
                fake.ca_file,
                lambda loop: loop.send("GET", image, {"Range": "bytes=0-4095"}, None) and None,
            ),
        }
        body = fake.client().get(backup, headers=sdk).get_data()
        headers = [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))]
        bare_server = BackgroundServer(bare_app(body, headers)).start()
        assert bare_server.ca_file is not None
        loops[BARE] = Loop(
            bare_server.origin,
            str(bare_server.ca_file),
            lambda loop: loop.send("GET", backup, sdk, None) and None,
        )
        best = {name: float("inf") for name in loops}
        for _ in range(rounds):
            for name, loop in loops.items():
                best[name] = min(best[name], loop.run(requests))
    finally:
        if bare_server is not None:
            bare_server.stop()
        fake.stop()
    return best


def side_by_side(args: argparse.Namespace) -> None:
    """This checkout and `--against`'s, each measured in its own process in turn, `--turns`
    times; the best of each row and the ratio this / that."""
    sides = {"this": os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "that": ""}
    sides["that"] = os.path.abspath(args.against)
    best: dict[str, dict[str, float]] = {side: {} for side in sides}
    command = [sys.executable, __file__, "--json", f"--rounds={args.rounds}"]
    command += [f"--requests={args.requests}"] + (["--lax"] if args.lax else [])
    for _ in range(args.turns):
        for side, checkout in sides.items():
            env = {**os.environ, "PYTHONPATH": checkout}
            out = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
            for name, seconds in json.loads(out.stdout).items():
                best[side][name] = min(best[side].get(name, float("inf")), seconds)
    print(f"server thread CPU per request, best of {args.turns} turns; that = {args.against}")
    print(f"  {'':40} {'this':>8} {'that':>8}  this/that")
    for name, seconds in best["this"].items():
        that = best["that"][name]
        print(f"  {name:40} {seconds * 1e6:5.0f} us {that * 1e6:5.0f} us  {seconds / that:6.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300, help="requests per round")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--lax", action="store_true", help="the app not strict")
    parser.add_argument("--against", help="another checkout of fakeovirt, measured in turn")
    parser.add_argument("--turns", type=int, default=3, help="turns of each side (--against)")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.against:
        side_by_side(args)
        return
    best = measure(args.rounds, args.requests, strict=not args.lax)
    if args.json:
        print(json.dumps(best))
        return
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cpus, python "
        f"{platform.python_version()}; {'lax' if args.lax else 'strict'} app; best of "
        f"{args.rounds} rounds of {args.requests} requests; server thread CPU per request"
    )
    floor = best[BARE]
    for name, seconds in best.items():
        print(f"  {name:40} {seconds * 1e6:7.0f} us  {seconds / floor:5.2f}x the bare app")


if __name__ == "__main__":
    main()
