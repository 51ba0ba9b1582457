"""The job lifecycle on PostgreSQL: enqueue, claim, finish, release, recover, operator changes."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, NoReturn

import asyncpg

from queuectl_core.errors import DuplicateJob, InvalidState, JobNotFound
from queuectl_core.ids import new_job_id
from queuectl_core.lifecycle import (
    CANCELLABLE_STATES,
    RETRYABLE_STATES,
    Budget,
    OutcomeKind,
    Transition,
    decide,
    gone_error,
    kind_of,
    lost_error,
    refusal,
)
from queuectl_core.models import Finish, Job, JobSort, JobSpec, JobState
from queuectl_core.store import postgres_sql as sql
from queuectl_core.store.postgres_base import Conn, PgBase
from queuectl_core.store.rows import duplicate_message, job_filters, job_from_row, job_order

#: What a fenced result would apply (nothing: its job is not processing under this run).
NOT_OWNED = Transition(JobState.PROCESSING)


def pg_mark(n: int) -> str:
    return f"${n}"


class JobOps(PgBase):
    """Job operations; each is one transaction, most of them one statement."""

    async def enqueue(self, specs: Sequence[JobSpec]) -> list[Job]:
        if not specs:
            return []
        config = await self.get_config()
        ids = [spec.id or new_job_id() for spec in specs]
        if len(set(ids)) < len(ids):
            await self._raise_duplicate(ids)
        columns: list[list[Any]] = [ids, [], [], [], [], [], [], [], [], []]
        for spec in specs:
            timeout = spec.timeout if spec.timeout_given else (config.default_timeout or None)
            retries = config.max_retries if spec.max_retries is None else spec.max_retries
            values = (spec.command, spec.queue, spec.priority, retries, timeout, spec.run_at)
            for column, value in zip(
                columns[1:], (*values, json.dumps(spec.env), spec.cwd, spec.delay), strict=True
            ):
                column.append(value)

        async def write(conn: Conn) -> list[Any]:
            return list(await conn.fetch(sql.INSERT_JOBS, self._now_param(), *columns))

        try:
            rows = await self._run(write, tx=False)
        except asyncpg.UniqueViolationError:
            await self._raise_duplicate(ids)
            raise
        by_id = {job.id: job for job in map(job_from_row, rows)}
        return [by_id[job_id] for job_id in ids]

    async def _raise_duplicate(self, ids: Sequence[str]) -> NoReturn:
        rows = await self._read("SELECT id FROM jobs WHERE id = ANY($1::text[])", list(ids))
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
    ) -> list[Job]:
        where, params = job_filters(state, queue, search, pg_mark)
        order = job_order(sort, newest_first)
        n = len(params)
        query = f"SELECT {sql.JOB_COLUMNS} FROM jobs{where}{order} LIMIT ${n + 1} OFFSET ${n + 2}"
        rows = await self._read(query, *params, limit, offset)
        return [job_from_row(r) for r in rows]

    async def _load_for_change(
        self, conn: Conn, job_ids: Sequence[str], allowed: Sequence[JobState], verb: str
    ) -> list[Job]:
        """Lock the jobs (in id order, so concurrent changes cannot deadlock) and check them."""
        wanted = list(dict.fromkeys(job_ids))
        rows = await conn.fetch(
            f"SELECT {sql.JOB_COLUMNS} FROM jobs WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE",
            wanted,
        )
        found = {job.id: job for job in map(job_from_row, rows)}
        for job_id in wanted:
            job = found.get(job_id)
            if job is None:
                raise JobNotFound(f"no job with id {job_id!r}")
            if job.state not in allowed:
                raise InvalidState(refusal(job_id, job.state, allowed, verb))
        return [found[job_id] for job_id in wanted]

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
                await conn.execute(sql.CLOSE_ATTEMPTS, now, "cancelled", ids, runs)
                await conn.execute("SELECT pg_notify($1, '')", sql.CONTROL_CHANNEL)
            return changed

        return await self._run(write)

    async def retry(self, job_ids: Sequence[str], *, dead_only: bool = False) -> list[Job]:
        allowed = (JobState.DEAD,) if dead_only else RETRYABLE_STATES

        async def write(conn: Conn) -> list[Job]:
            jobs = await self._load_for_change(conn, job_ids, allowed, "retried")
            return await self._change(conn, sql.RETRY, await self._db_now(conn), jobs)

        return await self._run(write)

    async def retry_all_dead(self) -> int:
        return await self._execute(sql.RETRY_ALL_DEAD, self._now_param())

    async def purge(self, states: Sequence[JobState], finished_before: float) -> int:
        return await self._execute(
            "DELETE FROM jobs WHERE state = ANY($1::text[]) "
            "AND coalesce(finished_at, updated_at) < $2",
            [str(s) for s in states],
            finished_before,
        )

    # --- workers' side ----------------------------------------------------------------------
    async def claim(
        self, worker_id: str, queues: Sequence[str] | None, limit: int, lease: float
    ) -> list[Job]:
        async def write(conn: Conn) -> list[Job]:
            return await self._claim(conn, worker_id, queues, limit, lease)

        return await self._run(write, tx=False)

    async def _claim(
        self, conn: Conn, worker_id: str, queues: Sequence[str] | None, limit: int, lease: float
    ) -> list[Job]:
        names = list(queues) if queues else None
        rows = await conn.fetch(sql.CLAIM, self._now_param(), worker_id, limit, names, lease)
        return [job_from_row(r) for r in rows]

    async def finish(self, finishes: Sequence[Finish]) -> list[bool]:
        async def write(conn: Conn) -> list[bool]:
            return await self._finish(conn, finishes)

        return await self._run(write)

    async def finish_and_claim(
        self,
        finishes: Sequence[Finish],
        worker_id: str,
        queues: Sequence[str] | None,
        limit: int,
        lease: float,
    ) -> tuple[list[bool], list[Job]]:
        if not finishes:  # the idle worker's wake-up: one statement, one round trip
            return [], (await self.claim(worker_id, queues, limit, lease) if limit > 0 else [])
        if all(item.outcome.succeeded for item in finishes):
            return await self._finish_ok_and_claim(finishes, worker_id, queues, limit, lease)

        async def write(conn: Conn) -> tuple[list[bool], list[Job]]:
            owned = await self._finish(conn, finishes)
            jobs = await self._claim(conn, worker_id, queues, limit, lease) if limit > 0 else []
            return owned, jobs

        return await self._run(write)

    async def _finish_ok_and_claim(
        self,
        finishes: Sequence[Finish],
        worker_id: str,
        queues: Sequence[str] | None,
        limit: int,
        lease: float,
    ) -> tuple[list[bool], list[Job]]:
        """Successes need no backoff, hence no config: finish and claim in one statement."""
        names = list(queues) if queues else None
        columns = [
            [f.job_id for f in finishes],
            [f.worker_id for f in finishes],
            [f.attempt for f in finishes],
            [f.outcome.exit_code for f in finishes],
            [f.outcome.stdout for f in finishes],
            [f.outcome.stderr for f in finishes],
        ]
        args = (self._now_param(), worker_id, limit, names, lease, *columns)

        async def write(conn: Conn) -> list[Any]:
            return list(await conn.fetch(sql.FINISH_OK_AND_CLAIM, *args))

        rows = await self._run(write, tx=False)
        recorded = set(rows[0][0] or ())
        jobs = [job_from_row(row[1:]) for row in rows if row[1] is not None]
        return [f.job_id in recorded for f in finishes], jobs

    async def _finish(self, conn: Conn, finishes: Sequence[Finish]) -> list[bool]:
        if not finishes:
            return []
        config = await self._config(conn)
        ids, workers = [f.job_id for f in finishes], [f.worker_id for f in finishes]
        runs = [f.attempt for f in finishes]
        rows = await conn.fetch(sql.OWNED_RUNS, self._now_param(), ids, workers, runs)
        budgets = {row[0]: (Budget(row[1], row[2]), row[3]) for row in rows}
        owned = []
        for item in finishes:
            outcome = item.outcome
            # A fenced result changes no job (the statement's fence holds) but still closes
            # its attempt record and keeps its output.
            fate = NOT_OWNED
            if item.job_id in budgets:
                budget, now = budgets[item.job_id]
                fate = decide(budget, kind_of(outcome), config, now)
            count = await conn.fetchval(
                sql.FINISH,
                self._now_param(),
                item.job_id,
                item.worker_id,
                item.attempt,
                str(fate.state),
                outcome.exit_code,
                outcome.error,
                fate.run_at,
                outcome.stdout,
                outcome.stderr,
            )
            owned.append(bool(count))
        return owned

    async def release(self, job_id: str, worker_id: str, run: int) -> bool:
        async def write(conn: Conn) -> bool:
            count = await conn.fetchval(sql.RELEASE, self._now_param(), job_id, worker_id, run)
            return bool(count)

        return await self._run(write, tx=False)

    async def recover(self, dead_workers: Sequence[str] = ()) -> list[str]:
        async def write(conn: Conn) -> list[str]:
            config = await self._config(conn)
            now = await self._db_now(conn)
            lost = lost_error(config.lease_timeout)
            found: dict[str, tuple[int, Budget, str]] = {}
            for row in await conn.fetch(sql.EXPIRED, now):
                found[row[0]] = (row[1], Budget(row[2], row[3]), lost)
            if dead_workers:
                for row in await conn.fetch(sql.OWNED_BY, list(dead_workers)):
                    gone = gone_error(row[4])
                    found.setdefault(row[0], (row[1], Budget(row[2], row[3]), gone))
                await conn.execute(
                    "DELETE FROM workers WHERE id = ANY($1::text[])", list(dead_workers)
                )
            recovered: list[str] = []
            if found:
                ids = list(found)
                runs = [found[i][0] for i in ids]
                fates = [decide(found[i][1], OutcomeKind.LEASE_LOST, config, now) for i in ids]
                states = [str(fate.state) for fate in fates]
                run_at = [fate.run_at for fate in fates]
                errors = [found[i][2] for i in ids]
                rows = await conn.fetch(sql.RECOVER, now, ids, runs, states, run_at, errors)
                recovered = [r[0] for r in rows]
            # Rows of workers that vanished long ago only clutter the workers pane.
            await conn.execute(
                "DELETE FROM workers WHERE heartbeat_at < $1", now - 10 * config.lease_timeout
            )
            return recovered

        recovered = await self._run(write)
        await self._fold_counts()
        return recovered

    async def next_due(self, queues: Sequence[str] | None) -> float | None:
        rows = await self._read(
            "SELECT min(run_at) FROM jobs WHERE state IN ('pending', 'failed') "
            "AND ($1::text[] IS NULL OR queue = ANY($1::text[]))",
            list(queues) if queues else None,
        )
        value = rows[0][0]
        return None if value is None else float(value)
