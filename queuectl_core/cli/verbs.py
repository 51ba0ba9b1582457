"""Everyday verbs: ``retry`` (any final job, or a failed one now) and ``wait``."""

from __future__ import annotations

import asyncio
import sys
import time

import click

from queuectl_core.cli.bulk import Selection, filter_options, ids_or_filters
from queuectl_core.cli.common import (
    complete_job_ids,
    duration,
    examples,
    job_dict,
    print_json,
    with_store,
)
from queuectl_core.errors import JobNotFound
from queuectl_core.insight import BulkAction
from queuectl_core.lifecycle import is_final
from queuectl_core.models import Job, JobState
from queuectl_core.store.base import Store

#: Exit status of ``wait`` (and ``logs --follow``) when time runs out, as timeout(1) uses.
TIMED_OUT = 124
POLL_SECONDS = 0.25


def outcome_code(jobs: list[Job]) -> int:
    """0 when every job completed; otherwise 1, naming each job that did not on stderr."""
    code = 0
    for job in jobs:
        if job.state != JobState.COMPLETED:
            reason = f": {job.last_error}" if job.last_error else ""
            click.echo(f"queuectl: job {job.id} ended {job.state}{reason}", err=True)
            code = 1
    return code


async def wait_final(store: Store, job_ids: list[str], timeout: float | None) -> list[Job] | None:
    """The jobs once every one is final; ``None`` on timeout. Unknown ids raise JobNotFound."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        jobs = []
        for job_id in job_ids:
            job = await store.get_job(job_id)
            if job is None:
                raise JobNotFound(f"no job with id {job_id!r}")
            jobs.append(job)
        if all(is_final(job.state) for job in jobs):
            return jobs
        if deadline is not None and time.monotonic() >= deadline:
            return None
        await asyncio.sleep(POLL_SECONDS)


@click.command(
    epilog=examples(
        "queuectl retry job1 job2",
        "queuectl retry --state dead --queue reports",
        "queuectl retry --group 3f2a9c1e0b7d --dry-run",
    )
)
@click.argument("job_ids", nargs=-1, shell_complete=complete_job_ids)
@filter_options()
@click.pass_context
def retry(
    ctx: click.Context,
    job_ids: tuple[str, ...],
    states: tuple[str, ...],
    queue: str | None,
    search: str | None,
    group: str | None,
    dry_run: bool,
) -> None:
    """Run jobs again now: the ids given (all or nothing), or every job the filters match.

    A dead, cancelled or completed job becomes pending with attempts 0 (its history is
    kept and continues); a failed job waiting out its backoff runs now. A pending or
    running job named by id is refused (exit 1) and nothing changes; filters skip them.
    """
    selection = Selection(states, queue, search, group)
    ids_or_filters(
        ctx, BulkAction.RETRY, job_ids, selection, dry_run, lambda s: s.retry(list(job_ids))
    )


@click.command(
    epilog=examples(
        "queuectl wait job1 job2 && echo all completed",
        "queuectl wait job1 --timeout 5m --json | jq '.[0].state'",
    )
    + "\n\b\nExit status: 0 all completed, 1 any ended otherwise or unknown, 124 timed out.\n"
)
@click.argument("job_ids", nargs=-1, required=True, shell_complete=complete_job_ids)
@click.option(
    "--timeout",
    metavar="DURATION",
    callback=duration,
    help="Give up after this long: 30, 90s, 5m (exit 124).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the final job objects (an array).")
@click.pass_context
def wait(
    ctx: click.Context, job_ids: tuple[str, ...], timeout: float | None, as_json: bool
) -> None:
    """Block until every job is final: completed, dead or cancelled."""
    wanted = list(dict.fromkeys(job_ids))

    async def run(store: Store) -> tuple[list[Job] | None, list[Job]]:
        jobs = await wait_final(store, wanted, timeout)
        if jobs is not None:
            return jobs, jobs
        current = [j for j in [await store.get_job(i) for i in wanted] if j is not None]
        return None, current

    final, current = with_store(ctx, run, loop=True)
    if as_json:
        print_json([job_dict(j, with_env=False) for j in current])
    if final is None:
        waiting = [j.id for j in current if not is_final(j.state)]
        still = ", ".join(waiting)
        sys.stderr.write(
            f"queuectl: error: timed out after {timeout:g}s; still waiting for {still}\n"
        )
        ctx.exit(TIMED_OUT)
    ctx.exit(outcome_code(final))
