"""Operator commands: ``dlq``, ``cancel``, ``metrics``, ``purge``."""

from __future__ import annotations

from dataclasses import replace

import click

from queuectl_core.cli.bulk import (
    Selection,
    change,
    count_text,
    filter_options,
    ids_or_filters,
)
from queuectl_core.cli.common import (
    complete_job_ids,
    examples,
    job_dict,
    print_json,
    state_choice,
    with_store,
)
from queuectl_core.cli.inspect import JOB_HEADERS, job_rows
from queuectl_core.errors import InvalidInput
from queuectl_core.insight import BulkAction
from queuectl_core.lifecycle import FINAL_STATES
from queuectl_core.models import JobState
from queuectl_core.store.base import Store
from queuectl_core.time_input import parse_duration


@click.group()
def dlq() -> None:
    """The dead letter queue: jobs whose retries ran out."""


@dlq.command("list", epilog=examples("queuectl dlq list", "queuectl dlq list --json"))
@click.option("--json", "as_json", is_flag=True, help="One JSON array.")
@click.pass_context
def dlq_list(ctx: click.Context, as_json: bool) -> None:
    """Dead jobs, oldest first."""
    jobs = with_store(ctx, lambda store: store.list_jobs(state=JobState.DEAD))
    if as_json:
        print_json([job_dict(j, with_env=False) for j in jobs])
        return
    if not jobs:
        click.echo("the dead letter queue is empty", err=True)
        return
    from queuectl_core.cli.tables import table

    rows = [(*r[:-1], j.last_error or "", r[-1]) for r, j in zip(job_rows(jobs), jobs, strict=True)]
    table([*JOB_HEADERS[:-1], "error", "command"], rows, state_col=1)


@dlq.command("retry", epilog=examples("queuectl dlq retry job1 job2", "queuectl dlq retry --all"))
@click.argument("job_ids", nargs=-1, shell_complete=complete_job_ids)
@click.option("--all", "retry_all", is_flag=True, help="Retry every dead job.")
@click.pass_context
def dlq_retry(ctx: click.Context, job_ids: tuple[str, ...], retry_all: bool) -> None:
    """Make dead jobs pending now, with attempts reset to 0 (all or nothing)."""
    if bool(job_ids) == retry_all:
        raise InvalidInput("give job ids or --all")
    if retry_all:
        count = with_store(ctx, lambda store: store.retry_all_dead())
        click.echo(f"retried {count} job(s)", err=True)
        return
    jobs = with_store(ctx, lambda store: store.retry(list(job_ids), dead_only=True))
    for job in jobs:
        click.echo(job.id)


@click.command(
    epilog=examples(
        "queuectl cancel job1 job2 job3",
        "queuectl cancel --queue reports --state pending",
        "queuectl cancel --search nightly --dry-run",
    )
)
@click.argument("job_ids", nargs=-1, shell_complete=complete_job_ids)
@filter_options()
@click.pass_context
def cancel(
    ctx: click.Context,
    job_ids: tuple[str, ...],
    states: tuple[str, ...],
    queue: str | None,
    search: str | None,
    group: str | None,
    dry_run: bool,
) -> None:
    """Cancel pending, failed or running jobs (a running job's process tree is killed).

    Ids: all or nothing (if one id is unknown or finished, nothing is cancelled).
    Filters: every matching job that can be cancelled; finished ones are skipped.
    """
    selection = Selection(states, queue, search, group)
    ids_or_filters(
        ctx, BulkAction.CANCEL, job_ids, selection, dry_run, lambda s: s.cancel(list(job_ids))
    )


@click.command(
    epilog=examples(
        "queuectl metrics",
        "queuectl metrics --json",
        "queuectl metrics --prometheus",
        "queuectl metrics --serve --port 9464",
    )
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
@click.option("--prometheus", is_flag=True, help="The Prometheus text format.")
@click.option("--serve", is_flag=True, help="Serve the Prometheus format at /metrics.")
@click.option("--host", default="127.0.0.1", show_default=True, help="With --serve.")
@click.option("--port", type=click.IntRange(0, 65535), default=9464, show_default=True)
@click.option("--allow-remote", is_flag=True, help="Allow a non-loopback --host.")
@click.pass_context
def metrics(
    ctx: click.Context,
    as_json: bool,
    prometheus: bool,
    serve: bool,
    host: str,
    port: int,
    allow_remote: bool,
) -> None:
    """Success rate, durations and throughput; or Prometheus figures (printed or served)."""
    if prometheus or serve:
        from queuectl_core.cli import prom

        if as_json or (prometheus and serve):
            raise InvalidInput("choose one of --json, --prometheus, --serve")
        if serve:
            prom.serve_prometheus(ctx, host, port, allow_remote)
        else:
            prom.print_prometheus(ctx)
        return
    result = with_store(ctx, lambda store: store.metrics())
    if as_json:
        print_json(result.to_dict())
        return
    from queuectl_core.cli.tables import pairs

    def seconds(value: float | None) -> str:
        return "-" if value is None else f"{value:.3f}s"

    rate = "-" if result.success_rate is None else f"{result.success_rate:.1%}"
    pairs(
        [
            *[(state, n) for state, n in result.counts.items()],
            ("success rate", rate),
            ("duration mean", seconds(result.duration_mean)),
            ("duration p50", seconds(result.duration_p50)),
            ("duration p95", seconds(result.duration_p95)),
            ("done last minute", result.completed_last_minute),
            ("done last hour", result.completed_last_hour),
            ("per minute (1h)", f"{result.throughput_per_minute:.1f}"),
        ]
    )


@click.command(
    epilog=examples(
        "queuectl purge --older-than 7d",
        "queuectl purge --state dead --state cancelled --older-than 30d",
        "queuectl purge --queue reports --dry-run",
        "queuectl purge --group 3f2a9c1e0b7d",
    )
)
@click.option(
    "--state",
    "-s",
    "states",
    multiple=True,
    type=state_choice(FINAL_STATES),
    help="Finished state to purge (repeatable; default completed, or every final state "
    "with --queue/--search/--group).",
)
@click.option(
    "--older-than",
    metavar="DURATION",
    help="Finished longer ago than this: 7d, 12h, 0s.",
)
@filter_options(state=False)
@click.pass_context
def purge(
    ctx: click.Context,
    states: tuple[str, ...],
    older_than: str | None,
    queue: str | None,
    search: str | None,
    group: str | None,
    dry_run: bool,
) -> None:
    """Delete finished jobs (and their history and output): older than a cut-off, or
    matching filters, or both. Only completed, dead and cancelled jobs are ever deleted."""
    age = None if older_than is None else parse_duration(older_than, "--older-than")
    selection = Selection((), queue, search, group)
    if age is None and not states and not selection.given:
        raise InvalidInput("give --older-than, or filters: --state, --queue, --search, --group")
    if not states:
        states = tuple(str(s) for s in FINAL_STATES) if selection.given else ("completed",)
    where = replace(selection.job_filter(), states=tuple(JobState.named(s) for s in states))

    async def run(store: Store) -> int:
        cut = None if age is None else store.now() - age
        return await change(
            store, BulkAction.PURGE, replace(where, finished_before=cut), group, dry_run
        )

    count = with_store(ctx, run)
    click.echo(f"{'would purge' if dry_run else 'purged'} {count_text(count)}")
