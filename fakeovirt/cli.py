"""`fakeovirt serve`: a fake engine on your laptop; `fakeovirt demo`: a narrated backup.

Rules of this file: a user's mistake (a bad option, a missing scenario file, a busy port) is
one line on stderr and a non-zero exit, never a traceback; `serve` leaves nothing behind (its
generated CA directory and its ready file are removed at exit).
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, NoReturn

from .clocks import SystemClock
from .core.clock import Clock, ManualClock
from .core.policy import TransitionPolicy
from .core.profile import PROFILES
from .core.scenario import BUILT_IN, Scenario

if TYPE_CHECKING:
    from .fake import FakeOvirt

__all__ = ["main"]

DEFAULT_SERVE_POLICY = "seconds:1"
EXIT_USAGE = 2  # as argparse: the command line or its inputs are wrong
EXIT_FAILED = 1  # the command could not do its work (a busy port, an unwritable file)


class _Parser(argparse.ArgumentParser):
    """argparse, with a refusal on one line (the usage is one `--help` away)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def parse_policy(text: str) -> TransitionPolicy:
    """`immediate`, `reads:N` or `seconds:T`, e.g. `seconds:1`."""
    try:
        return TransitionPolicy.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def parse_port(text: str) -> int:
    port = _integer(text)
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 0..65535, not {text}")
    return port


def parse_seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 <= seconds <= 3600:
        raise argparse.ArgumentTypeError(f"seconds must be 0..3600, not {text}")
    return seconds


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None


def _version() -> str:
    from importlib import metadata  # a tenth of a second: only for --version

    try:
        return metadata.version("fakeovirt")
    except metadata.PackageNotFoundError:  # a source checkout that was not installed
        from . import __version__

        return __version__


class _VersionAction(argparse.Action):
    """argparse's `version` action, with the version looked up only when asked for."""

    def __init__(self, option_strings: Sequence[str], dest: str = argparse.SUPPRESS) -> None:
        super().__init__(
            option_strings,
            dest,
            default=argparse.SUPPRESS,
            nargs=0,
            help="show program's version number and exit",
        )

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> NoReturn:
        print(f"fakeovirt {_version()}", flush=True)
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="fakeovirt",
        description="A fake oVirt engine and imageio daemon for VM backup tests and demos.",
    )
    parser.add_argument("--version", action=_VersionAction)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser(
        "serve",
        help="serve a fake engine until interrupted",
        description="Serve a fake oVirt engine (REST API, SSO, imageio, control plane and "
        "dashboard) on one port until Ctrl-C or SIGTERM.",
    )
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: %(default)s)"
    )
    serve.add_argument(
        "--port",
        type=parse_port,
        default=0,
        help="port to listen on; 0 picks a free one (default: %(default)s)",
    )
    serve.add_argument(
        "--http",
        action="store_true",
        help="serve plain HTTP (default: HTTPS, with a CA made for this server)",
    )
    serve.add_argument(
        "--scenario",
        default="demo",
        metavar="NAME|FILE",
        help=f"built-in scenario ({', '.join(BUILT_IN)}) or a .toml/.json scenario file "
        "(default: %(default)s)",
    )
    serve.add_argument(
        "--seed",
        metavar="N",
        type=_integer,
        default=None,
        help="seed for ids and seeded disk content (default: the scenario's)",
    )
    serve.add_argument(
        "--policy",
        type=parse_policy,
        default=None,
        help="phase policy: immediate, reads:N or seconds:T (default: the scenario's own, "
        f"else {DEFAULT_SERVE_POLICY})",
    )
    serve.add_argument(
        "--profile",
        choices=tuple(PROFILES),
        default="documented",
        help="behaviour profile: the API documentation's contract, or what oVirt engine 4.5 "
        "code does where it departs from it (docs/fidelity.md) (default: %(default)s)",
    )
    serve.add_argument(
        "--clock",
        choices=("system", "manual"),
        default="system",
        help="engine time: the system's, or a manual clock from 2026-01-01T00:00:00Z that "
        "only POST /fakeovirt/clock moves (default: %(default)s)",
    )
    serve.add_argument(
        "--username", default="admin@internal", help="the API user (default: %(default)s)"
    )
    serve.add_argument(
        "--password", default="fakeovirt", help="its password (default: %(default)s)"
    )
    serve.add_argument(
        "--ca-dir",
        metavar="DIR",
        type=Path,
        default=None,
        help="keep the generated CA (ca.pem), server certificate and key in this directory "
        "(default: a temporary directory, removed at exit)",
    )
    serve.add_argument(
        "--ready-file",
        metavar="FILE",
        type=Path,
        default=None,
        help="once serving, write url, username, password and ca_file here as JSON; "
        "removed at exit (default: none)",
    )
    serve.add_argument(
        "--quiet",
        action="store_true",
        help="no log line per request on stderr (default: one line per request)",
    )
    demo = commands.add_parser(
        "demo",
        help="a narrated full-then-incremental backup",
        description="Run a narrated full-then-incremental backup against a fake engine, with "
        "the real ovirtsdk4 and ovirt_imageio clients, and check the restored chain.",
    )
    demo.add_argument(
        "--workdir",
        metavar="DIR",
        type=Path,
        default=None,
        help="where to keep the downloaded backups (default: a temporary directory)",
    )
    demo.add_argument(
        "--keep-serving",
        action="store_true",
        help="after the demo, keep the engine and its dashboard up until Ctrl-C "
        "(default: stop when the demo ends)",
    )
    demo.add_argument(
        "--pace",
        metavar="SECONDS",
        type=parse_seconds,
        default=0.0,
        help="seconds to pause after each step, to watch the dashboard move (default: %(default)s)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        return serve(args)
    from .demo import run_demo

    with _until_signalled() as stopped:
        wait = stopped.wait if args.keep_serving else None
        code = run_demo(workdir=args.workdir, pace=args.pace, keep_serving=wait)
    if argv is None:  # the command: its process ends now, spare it the last collection
        gc.freeze()
    return code


@contextmanager
def _until_signalled() -> Iterator[threading.Event]:
    """An event set by SIGINT or SIGTERM, which then stop nothing else abruptly."""
    stopped = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopped.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stopped
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def fail(message: str, code: int = EXIT_FAILED) -> int:
    print(f"fakeovirt: {message}", file=sys.stderr, flush=True)
    return code


def load_scenario(name: str) -> Scenario:
    """A built-in scenario or a file; `ValueError` says what is wrong in one line."""
    looks_like_a_file = name.endswith((".toml", ".json")) or os.sep in name
    if name not in BUILT_IN and looks_like_a_file and not Path(name).exists():
        raise ValueError(f"no such file: {name}")
    try:
        return Scenario.named(name)
    except OSError as error:
        reason = (error.strerror or str(error)).lower()
        raise ValueError(f"cannot read scenario file {name}: {reason}") from None
    except ValueError as error:
        raise ValueError(" ".join(str(error).split())) from None


def serve(args: argparse.Namespace) -> int:
    with _until_signalled() as stopped:
        try:
            scenario = load_scenario(args.scenario)
        except ValueError as error:
            return fail(str(error), EXIT_USAGE)
        from .fake import FakeOvirt  # the web app's imports: only once the scenario is good

        if args.seed is not None:
            scenario = dataclasses.replace(scenario, seed=args.seed)
        policy = args.policy or scenario.policy or parse_policy(DEFAULT_SERVE_POLICY)
        clock: Clock = ManualClock() if args.clock == "manual" else SystemClock()
        fake = FakeOvirt(
            scenario,
            clock=clock,
            policy=policy,
            users={args.username: args.password},
            profile=args.profile,
        )
        try:
            fake.start(
                args.host,
                args.port,
                tls=not args.http,
                ca_dir=args.ca_dir,
                access_log=None if args.quiet else _log_request,
            )
        except OSError as error:
            return fail(f"cannot serve on {args.host}:{args.port}: {_reason(error)}")
        try:
            if args.ready_file:
                _write_ready_file(args.ready_file, fake)
            _announce(fake, scenario)
            stopped.wait()
        except OSError as error:
            return fail(f"cannot write {args.ready_file}: {_reason(error)}")
        finally:
            fake.stop()
            if args.ready_file:
                args.ready_file.unlink(missing_ok=True)
        print("fakeovirt stopped", flush=True)
        # The process ends now: spare the interpreter's last collection of every object the
        # engine made (half a second on a busy machine), so a signal stops it promptly.
        gc.freeze()
        return 0


def _reason(error: OSError) -> str:
    where = f" ({error.filename})" if error.filename else ""
    return f"{(error.strerror or str(error)).lower()}{where}"


def _details(fake: FakeOvirt) -> dict[str, object]:
    return {
        "url": fake.url,
        "username": fake.username,
        "password": fake.password,
        "ca_file": fake.ca_file,
    }


def _write_ready_file(path: Path, fake: FakeOvirt) -> None:
    """Written atomically, before anything is printed."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(_details(fake), indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _announce(fake: FakeOvirt, scenario: Scenario) -> None:
    print(
        f"fakeovirt is serving scenario {scenario.name!r} (profile {fake.profile.name})",
        flush=True,
    )
    for key, value in _details(fake).items():
        print(f"  {key + ':':10} {value}", flush=True)
    print(f"  {'dashboard:':10} {fake.origin}/fakeovirt/dashboard", flush=True)
    print("  (Ctrl-C stops it)", flush=True)


def _log_request(line: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {line}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
