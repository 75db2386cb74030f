"""`fakeovirt serve`: a demo engine on your laptop; `fakeovirt demo`: a narrated backup."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from .clocks import SystemClock
from .core.policy import TransitionPolicy
from .core.scenario import Scenario
from .fake import FakeOvirt

__all__ = ["main"]

DEFAULT_SERVE_POLICY = "seconds:1"


def parse_policy(text: str) -> TransitionPolicy:
    """`immediate`, `reads:N` or `seconds:T`, e.g. `seconds:1`."""
    try:
        return TransitionPolicy.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fakeovirt", description="A fake oVirt engine for VM backup tests and demos."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve a fake engine until interrupted")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=0, help="port (0 picks a free one)")
    serve.add_argument("--http", action="store_true", help="plain HTTP instead of HTTPS")
    serve.add_argument(
        "--scenario", default="demo", help="built-in scenario (demo, empty) or a .toml/.json file"
    )
    serve.add_argument(
        "--policy",
        type=parse_policy,
        default=None,
        help=f"phase policy: immediate, reads:N or seconds:T (default {DEFAULT_SERVE_POLICY},"
        " or the scenario's own)",
    )
    serve.add_argument("--ready-file", type=Path, help="write connection details here as JSON")
    serve.add_argument("--ca-dir", type=Path, help="directory for the generated CA (ca.pem)")
    serve.add_argument("--username", default="admin@internal")
    serve.add_argument("--password", default="fakeovirt")
    demo = commands.add_parser("demo", help="a narrated full-then-incremental backup")
    demo.add_argument("--workdir", type=Path, help="where to keep the downloaded backups")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        return serve(args)
    from .demo import run_demo

    return run_demo(workdir=args.workdir)


def serve(args: argparse.Namespace) -> int:
    try:
        scenario = Scenario.named(args.scenario)
    except ValueError as error:
        print(f"fakeovirt: {error}", file=sys.stderr)
        return 2
    policy = args.policy or scenario.policy or parse_policy(DEFAULT_SERVE_POLICY)
    fake = FakeOvirt(
        scenario,
        clock=SystemClock(),
        policy=policy,
        users={args.username: args.password},
    )
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    fake.start(args.host, args.port, tls=not args.http, ca_dir=args.ca_dir)
    details = {
        "url": fake.url,
        "username": fake.username,
        "password": fake.password,
        "ca_file": fake.ca_file,
    }
    if args.ready_file:  # written atomically, before anything is printed
        tmp = args.ready_file.with_suffix(args.ready_file.suffix + ".tmp")
        tmp.write_text(json.dumps(details, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, args.ready_file)
    print(f"fakeovirt is serving scenario {scenario.name!r}", flush=True)
    for key, value in details.items():
        print(f"  {key + ':':10} {value}", flush=True)
    print(f"  {'dashboard:':10} {fake.origin}/fakeovirt/dashboard", flush=True)
    print("  (Ctrl-C stops it)", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        fake.stop()
        print("fakeovirt stopped", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
