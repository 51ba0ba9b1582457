"""``queuectl worker start|stop`` and the ``run-workers`` alias."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import time
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import click

from queuectl_core.cli.common import duration, store_url, with_store
from queuectl_core.errors import StoreMissing
from queuectl_core.ids import new_worker_id
from queuectl_core.liveness import live_workers
from queuectl_core.orphans import record_orphans
from queuectl_core.present import signal_name
from queuectl_core.queues import parse_queues
from queuectl_core.store.base import Store
from queuectl_core.store.open import open_store
from queuectl_core.supervisor import FORWARDED_AS, Supervisor
from queuectl_core.worker import WorkerPool
from queuectl_core.worklog import configure

START_EXAMPLES = """
\b
Examples:
  queuectl worker start --count 4
  queuectl worker start --count 2 --queue reports,emails
  queuectl worker start --count 4 --drain     # exit once nothing is left to run
  queuectl --db postgresql://db-host/queuectl worker start --count 8
\b
Ctrl+C (or SIGTERM) stops claiming and lets running jobs finish; a second one
kills them and returns their jobs to pending without spending an attempt.
"""


async def _serve(
    url: str, count: int, queues: list[str] | None, drain: bool, supervisor: Supervisor
) -> None:
    store = await open_store(url)
    pool = WorkerPool(
        store,
        slots=count,
        queues=queues,
        drain=drain,
        worker_id=supervisor.worker_id,
        pid=supervisor.pid,
        journal=supervisor.journal,
    )
    loop = asyncio.get_running_loop()
    signals = 0

    def on_signal(signum: int) -> None:
        nonlocal signals
        signals += 1
        if signals == 1:
            logging.getLogger("queuectl.worker").warning(
                "%s: finishing %d running jobs (again to interrupt them)",
                signal_name(signum),
                len(pool.running),
            )
            pool.stop()
        else:
            pool.stop(interrupt=True)

    # Only the supervisor's forwarded signals count: one sent to both processes (pkill, a service
    # manager signalling the whole cgroup) must not count twice and interrupt the running jobs.
    for forwarded, original in FORWARDED_AS.items():
        loop.add_signal_handler(forwarded, on_signal, original)
    for signum in FORWARDED_AS.values():
        loop.add_signal_handler(signum, _ignore)
    try:
        await pool.run()
    finally:
        await store.close()


def _ignore() -> None:
    """A handler, not SIG_IGN: commands must not inherit an ignored SIGINT/SIGTERM."""


def start_workers(
    ctx: click.Context, count: int, queue: str | None, drain: bool, **how: Any
) -> None:
    if count < 1:
        raise click.BadParameter("must be at least 1", param_hint="--count")
    queues = parse_queues(queue)
    verbosity = -1 if how["quiet"] else how["verbose"]
    configure(verbosity, how["log_format"])
    url = store_url(ctx)
    supervisor = Supervisor(new_worker_id())
    if supervisor.fork():  # the worker process
        asyncio.run(_serve(url, count, queues, drain, supervisor))
        _exit_now(0)
    code = supervisor.wait()
    if supervisor.exited or supervisor.lost:
        asyncio.run(_record_orphans(url, supervisor))
    _exit_now(code)


def _exit_now(code: int) -> NoReturn:
    """Exit without the interpreter's tear-down once the work is done and the output flushed.

    Tearing down every imported module took 30-60 ms in each of the two processes, one after
    the other, on every ``worker start --drain``; a forked child should skip its parent's
    ``atexit`` handlers anyway. The store is closed and the logs are flushed before this.
    """
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)


async def _record_orphans(url: str, supervisor: Supervisor) -> None:
    """The worker died: record what its commands left (see ``queuectl_core.supervisor``)."""
    log = logging.getLogger("queuectl.worker")
    store = await open_store(url)
    try:
        recorded = await record_orphans(store, supervisor.worker_id, supervisor.exited)
    finally:
        await store.close()
    log.warning(
        "worker %s died: recorded %d results of commands that had exited; %d commands lost",
        supervisor.worker_id,
        len(recorded),
        len(supervisor.lost),
    )


_start_options = [
    click.option("--count", "-n", default=1, show_default=True, help="Concurrent job slots."),
    click.option("--queue", "-Q", help="Comma-separated queues to serve (default: all)."),
    click.option("--drain", is_flag=True, help="Exit once nothing is pending, failed or running."),
    click.option("--verbose", "-v", count=True, help="Also log claims and starts."),
    click.option("--quiet", "-q", is_flag=True, help="Only warnings and errors."),
    click.option(
        "--log-format",
        type=click.Choice(["text", "json"]),
        default="text",
        show_default=True,
        help="json: one object per line (journald, log shippers).",
    ),
]


F = TypeVar("F", bound=Callable[..., Any])


def _with_start_options(fn: F) -> F:
    for option in reversed(_start_options):
        fn = option(fn)
    return fn


@click.group()
def worker() -> None:
    """Run or stop worker processes."""


@worker.command("start", epilog=START_EXAMPLES)
@_with_start_options
@click.pass_context
def worker_start(
    ctx: click.Context, /, count: int, queue: str | None, drain: bool, **how: Any
) -> None:
    """Run COUNT worker slots in the foreground until stopped.

    Logs go to stderr: one line per finished attempt (job, outcome, duration); -v adds
    claims and starts, -q keeps only warnings.
    """
    start_workers(ctx, count, queue, drain, **how)


@click.command("run-workers", epilog=START_EXAMPLES)
@_with_start_options
@click.pass_context
def run_workers(
    ctx: click.Context, /, count: int, queue: str | None, drain: bool, **how: Any
) -> None:
    """Alias of 'worker start'."""
    start_workers(ctx, count, queue, drain, **how)


async def _stop(store: Store, timeout: float | None) -> int:
    asked = await store.request_stop()
    if not asked:
        click.echo("no workers running", err=True)
        return 0
    click.echo(f"asked {asked} worker(s) to stop; waiting for running jobs to finish", err=True)
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        alive = live_workers(await store.list_workers())
        if any(not w.stop_requested for w in alive):
            # A worker that was starting up registered after our request: ask it too.
            await store.request_stop()
        if not alive:
            click.echo("all workers stopped", err=True)
            return 0
        if deadline is not None and time.monotonic() > deadline:
            running = sum(len(w.current_jobs) for w in alive)
            click.echo(
                f"queuectl: error: {len(alive)} worker(s) still finishing {running} job(s) "
                f"after {timeout:g}s; they will stop when done",
                err=True,
            )
            return 1
        await asyncio.sleep(0.1)


STOP_EXAMPLES = """
\b
Examples:
  queuectl worker stop                 # wait until every worker has finished its jobs
  queuectl worker stop --timeout 60    # give up waiting after a minute (exit 1)
"""


@worker.command("stop", epilog=STOP_EXAMPLES)
@click.option(
    "--timeout",
    metavar="DURATION",
    callback=duration,
    help="Give up waiting after this long: 60, 90s, 5m (exit 1).",
)
@click.pass_context
def worker_stop(ctx: click.Context, timeout: float | None) -> None:
    """Ask every worker of this store to stop gracefully and wait for them to exit.

    Running jobs finish first; nothing is killed. Works from any terminal (any host
    on PostgreSQL). Exits 0 at once when no worker is running.
    """
    try:
        code = with_store(ctx, lambda store: _stop(store, timeout), loop=True)
    except StoreMissing:
        click.echo("no workers running (no queue there)", err=True)
        code = 0
    ctx.exit(code)
