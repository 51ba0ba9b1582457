"""The PostgreSQL store, producers' and operators' side: enqueue, read, cancel, retry, purge."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NoReturn

import asyncpg

from queuectl_core.errors import DuplicateJob
from queuectl_core.ids import new_job_ids
from queuectl_core.insight import JobFilter
from queuectl_core.lifecycle import (
    CANCELLABLE_STATES,
    RETRYABLE_STATES,
    UNFINISHED_STATES,
)
from queuectl_core.models import Added, Dependency, Job, JobSort, JobSpec, JobState
from queuectl_core.store import postgres_sql as sql
from queuectl_core.store import postgres_worker_sql as wsql
from queuectl_core.store.common import checked_for_change
from queuectl_core.store.deps import key_taken, uses_links
from queuectl_core.store.filters import merged, where_sql
from queuectl_core.store.postgres_base import FOLD_THRESHOLD, Conn, PgBase
from queuectl_core.store.postgres_deps import add_linked, after_retry, dependencies
from queuectl_core.store.postgres_insert import (
    CHUNK,
    insert_chunked,
    insert_columns,
    inserted_jobs,
)
from queuectl_core.store.rows import duplicate_message, job_from_row, job_order


def pg_mark(n: int) -> str:
    return f"${n}"


class PgJobs(PgBase):
    """Operations of producers, operators and the console; each is one transaction."""

    async def enqueue(self, specs: Sequence[JobSpec]) -> list[Job]:
        return [added.job for added in await self.add_jobs(specs)]

    async def add_jobs(self, specs: Sequence[JobSpec]) -> list[Added]:
        if not specs:
            return []
        config = await self.get_config()
        fresh = new_job_ids(len(specs))
        ids = [spec.id or new_id for spec, new_id in zip(specs, fresh, strict=True)]
        if len(set(ids)) < len(ids):
            await self._raise_duplicate(ids)
        if uses_links(specs):
            return await self._add_linked(specs, insert_columns(specs, ids, config), ids)

        async def write_chunked(conn: Conn) -> list[Job]:
            return await insert_chunked(conn, specs, ids, config, await self._db_now(conn))

        async def write(conn: Conn) -> list[Job]:
            columns = insert_columns(specs, ids, config)
            now = float(await conn.fetchval(sql.INSERT_JOBS, self._now_param(), *columns))
            return inserted_jobs(specs, columns, now)

        try:
            if len(specs) > CHUNK:
                jobs = await self._run(write_chunked)
            else:  # one statement is atomic by itself: no BEGIN and COMMIT round trips
                jobs = await self._run(write, tx=False)
        except asyncpg.UniqueViolationError:
            await self._raise_duplicate(ids)
        return [Added(job) for job in jobs]

    async def _add_linked(
        self, specs: Sequence[JobSpec], columns: list[list[Any]], ids: list[str]
    ) -> list[Added]:
        async def write(conn: Conn) -> list[Added]:
            return await add_linked(conn, specs, columns, self._now_param())

        try:
            return await self._run(write)
        except asyncpg.UniqueViolationError:
            await self._raise_duplicate(ids)

    async def dependencies(self, job_id: str) -> list[Dependency]:
        return await self._run(lambda conn: dependencies(conn, job_id), tx=False, retry=True)

    async def _raise_duplicate(self, ids: Sequence[str]) -> NoReturn:
        rows = await self._read(sql.EXISTING_IDS, list(ids))
        raise DuplicateJob(duplicate_message(ids, {r[0] for r in rows}))

    async def get_job(self, job_id: str) -> Job | None:
        rows = await self._read(sql.SELECT_JOB, job_id)
        return job_from_row(rows[0]) if rows else None

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
        clause, params = where_sql(match, pg_mark, postgres=True)
        order = job_order(sort, newest_first)
        n = len(params)
        query = sql.LIST_JOBS.format(where=clause, order=order, limit=n + 1, offset=n + 2)
        rows = await self._read(query, *params, limit, offset)
        return [job_from_row(r) for r in rows]

    async def _load_for_change(
        self, conn: Conn, job_ids: Sequence[str], allowed: Sequence[JobState], verb: str
    ) -> list[Job]:
        """Lock the jobs (in id order, so concurrent changes cannot deadlock) and check them."""
        wanted = list(dict.fromkeys(job_ids))
        rows = await conn.fetch(
            sql.LOCK_JOBS,
            wanted,
        )
        found = {job.id: job for job in map(job_from_row, rows)}
        return checked_for_change(wanted, found, allowed, verb)

    async def _change(self, conn: Conn, query: str, now: float, jobs: Sequence[Job]) -> list[Job]:
        ids = [job.id for job in jobs]
        rows = await conn.fetch(query, now, ids)
        by_id = {job.id: job for job in map(job_from_row, rows)}
        return [by_id[job_id] for job_id in ids]

    async def cancel(self, job_ids: Sequence[str]) -> list[Job]:
        async def write(conn: Conn) -> list[Job]:
            jobs = await self._load_for_change(conn, job_ids, CANCELLABLE_STATES, "cancelled")
            now = await self._db_now(conn)
            changed = await self._change(conn, sql.CANCEL, now, jobs)
            running = [job for job in jobs if job.state == JobState.PROCESSING]
            if running:
                ids, runs = [j.id for j in running], [j.runs for j in running]
                await conn.execute(wsql.CLOSE_ATTEMPTS, now, "cancelled", ids, runs)
                await conn.execute(sql.NOTIFY, sql.CONTROL_CHANNEL)
            return changed

        return await self._run(write)

    async def retry(self, job_ids: Sequence[str], *, dead_only: bool = False) -> list[Job]:
        allowed = (JobState.DEAD,) if dead_only else RETRYABLE_STATES

        async def write(conn: Conn) -> list[Job]:
            jobs = await self._load_for_change(conn, job_ids, allowed, "retried")
            now = await self._db_now(conn)
            try:
                await self._change(conn, sql.RETRY, now, jobs)
            except asyncpg.UniqueViolationError:
                raise key_taken([job.id for job in jobs]) from None
            await after_retry(conn, now, [job.id for job in jobs])
            rows = await conn.fetch(sql.SELECT_JOBS, [job.id for job in jobs])
            by_id = {job.id: job for job in map(job_from_row, rows)}
            return [by_id[job.id] for job in jobs]

        return await self._run(write)

    async def retry_all_dead(self) -> int:
        async def write(conn: Conn) -> int:
            try:
                status: str = await conn.execute(sql.RETRY_ALL_DEAD, self._now_param())
            except asyncpg.UniqueViolationError:
                raise key_taken(None) from None
            await after_retry(conn, self._now_param(), None)
            return int(status.rsplit(" ", 1)[-1])

        return await self._run(write)

    async def purge(self, states: Sequence[JobState], finished_before: float) -> int:
        return await self._execute(
            sql.PURGE,
            [str(s) for s in states],
            finished_before,
        )

    async def count_purgeable(self, states: Sequence[JobState], finished_before: float) -> int:
        rows = await self._read(sql.COUNT_PURGEABLE, [str(s) for s in states], finished_before)
        return int(rows[0][0])

    # --- counts and change detection --------------------------------------------------------
    async def counts(self) -> dict[JobState, int]:
        rows = await self._read(sql.COUNTS)
        if sum(r[2] for r in rows) > FOLD_THRESHOLD:
            await self._fold_counts()
        found = {r[0]: int(r[1]) for r in rows}
        return {state: found.get(str(state), 0) for state in JobState}

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
        clause, params = where_sql(merged(where, state, queue, search), pg_mark, postgres=True)
        rows = await self._read(sql.COUNT_JOBS.format(where=clause), *params)
        return int(rows[0][0])

    async def has_unfinished(self, queues: Sequence[str] | None = None) -> bool:
        if await self._read(sql.ANY_PAUSED):
            # Waiting jobs of paused queues do not count: a draining worker would wait for
            # them forever.
            rows = await self._read(sql.UNFINISHED_UNPAUSED, list(queues) if queues else None)
            return bool(rows[0][0])
        if queues:
            rows = await self._read(
                sql.UNFINISHED_IN,
                list(queues),
            )
            return bool(rows)
        counts = await self.counts()
        return any(counts[s] for s in UNFINISHED_STATES)
