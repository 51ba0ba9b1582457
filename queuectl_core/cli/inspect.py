"""Read commands: ``status``, ``list``, ``show`` (``logs`` is in ``cli/logs.py``)."""

from __future__ import annotations

import time

import click

from queuectl_core.cli.bulk import moment_option
from queuectl_core.cli.common import (
    attempt_dict,
    complete_job_ids,
    examples,
    job_dict,
    print_json,
    safe,
    state_choice,
    state_named,
    store_url,
    with_store,
    worker_dict,
)
from queuectl_core.errors import JobNotFound
from queuectl_core.insight import JobFilter
from queuectl_core.lifecycle import is_claimable
from queuectl_core.liveness import live_workers
from queuectl_core.models import Dependency, Job, JobSort, JobState, WorkerInfo
from queuectl_core.present import relative
from queuectl_core.store.base import Store, describe


@click.command(epilog=examples("queuectl status", "queuectl status --json | jq .counts.dead"))
@click.option(
    "--json", "as_json", is_flag=True, help="One JSON object: counts, workers, paused queues."
)
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    """Counts of jobs by state, the live workers and the paused queues."""

    async def read(store: Store) -> tuple[dict[JobState, int], list[WorkerInfo], list[str]]:
        counts, workers = await store.counts(), live_workers(await store.list_workers())
        return counts, workers, await store.paused_queues()

    counts, workers, paused = with_store(ctx, read)
    where = describe(store_url(ctx))
    if as_json:
        print_json(
            {
                "store": where,
                "counts": {str(s): n for s, n in counts.items()},
                "workers": [worker_dict(w) for w in workers],
                "paused": paused,
            }
        )
        return
    from queuectl_core.cli.tables import table

    click.echo(f"store: {safe(where)}")
    if paused:
        click.echo(f"paused queues: {safe(', '.join(paused))}")
    table(["state", "jobs"], [(str(s), counts[s]) for s in JobState], state_col=0)
    now = time.time()
    if not workers:
        click.echo("\nno workers running")
        return
    click.echo("")
    table(
        ["worker", "host", "pid", "slots", "running", "heartbeat"],
        [
            (
                w.id,
                w.host,
                w.pid,
                w.slots,
                ",".join(w.current_jobs) or "-",
                relative(w.heartbeat_at, now, exact=True) or "-",
            )
            for w in workers
        ],
    )


def job_rows(jobs: list[Job]) -> list[tuple[object, ...]]:
    now = time.time()
    rows: list[tuple[object, ...]] = []
    for job in jobs:
        command = job.command if len(job.command) <= 50 else job.command[:49] + "…"
        when = job.finished_at or job.started_at or job.created_at
        if is_claimable(job.state) and job.run_at > now:
            when = job.run_at
        rows.append(
            (
                job.id,
                str(job.state),
                f"{job.attempts}/{job.max_attempts}",
                job.priority,
                job.queue,
                relative(when, now, exact=True) or "-",
                job.exit_code if job.exit_code is not None else "-",
                command,
            )
        )
    return rows


#: Orders whose natural reading is "most first": newest, highest priority.
DESCENDING_FIRST = (JobSort.CREATED, JobSort.UPDATED, JobSort.PRIORITY)
JOB_HEADERS = ["id", "state", "tries", "prio", "queue", "when", "exit", "command"]


@click.command(
    "list",
    epilog=examples(
        "queuectl list --state failed",
        "queuectl list --queue reports --limit 20      # the 20 newest",
        "queuectl list --sort priority --reverse       # lowest priority first",
        "queuectl list --search backup --json",
        "queuectl list --state dead --error 'timed out' --since 1h",
        "queuectl list --exit-code 7 --since 2026-12-01T00:00:00Z",
    ),
)
@click.option(
    "--state", "-s", type=state_choice(), help="Only jobs in this state (running = processing)."
)
@click.option("--queue", "-q", help="Only jobs in this queue.")
@click.option("--search", help="Only jobs whose id or command contains this text.")
@click.option("--error", help="Only jobs whose last error contains this text.")
@click.option("--exit-code", type=int, help="Only jobs whose last exit code is this.")
@click.option(
    "--since",
    metavar="TIME",
    callback=moment_option,
    help="Only jobs created at or after: ISO-8601, or a duration ago (1h).",
)
@click.option(
    "--until",
    metavar="TIME",
    callback=moment_option,
    help="Only jobs created before: ISO-8601, or a duration ago (30m).",
)
@click.option("--limit", "-n", type=click.IntRange(min=0), help="At most this many (default: all).")
@click.option(
    "--sort",
    type=click.Choice([str(s) for s in JobSort]),
    default=str(JobSort.CREATED),
    show_default=True,
    help="Order: created/updated newest first, priority highest first, id/state/queue A-Z.",
)
@click.option("--reverse", "-r", is_flag=True, help="The other way round.")
@click.option("--json", "as_json", is_flag=True, help="One JSON array.")
@click.pass_context
def list_jobs(
    ctx: click.Context,
    state: str | None,
    queue: str | None,
    search: str | None,
    error: str | None,
    exit_code: int | None,
    since: float | None,
    until: float | None,
    limit: int | None,
    sort: str,
    reverse: bool,
    as_json: bool,
) -> None:
    """List jobs, newest first as in the console (env values are never shown).

    --limit N keeps the first N in the chosen order.
    """
    order = JobSort(sort)
    descending = (order in DESCENDING_FIRST) != reverse
    where = JobFilter(error=error or None, exit_code=exit_code, since=since, until=until)
    jobs = with_store(
        ctx,
        lambda store: store.list_jobs(
            state=state_named(state),
            queue=queue,
            search=search,
            limit=limit,
            sort=order,
            newest_first=descending,
            where=where,
        ),
    )
    if as_json:
        print_json([job_dict(j, with_env=False) for j in jobs])
        return
    if not jobs:
        click.echo("no jobs", err=True)
        return
    from queuectl_core.cli.tables import table

    table(JOB_HEADERS, job_rows(jobs), state_col=1)


async def _load(store: Store, job_id: str) -> tuple[Job, list, list[Dependency]]:  # type: ignore[type-arg]
    job = await store.get_job(job_id)
    if job is None:
        raise JobNotFound(f"no job with id {job_id!r}")
    deps = await store.dependencies(job_id) if job.after else []
    return job, await store.attempts(job_id), deps


@click.command(epilog=examples("queuectl show job1", "queuectl show job1 --json | jq .history"))
@click.argument("job_id", shell_complete=complete_job_ids)
@click.option("--json", "as_json", is_flag=True, help="The job object with its 'history'.")
@click.pass_context
def show(ctx: click.Context, job_id: str, as_json: bool) -> None:
    """A job's fields and attempt history."""
    job, history, deps = with_store(ctx, lambda store: _load(store, job_id))
    if as_json:
        print_json({**job_dict(job), "history": [attempt_dict(a) for a in history]})
        return
    from queuectl_core.cli.tables import pairs, table

    data = job_dict(job)
    data["attempts"] = f"{job.attempts} of {job.max_attempts}"
    data["env"] = " ".join(f"{k}={v}" for k, v in job.env.items())
    data["after"] = ", ".join(f"{d.id} ({d.state or 'purged'})" for d in deps)
    pairs([(k, v) for k, v in data.items()])
    if history:
        click.echo("")
        table(
            ["attempt", "worker", "started", "duration", "exit", "error"],
            [
                (
                    a["attempt"],
                    a["worker"],
                    a["started_at"],
                    "-" if a["duration_seconds"] is None else f"{a['duration_seconds']:.3f}s",
                    "-" if a["exit_code"] is None else a["exit_code"],
                    a["error"] or "",
                )
                for a in (attempt_dict(x) for x in history)
            ],
        )
