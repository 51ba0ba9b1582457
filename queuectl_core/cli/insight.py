"""``queuectl failures``: dead and failed jobs grouped by how they failed."""

from __future__ import annotations

import time

import click

from queuectl_core.cli.common import examples, print_json, with_store
from queuectl_core.insight import FailureGroup, group_failures
from queuectl_core.moments import iso
from queuectl_core.present import relative
from queuectl_core.store.base import Store

#: The failure pattern is the point of the table: it may be wider than other commands' cells.
EXAMPLE_WIDTH = 110


def group_dict(group: FailureGroup) -> dict[str, object]:
    return {
        "fingerprint": group.fingerprint,
        "count": group.count,
        "example": group.example,
        "jobs": list(group.jobs),
        "queues": list(group.queues),
        "states": group.states,
        "first_seen": iso(group.first_seen),
        "last_seen": iso(group.last_seen),
    }


@click.command(
    epilog=examples(
        "queuectl failures",
        "queuectl failures --queue reports --json | jq '.[0].jobs'",
        "queuectl retry --group FINGERPRINT --dry-run",
    )
)
@click.option("--queue", "-q", help="Only jobs in this queue.")
@click.option("--json", "as_json", is_flag=True, help="One JSON array of groups.")
@click.pass_context
def failures(ctx: click.Context, queue: str | None, as_json: bool) -> None:
    """Dead and failed jobs grouped by how they failed, biggest group first.

    A group's fingerprint masks what varies between occurrences of one failure (numbers,
    addresses, paths, ids, times, quoted values) in the error and the last line of stderr;
    exit codes and HTTP statuses are kept. Act on a group: retry/cancel/purge --group FP.
    """

    async def read(store: Store) -> list[FailureGroup]:
        return group_failures(await store.failure_rows(queue))

    groups = with_store(ctx, read)
    if as_json:
        print_json([group_dict(g) for g in groups])
        return
    if not groups:
        click.echo("no failed or dead jobs", err=True)
        return
    from queuectl_core.cli.tables import table

    now = time.time()
    table(
        ["fingerprint", "jobs", "queues", "last seen", "failure"],
        [
            (
                g.fingerprint,
                g.count,
                ",".join(g.queues),
                relative(g.last_seen, now, exact=True) or "-",
                g.example,
            )
            for g in groups
        ],
        max_cell=EXAMPLE_WIDTH,
    )
