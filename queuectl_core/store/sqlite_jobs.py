"""SQLite store, producer and operator side: enqueue, read, cancel, retry, purge, metrics."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence

from queuectl_core import wake
from queuectl_core.errors import DuplicateJob, QueueError
from queuectl_core.ids import new_job_ids
from queuectl_core.insight import JobFilter
from queuectl_core.lifecycle import CANCELLABLE_STATES, RETRYABLE_STATES
from queuectl_core.models import Added, Dependency, Job, JobSort, JobSpec, JobState
from queuectl_core.store import sqlite_sql as sql
from queuectl_core.store import sqlite_worker_sql as wsql
from queuectl_core.store.common import checked_for_change, job_retries, job_timeout
from queuectl_core.store.deps import key_taken, uses_links
from queuectl_core.store.filters import merged, where_sql
from queuectl_core.store.rows import (
    duplicate_message,
    job_from_row,
    job_order,
)
from queuectl_core.store.sqlite_base import (
    Conn,
    SqliteBase,
    read_config,
    sqlite_mark,
)
from queuectl_core.store.sqlite_deps import add_linked, after_retry, dependencies
from queuectl_core.store.sqlite_queues import unfinished_unpaused


class SqliteJobs(SqliteBase):
    """Operations of producers, operators and the console."""

    # --- producers and operators ------------------------------------------------------------
    async def enqueue(self, specs: Sequence[JobSpec]) -> list[Job]:
        return [added.job for added in await self.add_jobs(specs)]

    async def add_jobs(self, specs: Sequence[JobSpec]) -> list[Added]:
        def write(conn: Conn) -> list[Added]:
            config = read_config(conn)
            now = self._clock()
            ids = new_job_ids(len(specs))
            rows, fresh = [], []
            for spec, new_id in zip(specs, ids, strict=True):
                retries, timeout = job_retries(spec, config), job_timeout(spec, config)
                run_at = spec.run_at if spec.run_at is not None else now + (spec.delay or 0.0)
                env = json.dumps(spec.env) if spec.env else "{}"
                job_id = spec.id or new_id
                head = (job_id, spec.command, spec.queue, spec.priority, retries)
                rows.append((*head, timeout, run_at, now, now, env, spec.cwd))
                fresh.append(
                    Job(job_id, spec.command, JobState.PENDING, spec.queue, spec.priority, 0,
                        retries, timeout, run_at, now, now, spec.env, spec.cwd)
                )  # fmt: skip
            conn.execute("SAVEPOINT batch")
            try:
                if uses_links(specs):
                    added = add_linked(conn, specs, rows, now)
                else:
                    _insert(conn, rows)
                    added = [Added(job) for job in fresh]
            except sqlite3.IntegrityError:
                # Undo this batch's rows first, or they would look like the existing ones.
                conn.execute("ROLLBACK TO batch")
                raise DuplicateJob(_duplicate_message(conn, [row[0] for row in rows])) from None
            except QueueError:
                conn.execute("ROLLBACK TO batch")
                raise
            conn.execute("RELEASE batch")
            self._notify_local(conn, wake.WORK)
            return added

        return await self._tx(write)

    async def dependencies(self, job_id: str) -> list[Dependency]:
        return await self._read(lambda conn: dependencies(conn, job_id))

    async def get_job(self, job_id: str) -> Job | None:
        def read(conn: Conn) -> Job | None:
            row = conn.execute(sql.SELECT_JOB, (job_id,)).fetchone()
            return job_from_row(row) if row else None

        return await self._read(read)

    async def list_jobs(
        self,
        *,
        state: JobState | None = None,
        queue: str | None = None,
        search: str | None = None,
        limit: int | None = None,
        offset: int = 0,
        newest_first: bool = False,
        sort: JobSort = JobSort.CREATED,
        where: JobFilter | None = None,
    ) -> list[Job]:
        match = merged(where, state, queue, search)
        clause, params = where_sql(match, sqlite_mark, postgres=False)
        order = job_order(sort, newest_first)
        query = sql.LIST_JOBS.format(where=clause, order=order)
        params += [-1 if limit is None else limit, offset]

        def read(conn: Conn) -> list[Job]:
            return [job_from_row(r) for r in conn.execute(query, params)]

        return await self._read(read)

    async def count_jobs(
        self,
        *,
        state: JobState | None = None,
        queue: str | None = None,
        search: str | None = None,
        where: JobFilter | None = None,
    ) -> int:
        if queue is None and not search and (where is None or where.is_empty):
            counts = await self.counts()
            return counts[state] if state is not None else sum(counts.values())
        clause, params = where_sql(merged(where, state, queue, search), sqlite_mark, postgres=False)

        def read(conn: Conn) -> int:
            return int(conn.execute(sql.COUNT_JOBS.format(where=clause), params).fetchone()[0])

        return await self._read(read)

    async def counts(self) -> dict[JobState, int]:
        def read(conn: Conn) -> dict[JobState, int]:
            rows = conn.execute(sql.STATE_COUNTS).fetchall()
            return {JobState(s): n for s, n in rows}

        return await self._read(read)

    def _load_for_change(
        self, conn: Conn, job_ids: Sequence[str], allowed: Sequence[JobState], verb: str
    ) -> list[Job]:
        found = {}
        for job_id in dict.fromkeys(job_ids):
            row = conn.execute(sql.SELECT_JOB, (job_id,)).fetchone()
            if row is not None:
                found[job_id] = job_from_row(row)
        return checked_for_change(job_ids, found, allowed, verb)

    async def cancel(self, job_ids: Sequence[str]) -> list[Job]:
        def write(conn: Conn) -> list[Job]:
            now = self._clock()
            jobs = self._load_for_change(conn, job_ids, CANCELLABLE_STATES, "cancelled")
            for job in jobs:
                conn.execute(
                    sql.CANCEL,
                    (now, now, job.id),
                )
                if job.state == JobState.PROCESSING:
                    conn.execute(wsql.CLOSE_ATTEMPT, (now, "cancelled", job.id, job.runs))
            if any(job.state == JobState.PROCESSING for job in jobs):
                self._notify_local(conn, wake.CONTROL)
            return [self._reload(conn, job.id) for job in jobs]

        return await self._tx(write)

    @staticmethod
    def _reload(conn: Conn, job_id: str) -> Job:
        row = conn.execute(sql.SELECT_JOB, (job_id,)).fetchone()
        return job_from_row(row)

    async def retry(self, job_ids: Sequence[str], *, dead_only: bool = False) -> list[Job]:
        allowed = (JobState.DEAD,) if dead_only else RETRYABLE_STATES

        def write(conn: Conn) -> list[Job]:
            now = self._clock()
            jobs = self._load_for_change(conn, job_ids, allowed, "retried")
            try:
                for job in jobs:
                    # A final job starts over with a full set of attempts; a failed one only
                    # skips its wait.
                    reset = job.state != JobState.FAILED
                    conn.execute(sql.RETRY, (now, now, reset, job.id))
            except sqlite3.IntegrityError:
                raise key_taken([job.id for job in jobs]) from None
            after_retry(conn, now)
            self._notify_local(conn, wake.WORK)
            return [self._reload(conn, job.id) for job in jobs]

        return await self._tx(write)

    async def retry_all_dead(self) -> int:
        def write(conn: Conn) -> int:
            now = self._clock()
            try:
                count = conn.execute(sql.RETRY_ALL_DEAD, (now, now)).rowcount
            except sqlite3.IntegrityError:
                raise key_taken(None) from None
            after_retry(conn, now)
            if count:
                self._notify_local(conn, wake.WORK)
            return count

        return await self._tx(write)

    async def purge(self, states: Sequence[JobState], finished_before: float) -> int:
        def write(conn: Conn) -> int:
            total = 0
            for state in states:
                total += conn.execute(
                    sql.PURGE,
                    (str(state), finished_before),
                ).rowcount
            return total

        return await self._tx(write)

    async def count_purgeable(self, states: Sequence[JobState], finished_before: float) -> int:
        def read(conn: Conn) -> int:
            return sum(
                conn.execute(sql.COUNT_PURGEABLE, (str(state), finished_before)).fetchone()[0]
                for state in states
            )

        return await self._read(read)

    async def has_unfinished(self, queues: Sequence[str] | None = None) -> bool:
        def read(conn: Conn) -> bool:
            paused = {row[0] for row in conn.execute(sql.PAUSED_QUEUES)}
            if paused:
                return unfinished_unpaused(conn, queues, paused)
            if queues:
                marks = ", ".join("?" * len(queues))
                statement = sql.UNFINISHED_IN.format(marks=marks)
                row = conn.execute(statement, list(queues)).fetchone()
                return row is not None
            row = conn.execute(sql.UNFINISHED_COUNT).fetchone()
            return bool(row[0])

        return await self._read(read)

    # --- workers ----------------------------------------------------------------------------


def _duplicate_message(conn: Conn, ids: list[str]) -> str:
    existing = {
        job_id
        for job_id in dict.fromkeys(ids)
        if conn.execute(sql.JOB_EXISTS, (job_id,)).fetchone()
    }
    return duplicate_message(ids, existing)


def _insert(conn: Conn, rows: Sequence[tuple[object, ...]]) -> None:
    """Insert ``rows`` (values of ``sql.INSERT_COLUMNS``) with one statement per ``INSERT_ROWS``."""
    full = sql.INSERT_ROWS
    for start in range(0, len(rows), full):
        chunk = rows[start : start + full]
        values = [value for row in chunk for value in row]
        conn.execute(sql.insert_jobs(len(chunk)), values)
