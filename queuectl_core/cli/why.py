"""``queuectl why ID``: every reason a job is or is not running now."""

from __future__ import annotations

import click

from queuectl_core.cli.common import complete_job_ids, examples, print_json, with_store
from queuectl_core.errors import JobNotFound
from queuectl_core.store.base import Store
from queuectl_core.why import Facts, explain
from queuectl_core.why_facts import gather


@click.command(epilog=examples("queuectl why job1", "queuectl why job1 --json"))
@click.argument("job_id", shell_complete=complete_job_ids)
@click.option(
    "--json", "as_json", is_flag=True, help='One JSON object: {"id", "state", "reasons"}.'
)
@click.pass_context
def why(ctx: click.Context, job_id: str, as_json: bool) -> None:
    """Why a job is or is not running now: every reason that holds, in words and codes.

    Codes: ready, running, scheduled, backoff, queue_paused, concurrency_limit, dependencies,
    no_worker, busy, completed, dead, cancelled.
    """

    async def read(store: Store) -> Facts | None:
        return await gather(store, job_id)

    facts = with_store(ctx, read)
    if facts is None:
        raise JobNotFound(f"no job with id {job_id!r}")
    reasons = explain(facts)
    if as_json:
        print_json(
            {
                "id": facts.job.id,
                "state": str(facts.job.state),
                "reasons": [r.to_dict() for r in reasons],
            }
        )
        return
    click.echo(f"{facts.job.id}: {facts.job.state}")
    for reason in reasons:
        click.echo(f"  {reason.code:<18} {reason.message}")
