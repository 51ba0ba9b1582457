"""``queuectl top`` and ``queuectl signal``: running jobs' processes, seen and signalled."""

from __future__ import annotations

import time

import click

from queuectl_core.cli.common import complete_job_ids, examples, print_json, with_store
from queuectl_core.processes import (
    RunningJob,
    SignalStatus,
    human_bytes,
    human_seconds,
    parse_signal,
    top_dict,
)
from queuectl_core.signalling import outcome, send_signal
from queuectl_core.store.base import Store


@click.command(epilog=examples("queuectl top", "queuectl top --json", "queuectl top --watch 2"))
@click.option("--json", "as_json", is_flag=True, help="One JSON array.")
@click.option(
    "--watch",
    type=click.FloatRange(min=0.2),
    metavar="SECONDS",
    help="Redraw every SECONDS until Ctrl+C (not with --json).",
)
@click.pass_context
def top(ctx: click.Context, as_json: bool, watch: float | None) -> None:
    """Running jobs' processes: pid, tree size, CPU %, RSS, elapsed, time left.

    Each job's own worker samples its process group at every heartbeat, so this works for
    workers on every host; figures are as old as the last heartbeat.
    """
    if watch is not None and as_json:
        raise click.UsageError("--watch cannot be used with --json")

    async def read(store: Store) -> tuple[list[RunningJob], float]:
        return await store.running_jobs(), store.now()

    while True:
        jobs, now = with_store(ctx, read)
        rows = [top_dict(job, now) for job in jobs]
        if as_json:
            print_json(rows)
            return
        if watch is not None:
            click.echo("\x1b[H\x1b[2J", nl=False)
        _print_table(rows)
        if watch is None:
            return
        time.sleep(watch)


def _print_table(rows: list[dict[str, object]]) -> None:
    if not rows:
        click.echo("no running jobs", err=True)
        return
    from queuectl_core.cli.tables import table

    def number(value: object) -> str:
        return "-" if value is None else str(value)

    table(
        ["id", "worker", "host", "pid", "procs", "cpu%", "rss", "elapsed", "left", "command"],
        [
            (
                r["id"],
                r["worker"] or "-",
                r["host"] or "-",
                number(r["pid"]),
                number(r["processes"]),
                number(r["cpu_percent"]),
                human_bytes(r["rss_bytes"]),  # type: ignore[arg-type]
                human_seconds(r["elapsed"]),  # type: ignore[arg-type]
                human_seconds(r["timeout_left"]),  # type: ignore[arg-type]
                r["command"],
            )
            for r in rows
        ],
    )


@click.command(
    "signal",
    epilog=examples(
        "queuectl signal job1 STOP",
        "queuectl signal job1 cont",
        "queuectl signal job1 SIGKILL",
        "queuectl signal job1 USR1 --no-wait",
    ),
)
@click.argument("job_id", shell_complete=complete_job_ids)
@click.argument("signal_name", metavar="SIGNAL")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0),
    default=10.0,
    show_default=True,
    help="Seconds to wait for the worker to deliver it.",
)
@click.option("--no-wait", is_flag=True, help="Record the request and return at once.")
@click.pass_context
def signal_job(
    ctx: click.Context, job_id: str, signal_name: str, timeout: float, no_wait: bool
) -> None:
    """Send SIGNAL (TERM, INT, HUP, USR1, USR2, STOP, CONT, KILL) to a running job's whole
    process group, from any terminal or host.

    The request goes through the store to the worker running the job, which sends it with
    killpg; this waits until the worker reports the delivery.
    """
    chosen = parse_signal(signal_name)

    async def send(store: Store) -> SignalStatus | None:
        if no_wait:
            await store.request_signal(job_id, chosen)
            return None
        return await send_signal(store, job_id, chosen, timeout)

    status = with_store(ctx, send, loop=True)
    if status is None:
        click.echo(f"{chosen.full_name} requested for job {job_id}")
        return
    click.echo(outcome(job_id, chosen, status, timeout))
