"""PostgreSQL store: enqueueing jobs with dependencies or unique keys, and what follows a retry.

The counters and the cascade live in a trigger (``postgres_schema``); this module only writes
what it reads: the edges, each job's starting ``waiting`` count and the ``dependents`` hint.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from queuectl_core.errors import InvalidState, JobNotFound
from queuectl_core.models import Added, Dependency, JobSpec, JobState
from queuectl_core.store import postgres_deps_sql as deps_sql
from queuectl_core.store import postgres_sql as sql
from queuectl_core.store.deps import listed, missing_message
from queuectl_core.store.postgres_base import Conn
from queuectl_core.store.rows import job_from_row

#: A unique key can be freed between our insert's conflict and our read of its holder.
KEY_TRIES = 5


async def add_linked(
    conn: Conn, specs: Sequence[JobSpec], columns: Sequence[Sequence[Any]], now: float | None
) -> list[Added]:
    """Insert one job at a time, in order, so a job can name one defined earlier in the batch.

    ``columns`` are ``INSERT_JOBS``'s parallel arrays. Raises JobNotFound for a dependency that
    does not exist (the caller's transaction rolls back).
    """
    named: dict[str, str] = {}  # an id given in this batch -> the job standing for it
    added: list[Added] = []
    for index, spec in enumerate(specs):
        row = [column[index] for column in columns]
        deps = list(dict.fromkeys(named.get(name, name) for name in spec.after))
        waiting = 0
        if deps:
            found = {r[0]: r[1] for r in await conn.fetch(deps_sql.MARK_DEPS, deps)}
            missing = [dep for dep in deps if dep not in found]
            if missing:
                raise JobNotFound(missing_message(spec, missing[0], len(specs) > 1))
            waiting = sum(state != JobState.COMPLETED for state in found.values())
        after = json.dumps(deps) if deps else None
        added.append(await _insert_one(conn, spec, [*row, after, spec.unique_key, waiting], now))
        if added[-1].created and deps:
            await conn.execute(deps_sql.INSERT_DEPS, added[-1].job.id, deps)
        if spec.id is not None:
            named[spec.id] = added[-1].job.id
    linked = [a.job.id for a in added if a.created and a.job.after]
    if not linked:
        return added
    # A dependency already dead or cancelled: the new job is cancelled at once.
    await conn.execute(deps_sql.CANCEL_ORPHANS, now, linked)
    rows = await conn.fetch(sql.SELECT_JOBS, linked)
    fresh = {job.id: job for job in map(job_from_row, rows)}
    return [Added(fresh[a.job.id], True) if a.job.id in fresh and a.created else a for a in added]


async def _insert_one(conn: Conn, spec: JobSpec, values: list[Any], now: float | None) -> Added:
    for _ in range(KEY_TRIES):
        row = await conn.fetchrow(deps_sql.INSERT_JOB, now, *values)
        if row is not None:
            return Added(job_from_row(row))
        holder = await conn.fetchrow(deps_sql.KEY_HOLDER, spec.unique_key)
        if holder is not None:
            return Added(job_from_row(holder), created=False)
    raise InvalidState(f"unique key {spec.unique_key!r} is changing hands too fast; try again")


async def after_retry(conn: Conn, now: float | None, job_ids: Sequence[str] | None) -> None:
    """Retried jobs wait again for what is not completed, or are cancelled at once when a
    dependency is dead or cancelled (retry that one first)."""
    await conn.execute(deps_sql.RECOUNT_WAITING)
    await conn.execute(deps_sql.CANCEL_ORPHANS, now, None if job_ids is None else list(job_ids))


async def dependencies(conn: Conn, job_id: str) -> list[Dependency]:
    row = await conn.fetchrow(sql.SELECT_JOB, job_id)
    after = job_from_row(row).after if row else ()
    if not after:
        return []
    return listed(after, await conn.fetch(deps_sql.STATES_OF, list(after)))
