"""``queuectl schedule``: recurring jobs (add, list, pause, resume, remove, run now)."""

from __future__ import annotations

from typing import Any

import click

from queuectl_core.cli.common import examples, print_json, with_store
from queuectl_core.errors import InvalidInput, spell
from queuectl_core.moments import iso
from queuectl_core.present import relative
from queuectl_core.recurrence import (
    DEFAULT_ZONE,
    Rule,
    describe,
    expression,
    parse_cron,
    parse_every,
    parse_zone,
)
from queuectl_core.schedule_model import Schedule, ScheduleSpec
from queuectl_core.store.base import Store
from queuectl_core.validation import QUEUE_RE, spec_from_object

HEADERS = (
    "name",
    "rule",
    "description",
    "next run",
    "last run",
    "last job",
    "outcome",
    "queue",
    "command",
)


@click.group()
def schedule() -> None:
    """Recurring jobs: workers enqueue one job per fire time (one, however many run)."""


def _rule(cron: str | None, every: str | None, tz: str | None) -> Rule:
    if (cron is None) == (every is None):
        raise InvalidInput("give exactly one of --cron and --every")
    if every is not None and tz is not None:
        raise InvalidInput("--tz applies to --cron only")
    zone = parse_zone(tz) if tz is not None else DEFAULT_ZONE
    if cron is not None:
        return Rule(parse_cron(cron), None, zone)
    return Rule(None, parse_every(every or ""), zone)


def _env(items: tuple[str, ...]) -> dict[str, str]:
    env = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep:
            raise InvalidInput(f"--env takes NAME=VALUE, got {spell(item)}")
        env[name] = value
    return env


def build_spec(name: str, rule: Rule, flags: dict[str, Any]) -> ScheduleSpec:
    """Validate ``schedule add``'s job flags as ``enqueue`` would, into a ``ScheduleSpec``."""
    if not QUEUE_RE.fullmatch(name):
        raise InvalidInput(f"schedule name must match [A-Za-z0-9_.-]{{1,64}}, got {spell(name)}")
    data: dict[str, Any] = {"command": flags["command"], "env": _env(flags["env"])}
    for key in ("queue", "priority", "max_retries", "cwd", "timeout"):
        if flags[key] is not None:
            data[key] = flags[key]
    job = spec_from_object(data)
    return ScheduleSpec(
        name=name,
        rule=rule,
        command=job.command,
        queue=job.queue,
        priority=job.priority,
        max_retries=job.max_retries,
        timeout=job.timeout if job.timeout_given else None,
        env=job.env,
        cwd=job.cwd,
    )


@schedule.command(
    "add",
    epilog=examples(
        "queuectl schedule add backup --cron '0 3 * * *' --command ./backup.sh",
        "queuectl schedule add report --cron '0 9 * * 1-5' --tz Europe/Paris --command 'make r'",
        "queuectl schedule add ping --every 30s --command 'curl -fsS https://x' --queue net",
    ),
)
@click.argument("name")
@click.option("--cron", metavar="EXPR", help="Five-field cron expression, or @hourly, @daily...")
@click.option("--every", metavar="DURATION", help="A fixed interval: 90, 30s, 5m, 2h, 1d.")
@click.option("--command", required=True, help="The shell command each fire enqueues.")
@click.option("--queue", help="Queue of the fired jobs (default: default).")
@click.option("--priority", type=int, help="Priority of the fired jobs.")
@click.option("--timeout", metavar="SECONDS", help="Per-attempt limit (default: config).")
@click.option("--max-retries", type=int, help="Retries of each fired job (default: config).")
@click.option("--env", multiple=True, metavar="NAME=VALUE", help="Repeatable.")
@click.option("--cwd", metavar="DIR", help="Working directory of the fired jobs.")
@click.option("--tz", metavar="ZONE", help="IANA zone of a --cron expression (default: UTC).")
@click.pass_context
def add(ctx: click.Context, /, name: str, **flags: Any) -> None:
    """Add a schedule; its first fire is the first fire time after now."""
    spec = build_spec(name, _rule(flags["cron"], flags["every"], flags["tz"]), flags)
    added = with_store(ctx, lambda store: store.add_schedule(spec), create=True)
    rule = added.spec.rule
    click.echo(f"added schedule {name}: {describe(rule)}; next run {iso(added.next_run)}")


def schedule_dict(item: Schedule) -> dict[str, Any]:
    spec, rule = item.spec, item.spec.rule
    return {
        "name": spec.name,
        "command": spec.command,
        "queue": spec.queue,
        "priority": spec.priority,
        "max_retries": spec.max_retries,
        "timeout": spec.timeout,
        "env": spec.env,
        "cwd": spec.cwd,
        "cron": rule.cron,
        "every": rule.every,
        "tz": rule.tz,
        "description": describe(rule),
        "paused": item.paused,
        "next_run": iso(item.next_run),
        "last_run": iso(item.last_run),
        "last_job": item.last_job,
        "last_job_state": None if item.last_state is None else str(item.last_state),
        "created_at": iso(item.created_at),
    }


def outcome(item: Schedule) -> str:
    """The last fired job's state, with its error when it did not complete."""
    if item.last_job is None:
        return ""
    if item.last_state is None:
        return "(purged)"
    if item.last_error and str(item.last_state) in ("failed", "dead", "cancelled"):
        return f"{item.last_state}: {item.last_error}"
    return str(item.last_state)


def _rows(items: list[Schedule], now: float) -> list[tuple[str, ...]]:
    return [
        (
            s.name,
            expression(s.spec.rule),
            describe(s.spec.rule),
            "paused" if s.paused else relative(s.next_run, now, exact=True),
            relative(s.last_run, now, exact=True),
            s.last_job or "",
            outcome(s),
            s.spec.queue,
            s.spec.command,
        )
        for s in items
    ]


@schedule.command(
    "list", epilog=examples("queuectl schedule list", "queuectl schedule list --json")
)
@click.option("--json", "as_json", is_flag=True, help="One JSON array.")
@click.pass_context
def list_schedules(ctx: click.Context, as_json: bool) -> None:
    """Every schedule: its rule, next and last run, and how its last job went."""

    async def read(store: Store) -> tuple[list[Schedule], float]:
        return await store.list_schedules(), store.now()

    items, now = with_store(ctx, read)
    if as_json:
        print_json([schedule_dict(s) for s in items])
        return
    if not items:
        click.echo("no schedules", err=True)
        return
    from queuectl_core.cli.tables import table

    table(HEADERS, _rows(items, now))


def _by_name(verb: str, help_text: str, action: Any) -> None:
    @schedule.command(verb, help=help_text, epilog=examples(f"queuectl schedule {verb} backup"))
    @click.argument("name")
    @click.pass_context
    def command(ctx: click.Context, name: str) -> None:
        click.echo(with_store(ctx, lambda store: action(store, name)))


async def _pause(store: Store, name: str) -> str:
    await store.pause_schedule(name, True)
    return f"paused schedule {name}"


async def _resume(store: Store, name: str) -> str:
    resumed = await store.pause_schedule(name, False)
    return f"resumed schedule {name}; next run {iso(resumed.next_run)}"


async def _remove(store: Store, name: str) -> str:
    await store.remove_schedule(name)
    return f"removed schedule {name}"


async def _run(store: Store, name: str) -> str:
    return (await store.run_schedule(name)).id


_by_name("pause", "Stop firing NAME until resumed (its running jobs go on).", _pause)
_by_name("resume", "Fire NAME again; its next run is computed from now (no burst).", _resume)
_by_name("remove", "Delete NAME (the jobs it fired stay).", _remove)
_by_name("run", "Enqueue one job of NAME now, without moving its next run; prints the id.", _run)
