"""Command line of ``queuectl-tui``: ``--db``, ``--workers N``, ``--demo``, ``--readonly``, and
``--serve`` (the console in a browser: ``queuectl_tui.serve``)."""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
from pathlib import Path

from queuectl_core import __version__
from queuectl_core.errors import QueueError
from queuectl_core.paths import resolve_db
from queuectl_tui.factory import make_app
from queuectl_tui.serve_options import add_serve_arguments, serve_options, serve_problem

DEMO_WORKERS = 4


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="queuectl-tui", description="Operator console for queuectl: watch and act on jobs."
    )
    parser.add_argument("--db", help="store path or postgresql:// URL (default: $QUEUECTL_DB)")
    parser.add_argument(
        "--workers", type=int, default=0, metavar="N", help="host N worker slots in the console"
    )
    parser.add_argument(
        "--demo", action="store_true", help="a temporary store with sample jobs, and workers"
    )
    parser.add_argument("--readonly", action="store_true", help="watch only: every action is off")
    parser.add_argument("--version", action="version", version=f"queuectl-tui {__version__}")
    add_serve_arguments(parser)
    args = parser.parse_args(argv)
    if args.workers < 0:
        parser.error("--workers must be >= 0")
    if args.readonly and args.workers:
        parser.error("--readonly cannot host workers")
    return args


def run(argv: list[str] | None = None) -> int:
    """Run the console; returns the exit code."""
    args = parse(argv)
    if problem := serve_problem(args):
        print(f"queuectl-tui: {problem}", file=sys.stderr)
        return 2
    workdir: Path | None = None
    try:
        if args.serve:
            # Imported here so that aiohttp stays out of every console process.
            from queuectl_tui.serve import run_serve

            return run_serve(serve_options(args, resolve_db(args.db)))
        if args.demo:
            from queuectl_tui.demo import seed_demo

            workdir = Path(tempfile.mkdtemp(prefix="queuectl-demo-"))
            url = str(workdir / "demo.db")
            asyncio.run(seed_demo(url))
            workers = args.workers or DEMO_WORKERS
        else:
            url = resolve_db(args.db)
            workers = args.workers
        app = make_app(url, workers=workers, readonly=args.readonly)
        app.run()
        return app.return_code or 0
    except QueueError as exc:
        print(f"queuectl-tui: {exc}", file=sys.stderr)
        return exc.exit_code
    finally:
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    """Entry point of ``queuectl-tui``."""
    raise SystemExit(run(argv))
