"""Shared CLI plumbing: open the store, run a coroutine, format times and job dicts."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import click
from click.shell_completion import CompletionItem

from queuectl_core.config import KEYS
from queuectl_core.errors import InvalidInput, QueueError
from queuectl_core.models import STATE_ALIASES, Attempt, Job, JobState, WorkerInfo
from queuectl_core.moments import iso
from queuectl_core.paths import resolve_db
from queuectl_core.store.base import Store, is_postgres_url
from queuectl_core.store.open import open_store
from queuectl_core.time_input import parse_duration

T = TypeVar("T")
# C0 controls except tab and newline, DEL, and C1 controls: anything a terminal may act on.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def state_choice(allowed: Sequence[JobState] = tuple(JobState)) -> click.Choice[str]:
    """A ``--state`` choice that also takes the aliases (``running`` for ``processing``)."""
    names = [str(s) for s in allowed]
    names += [alias for alias, state in STATE_ALIASES.items() if state in names]
    return click.Choice(names, case_sensitive=False)


def state_named(name: str | None) -> JobState | None:
    return None if name is None else JobState.named(name)


def duration(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    """Option callback: seconds from ``90``, ``30s``, ``5m``, ``2h``, ``1d``."""
    if value is None:
        return None
    label = param.opts[0] if param.opts else "duration"
    try:
        return parse_duration(value, label)
    except InvalidInput as exc:
        raise click.BadParameter(str(exc).removeprefix(f"{label} "), ctx, param) from None


def complete_job_ids(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Shell completion: ids of existing jobs (newest first) that start with ``incomplete``."""

    async def read(store: Store) -> list[Job]:
        return await store.list_jobs(search=incomplete or None, limit=200, newest_first=True)

    try:
        jobs = with_store(ctx, read)
    except (QueueError, OSError):
        return []  # no store, or not reachable: complete nothing rather than print an error
    return [CompletionItem(job.id) for job in jobs if job.id.startswith(incomplete)]


def complete_config_keys(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    wanted = incomplete.replace("-", "_").lower()
    return [CompletionItem(name) for name in KEYS if name.startswith(wanted)]


def examples(*lines: str) -> str:
    """A help epilog listing example command lines (kept unwrapped by click)."""
    return "\n\b\nExamples:\n" + "".join(f"  {line}\n" for line in lines)


#: Where a subcommand's own ``--db`` (given after it) is kept; it wins over the group's.
DB_KEY = "queuectl.db"


def store_url(ctx: click.Context) -> str:
    return resolve_db(ctx.meta.get(DB_KEY) or ctx.find_root().params.get("db"))


def with_store(
    ctx: click.Context,
    action: Callable[[Store], Awaitable[T]],
    *,
    loop: bool = False,
    create: bool = False,
) -> T:
    """Open the store, run ``action`` on it, close it.

    Only commands that add something (``create``) make a new store; every other command on a
    missing one fails with ``no queue at PATH``. On SQLite, one-shot commands run the store's
    calls directly (no event loop, no thread, no asyncio import); ``loop=True`` is for commands
    that wait (``logs --follow``, ``wait``, ``worker stop``).
    """
    url = store_url(ctx)
    if not loop and not is_postgres_url(url):
        from queuectl_core.store.sqlite import DirectSqliteStore, run_now

        direct = DirectSqliteStore.open_direct(url, create=create)
        try:
            return run_now(_awaited(action(direct)))
        finally:
            run_now(direct.close())

    import asyncio

    async def go() -> T:
        store = await open_store(url, create=create)
        try:
            return await action(store)
        finally:
            await store.close()

    return asyncio.run(go())


async def _awaited(value: Awaitable[T]) -> T:
    return await value


def job_dict(job: Job, *, with_env: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": job.id,
        "command": job.command,
        "state": str(job.state),
        "queue": job.queue,
        "priority": job.priority,
        "attempts": job.attempts,
        "max_retries": job.max_retries,
        "timeout": job.timeout,
        "run_at": iso(job.run_at),
        "created_at": iso(job.created_at),
        "updated_at": iso(job.updated_at),
        "started_at": iso(job.started_at),
        "finished_at": iso(job.finished_at),
        "exit_code": job.exit_code,
        "last_error": job.last_error,
        "worker_id": job.worker_id,
        "cwd": job.cwd,
        "after": list(job.after),
        "unique_key": job.unique_key,
        "schedule": job.schedule,
    }
    if with_env:
        data["env"] = job.env
    return data


def attempt_dict(attempt: Attempt) -> dict[str, Any]:
    duration = None
    if attempt.finished_at is not None:
        duration = round(attempt.finished_at - attempt.started_at, 6)
    return {
        "attempt": attempt.attempt,
        "worker": attempt.worker_id,
        "started_at": iso(attempt.started_at),
        "finished_at": iso(attempt.finished_at),
        "duration_seconds": duration,
        "exit_code": attempt.exit_code,
        "error": attempt.error,
    }


def worker_dict(worker: WorkerInfo) -> dict[str, Any]:
    return {
        "id": worker.id,
        "host": worker.host,
        "pid": worker.pid,
        "slots": worker.slots,
        "queues": list(worker.queues) or None,
        "current_jobs": list(worker.current_jobs),
        "started_at": iso(worker.started_at),
        "last_heartbeat": iso(worker.heartbeat_at),
    }


def print_json(document: object) -> None:
    sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


def safe(text: str) -> str:
    """Neutralise terminal control sequences: ESC and friends become visible ``\\x1b``."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)
