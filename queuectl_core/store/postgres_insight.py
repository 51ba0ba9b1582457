"""PostgreSQL store, insight side: failure rows for grouping, and bulk changes by filter."""

from __future__ import annotations

from typing import Any

import asyncpg

from queuectl_core.insight import FAILURE_STATES, STDERR_TAIL, BulkAction, FailureRow, JobFilter
from queuectl_core.moments import moment_or, text
from queuectl_core.store import postgres_sql as sql
from queuectl_core.store.deps import key_taken
from queuectl_core.store.filters import conditions
from queuectl_core.store.postgres_base import Conn, PgBase
from queuectl_core.store.postgres_deps import after_retry
from queuectl_core.store.postgres_jobs import pg_mark
from queuectl_core.store.rows import stored_state
from queuectl_core.store.sqlite_insight import ALLOWED

# Only the failed and dead rows (jobs_state_seq), and of each only its last attempt's stderr tail.
FAILURE_ROWS = f"""
SELECT j.id, j.queue, j.state, j.last_error, coalesce(j.finished_at, j.updated_at),
    right(coalesce(o.stderr, ''), {STDERR_TAIL})
FROM jobs j LEFT JOIN outputs o ON o.job_id = j.id AND o.attempt = j.runs
WHERE j.state = ANY($1::text[]) AND ($2::text IS NULL OR j.queue = $2)
"""

# $1 is the time; the filter's values follow.
BULK_RETRY = """
UPDATE jobs SET state = 'pending', run_at = $1, updated_at = $1,
    attempts = CASE WHEN state = 'failed' THEN attempts ELSE 0 END
WHERE state IN {allowed} AND {where}
"""

# Running jobs' open attempts close as cancelled (their workers kill the tree at the next
# heartbeat, as ``cancel`` does); the CTE sees the jobs before the update.
BULK_CANCEL = """
WITH running AS (
    UPDATE attempts SET finished_at = $1, error = 'cancelled'
    WHERE finished_at IS NULL AND (job_id, attempt) IN (
        SELECT id, runs FROM jobs WHERE state = 'processing' AND {where})
    RETURNING job_id
), changed AS (
    UPDATE jobs SET state = 'cancelled', finished_at = $1, updated_at = $1,
        lease_expires_at = NULL, last_error = 'cancelled by operator'
    WHERE state IN {allowed} AND {where}
    RETURNING id
)
SELECT (SELECT count(*) FROM changed), (SELECT count(*) FROM running)
"""

BULK_PURGE = "DELETE FROM jobs WHERE state IN {allowed} AND {where}"
BULK_COUNT = "SELECT count(*) FROM jobs WHERE state IN {allowed} AND {where}"


class PgInsight(PgBase):
    """``failure_rows`` and ``change_matching`` on PostgreSQL."""

    async def failure_rows(self, queue: str | None = None) -> list[FailureRow]:
        rows = await self._read(FAILURE_ROWS, [str(s) for s in FAILURE_STATES], queue)
        return [
            FailureRow(
                id=text(r[0]) or "",
                queue=text(r[1]) or "",
                state=stored_state(r[2]),
                last_error=text(r[3]),
                failed_at=moment_or(r[4]),
                stderr_tail=text(r[5]) or "",
            )
            for r in rows
        ]

    async def change_matching(
        self, action: BulkAction, where: JobFilter, *, dry_run: bool = False
    ) -> int:
        allowed = ALLOWED[action]
        if dry_run or action is BulkAction.PURGE:
            params: list[Any] = []
            clauses = conditions(where, pg_mark, postgres=True, params=params)
            condition = " AND ".join(clauses) or "TRUE"
            if dry_run:
                rows = await self._read(
                    BULK_COUNT.format(allowed=allowed, where=condition), *params
                )
                return int(rows[0][0])
            return await self._execute(BULK_PURGE.format(allowed=allowed, where=condition), *params)
        params = [None]  # $1: the time, filled in inside the transaction
        clauses = conditions(where, pg_mark, postgres=True, params=params)
        condition = " AND ".join(clauses) or "TRUE"

        async def write(conn: Conn) -> int:
            values = [await self._db_now(conn), *params[1:]]
            if action is BulkAction.RETRY:
                query = BULK_RETRY.format(allowed=allowed, where=condition)
                try:
                    status: str = await conn.execute(query, *values)
                except asyncpg.UniqueViolationError:
                    raise key_taken(None) from None
                # Dependents wait again, or are cancelled at once if a dependency is dead.
                await after_retry(conn, values[0], None)
                return int(status.rsplit(" ", 1)[-1])
            query = BULK_CANCEL.format(allowed=allowed, where=condition)
            changed, running = await conn.fetchrow(query, *values)
            if running:
                await conn.execute(sql.NOTIFY, sql.CONTROL_CHANNEL)
            return int(changed)

        return await self._run(write)
