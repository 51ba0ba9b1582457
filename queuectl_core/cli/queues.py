"""``queuectl queue``: list queues, pause and resume them, limit their concurrency (DESIGN §8)."""

from __future__ import annotations

from typing import Any

import click

from queuectl_core.cli.common import examples, print_json, with_store
from queuectl_core.models import JobState, QueueInfo


@click.group()
def queue() -> None:
    """Queues: list them, pause and resume them, limit how many jobs of one run at once."""


def queue_dict(info: QueueInfo) -> dict[str, Any]:
    return {
        "name": info.name,
        "paused": info.paused,
        "concurrency": info.concurrency,
        "counts": info.counts,
    }


@queue.command("list", epilog=examples("queuectl queue list", "queuectl queue list --json"))
@click.option("--json", "as_json", is_flag=True, help="One JSON array.")
@click.pass_context
def queue_list(ctx: click.Context, as_json: bool) -> None:
    """Every queue that has jobs or settings: paused, limit, jobs by state."""
    queues = with_store(ctx, lambda store: store.list_queues())
    if as_json:
        print_json([queue_dict(q) for q in queues])
        return
    if not queues:
        click.echo("no queues yet (a queue appears with its first job or setting)", err=True)
        return
    from queuectl_core.cli.tables import table

    table(
        ["queue", "state", "limit", *(str(s) for s in JobState)],
        [
            (
                q.name,
                "paused" if q.paused else "running",
                q.concurrency or "-",
                *(q.counts[str(s)] for s in JobState),
            )
            for q in queues
        ],
    )


@queue.command("pause", epilog=examples("queuectl queue pause mail", "queuectl queue pause a b"))
@click.argument("names", nargs=-1, required=True, metavar="QUEUE...")
@click.pass_context
def queue_pause(ctx: click.Context, names: tuple[str, ...]) -> None:
    """Stop claiming jobs of these queues (running ones finish); any host, next claim on."""
    with_store(ctx, lambda store: store.set_paused(list(names), True), create=True)
    click.echo(f"paused: {', '.join(dict.fromkeys(names))}")


@queue.command("resume", epilog=examples("queuectl queue resume mail"))
@click.argument("names", nargs=-1, required=True, metavar="QUEUE...")
@click.pass_context
def queue_resume(ctx: click.Context, names: tuple[str, ...]) -> None:
    """Claim jobs of these queues again."""
    with_store(ctx, lambda store: store.set_paused(list(names), False), create=True)
    click.echo(f"resumed: {', '.join(dict.fromkeys(names))}")


@queue.command(
    "set",
    epilog=examples("queuectl queue set mail --concurrency 2", "queuectl queue set mail -c 0"),
)
@click.argument("name", metavar="QUEUE")
@click.option(
    "--concurrency",
    "-c",
    type=int,
    required=True,
    metavar="N",
    help="At most N jobs of the queue run at once, all workers and hosts (0 = no limit).",
)
@click.pass_context
def queue_set(ctx: click.Context, name: str, concurrency: int) -> None:
    """Change a queue's settings."""
    with_store(ctx, lambda store: store.set_concurrency(name, concurrency), create=True)
    limit = concurrency or "no limit"
    click.echo(f"{name}: concurrency = {limit}")
