"""SQLite store, insight side: failure rows for grouping, and bulk changes by filter."""

from __future__ import annotations

import sqlite3

from queuectl_core import wake
from queuectl_core.insight import FAILURE_STATES, STDERR_TAIL, BulkAction, FailureRow, JobFilter
from queuectl_core.lifecycle import CANCELLABLE_STATES, FINAL_STATES, RETRYABLE_STATES
from queuectl_core.moments import moment_or, text
from queuectl_core.store.common import sql_states
from queuectl_core.store.deps import key_taken
from queuectl_core.store.filters import conditions
from queuectl_core.store.rows import stored_state
from queuectl_core.store.sqlite_base import Conn, SqliteBase, sqlite_mark
from queuectl_core.store.sqlite_deps import after_retry

# Only the failed and dead rows (jobs_state_seq), and of each only its last attempt's stderr tail.
FAILURE_ROWS = f"""
SELECT j.id, j.queue, j.state, j.last_error, coalesce(j.finished_at, j.updated_at),
    substr(coalesce(o.stderr, ''), -{STDERR_TAIL})
FROM jobs j LEFT JOIN outputs o ON o.job_id = j.id AND o.attempt = j.runs
WHERE j.state IN {sql_states(FAILURE_STATES)} {{queue}}
"""

ALLOWED = {
    BulkAction.RETRY: sql_states(RETRYABLE_STATES),
    BulkAction.CANCEL: sql_states(CANCELLABLE_STATES),
    BulkAction.PURGE: sql_states(FINAL_STATES),
}

BULK_RETRY = """
UPDATE jobs SET state = 'pending', run_at = ?, updated_at = ?,
    attempts = CASE WHEN state = 'failed' THEN attempts ELSE 0 END
WHERE state IN {allowed} AND {where}
"""

# Running jobs' open attempts close as cancelled (their workers kill the tree at the next
# heartbeat, as ``cancel`` does).
BULK_CLOSE_ATTEMPTS = """
UPDATE attempts SET finished_at = ?, error = 'cancelled'
WHERE finished_at IS NULL AND (job_id, attempt) IN (
    SELECT id, runs FROM jobs WHERE state = 'processing' AND {where})
"""

BULK_CANCEL = """
UPDATE jobs SET state = 'cancelled', finished_at = ?, updated_at = ?, lease_expires_at = NULL,
    last_error = 'cancelled by operator'
WHERE state IN {allowed} AND {where}
"""

BULK_PURGE = "DELETE FROM jobs WHERE state IN {allowed} AND {where}"
BULK_COUNT = "SELECT count(*) FROM jobs WHERE state IN {allowed} AND {where}"


class SqliteInsight(SqliteBase):
    """``failure_rows`` and ``change_matching`` on SQLite."""

    async def failure_rows(self, queue: str | None = None) -> list[FailureRow]:
        query = FAILURE_ROWS.format(queue="AND j.queue = ?" if queue is not None else "")
        params = [queue] if queue is not None else []

        def read(conn: Conn) -> list[FailureRow]:
            return [
                FailureRow(
                    id=text(r[0]) or "",
                    queue=text(r[1]) or "",
                    state=stored_state(r[2]),
                    last_error=text(r[3]),
                    failed_at=moment_or(r[4]),
                    stderr_tail=text(r[5]) or "",
                )
                for r in conn.execute(query, params)
            ]

        return await self._read(read)

    async def change_matching(
        self, action: BulkAction, where: JobFilter, *, dry_run: bool = False
    ) -> int:
        params: list[object] = []
        clauses = conditions(where, sqlite_mark, postgres=False, params=params)
        condition = " AND ".join(clauses) or "1"
        allowed = ALLOWED[action]
        if dry_run:

            def count(conn: Conn) -> int:
                query = BULK_COUNT.format(allowed=allowed, where=condition)
                return int(conn.execute(query, params).fetchone()[0])

            return await self._read(count)

        def write(conn: Conn) -> int:
            now = self._clock()
            if action is BulkAction.RETRY:
                query = BULK_RETRY.format(allowed=allowed, where=condition)
                try:
                    changed = conn.execute(query, [now, now, *params]).rowcount
                except sqlite3.IntegrityError:
                    raise key_taken(None) from None
                # Dependents wait again, or are cancelled at once if a dependency is dead.
                after_retry(conn, now)
                if changed:
                    self._notify_local(conn, wake.WORK)
                return changed
            if action is BulkAction.CANCEL:
                closing = BULK_CLOSE_ATTEMPTS.format(where=condition)
                running = conn.execute(closing, [now, *params]).rowcount
                query = BULK_CANCEL.format(allowed=allowed, where=condition)
                changed = conn.execute(query, [now, now, *params]).rowcount
                if running:
                    self._notify_local(conn, wake.CONTROL)
                return changed
            query = BULK_PURGE.format(allowed=allowed, where=condition)
            return conn.execute(query, params).rowcount

        return await self._tx(write)
