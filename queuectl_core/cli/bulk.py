"""Bulk actions by filter: the options ``retry``, ``cancel`` and ``purge`` share, and running
one ``Store.change_matching`` for them (one transaction, however many jobs match)."""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar

import click
from click.shell_completion import CompletionItem

from queuectl_core.cli.common import state_choice, with_store
from queuectl_core.errors import InvalidInput, QueueError
from queuectl_core.insight import BulkAction, FailureGroup, JobFilter, group_failures
from queuectl_core.models import Job, JobState
from queuectl_core.store.base import Store
from queuectl_core.time_input import parse_duration, parse_time

#: A duration with a unit (``90s``, ``1h``); a bare number is epoch milliseconds, as for run_at.
DURATION = re.compile(r"\s*\d+(?:\.\d+)?\s*[smhd]\s*")

F = TypeVar("F", bound=Callable[..., Any])

FILTERS = "--state, --queue, --search, --group"


@dataclass(frozen=True, slots=True)
class Selection:
    """What a bulk command was asked to act on (besides job ids)."""

    states: tuple[str, ...] = ()
    queue: str | None = None
    search: str | None = None
    group: str | None = None

    @property
    def given(self) -> bool:
        return bool(self.states or self.queue is not None or self.search or self.group)

    def job_filter(self) -> JobFilter:
        return JobFilter(
            states=tuple(JobState.named(s) for s in self.states),
            queue=self.queue,
            search=self.search or None,
        )


def filter_options(*, state: bool = True) -> Callable[[F], F]:
    """``--state`` (unless the command has its own), ``--queue``, ``--search``, ``--group``,
    ``--dry-run``."""

    def add(command: F) -> F:
        options = [
            click.option("--dry-run", is_flag=True, help="Only count the jobs it would change."),
            click.option(
                "--group",
                metavar="FINGERPRINT",
                shell_complete=complete_groups,
                help="Jobs of this failure group (failures).",
            ),
            click.option("--search", help="Jobs whose id or command contains this text."),
            click.option("--queue", "-q", help="Jobs in this queue."),
        ]
        if state:
            options.append(
                click.option(
                    "--state",
                    "-s",
                    "states",
                    multiple=True,
                    type=state_choice(),
                    help="Jobs in this state (repeatable).",
                )
            )
        for option in options:
            command = option(command)
        return command

    return add


def moment_option(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    """Option callback for ``--since``/``--until``: an ISO-8601 time (naive = local), epoch
    milliseconds, or a duration meaning that long ago (``1h``: an hour ago)."""
    if value is None:
        return None
    label = param.opts[0] if param.opts else "time"
    try:
        if DURATION.fullmatch(value):
            return time.time() - parse_duration(value, label)
        return parse_time(value, label)
    except InvalidInput as exc:
        raise click.BadParameter(str(exc).removeprefix(f"{label} "), ctx, param) from None


def complete_groups(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Shell completion: the fingerprints of the current failure groups, biggest first."""

    async def read(store: Store) -> list[FailureGroup]:
        return group_failures(await store.failure_rows())

    try:
        groups = with_store(ctx, read)
    except (QueueError, OSError):
        return []  # no store, or not reachable: complete nothing rather than print an error
    return [
        CompletionItem(g.fingerprint, help=f"{g.count} jobs: {g.example}"[:80])
        for g in groups
        if g.fingerprint.startswith(incomplete)
    ]


def count_text(count: int) -> str:
    return f"{count} job" if count == 1 else f"{count} jobs"


def check_ids_or_filters(job_ids: Sequence[str], selection: Selection, dry_run: bool) -> None:
    """Ids and filters are two ways of naming jobs: exactly one of them (exit 2 otherwise)."""
    if job_ids and selection.given:
        raise InvalidInput(
            "give job ids or filters (--state, --queue, --search, --group), not both"
        )
    if not job_ids and not selection.given:
        raise InvalidInput("give job ids, or filters: --state, --queue, --search, --group")
    if dry_run and job_ids:
        raise InvalidInput("--dry-run counts what filters match; it takes no job ids")


async def change(
    store: Store, action: BulkAction, where: JobFilter, group: str | None, dry_run: bool
) -> int:
    """Apply ``action`` to what ``where`` (and the failure group, if named) matches."""
    if group is not None:
        wanted = group.strip().lower()
        groups = group_failures(await store.failure_rows(where.queue))
        ids = next((g.jobs for g in groups if g.fingerprint == wanted), ())
        if not ids:
            return 0
        where = replace(where, ids=ids)
    return await store.change_matching(action, where, dry_run=dry_run)


def run_bulk(
    ctx: click.Context,
    action: BulkAction,
    where: JobFilter,
    group: str | None,
    dry_run: bool,
) -> None:
    """Change (or count) the matching jobs and say how many: ``retried 12 jobs``."""
    count = with_store(ctx, lambda store: change(store, action, where, group, dry_run))
    if dry_run:
        click.echo(f"would {action} {count_text(count)}")
    else:
        click.echo(f"{action.done} {count_text(count)}")


def ids_or_filters(
    ctx: click.Context,
    action: BulkAction,
    job_ids: Sequence[str],
    selection: Selection,
    dry_run: bool,
    by_ids: Callable[[Store], Awaitable[list[Job]]],
) -> None:
    """The shape of ``retry`` and ``cancel``: the jobs named (``by_ids``, all or nothing, each
    id printed) or every job the filters match (counted)."""
    check_ids_or_filters(job_ids, selection, dry_run)
    if not job_ids:
        run_bulk(ctx, action, selection.job_filter(), selection.group, dry_run)
        return
    for job in with_store(ctx, by_ids):
        click.echo(job.id)
