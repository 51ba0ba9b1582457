"""The ``--serve`` flags of ``queuectl-tui`` and their checks.

Every console process imports this module, so it stays free of web imports: the server itself
lives in ``queuectl_tui.serve``.
"""

from __future__ import annotations

import argparse
import ipaddress
from dataclasses import dataclass

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8023
DEFAULT_MAX_SESSIONS = 8


@dataclass(frozen=True, slots=True)
class ServeOptions:
    """Where and how ``--serve`` listens; ``db`` is the resolved store every session opens."""

    db: str
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    readonly: bool = False
    max_sessions: int = DEFAULT_MAX_SESSIONS


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``--serve``, ``--host``, ``--port``, ``--allow-remote`` and ``--max-sessions``."""
    group = parser.add_argument_group("browser", "serve the console to a web browser")
    group.add_argument(
        "--serve", action="store_true", help="serve the console over HTTP (one console per tab)"
    )
    group.add_argument("--host", help=f"address to listen on ({DEFAULT_HOST})")
    group.add_argument("--port", type=int, help=f"port ({DEFAULT_PORT}; 0 picks a free one)")
    group.add_argument(
        "--allow-remote", action="store_true", help="allow a --host that is not loopback"
    )
    group.add_argument(
        "--max-sessions",
        type=int,
        metavar="N",
        help=f"most browser tabs open at once ({DEFAULT_MAX_SESSIONS})",
    )


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (``127.0.0.0/8``, ``::1``)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def serve_problem(args: argparse.Namespace) -> str | None:
    """Why these ``--serve`` arguments cannot run (one line), or None when they can."""
    given = [args.host, args.port, args.max_sessions]
    if not args.serve:
        if args.allow_remote or any(value is not None for value in given):
            return "--host, --port, --allow-remote and --max-sessions need --serve"
        return None
    if args.workers or args.demo:
        return "--serve cannot be combined with --workers or --demo"
    options = serve_options(args, db="")
    if not 0 <= options.port <= 65535:
        return f"--port must be 0-65535, not {options.port}"
    if options.max_sessions < 1:
        return "--max-sessions must be >= 1"
    if not args.allow_remote and not is_loopback(options.host):
        return (
            f"--host {options.host} is not a loopback address: pass --allow-remote to serve "
            "beyond this machine, or keep 127.0.0.1 and reach it with ssh -L"
        )
    return None


def serve_options(args: argparse.Namespace, db: str) -> ServeOptions:
    """The options from parsed arguments, defaults filled in."""
    return ServeOptions(
        db=db,
        host=DEFAULT_HOST if args.host is None else args.host,
        port=DEFAULT_PORT if args.port is None else args.port,
        readonly=args.readonly,
        max_sessions=DEFAULT_MAX_SESSIONS if args.max_sessions is None else args.max_sessions,
    )
