"""The PostgreSQL store, worker side: registration, heartbeats, claim, finish, release, recovery."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from queuectl_core.lifecycle import (
    Budget,
    OutcomeKind,
    Transition,
    decide,
    gone_error,
    kind_of,
    lost_error,
)
from queuectl_core.models import Finish, Heartbeat, Job, JobState, WorkerInfo
from queuectl_core.store import postgres_sql as sql
from queuectl_core.store import postgres_worker_sql as wsql
from queuectl_core.store.postgres_base import Conn, PgBase
from queuectl_core.store.rows import job_from_row, worker_from_row

#: What a fenced result would apply (nothing: its job is not processing under this run).
NOT_OWNED = Transition(JobState.PROCESSING)


class PgWorkers(PgBase):
    """Operations of the worker pool; each is one transaction, most of them one statement."""

    async def save_output(self, items: Sequence[tuple[str, int, str, str]]) -> None:
        if items:
            columns = [list(c) for c in zip(*items, strict=True)]
            await self._execute(wsql.SAVE_OUTPUT, *columns)

    # --- workers ----------------------------------------------------------------------------
    async def register_worker(self, info: WorkerInfo) -> None:
        queues = json.dumps(list(info.queues))
        await self._execute(
            sql.REGISTER_WORKER, self._now_param(), info.id, info.host, info.pid, info.slots, queues
        )

    async def deregister_worker(self, worker_id: str) -> None:
        await self._execute(sql.DELETE_WORKER, worker_id)

    async def list_workers(self, *, include_stale: bool = False) -> list[WorkerInfo]:
        async def read(conn: Conn) -> list[Any]:
            horizon = -1.0
            if not include_stale:
                horizon = await self._db_now(conn) - (await self._config(conn)).lease_timeout
            return list(
                await conn.fetch(
                    sql.LIVE_WORKERS,
                    horizon,
                )
            )

        return [worker_from_row(r) for r in await self._run(read, retry=True)]

    async def request_stop(self) -> int:
        async def write(conn: Conn) -> int:
            horizon = await self._db_now(conn) - (await self._config(conn)).lease_timeout
            status: str = await conn.execute(sql.REQUEST_STOP, horizon)
            await conn.execute(sql.NOTIFY, sql.CONTROL_CHANNEL)
            return int(status.rsplit(" ", 1)[-1])

        return await self._run(write)

    async def heartbeat(
        self, worker_id: str, running: Sequence[tuple[str, int]], lease: float
    ) -> Heartbeat:
        ids = [job_id for job_id, _ in running]
        runs = [run for _, run in running]

        async def write(conn: Conn) -> Any:
            return await conn.fetchrow(
                wsql.HEARTBEAT, self._now_param(), worker_id, json.dumps(ids), lease, ids, runs
            )

        row = await self._run(write, tx=False)
        renewed = set(zip(row[1] or (), row[2] or (), strict=True))
        lost = {job_id for job_id, run in running if (job_id, run) not in renewed}
        return Heartbeat(frozenset(lost), bool(row[0]))

    # --- workers' side ----------------------------------------------------------------------
    async def claim(
        self, worker_id: str, queues: Sequence[str] | None, limit: int, lease: float
    ) -> list[Job]:
        async def write(conn: Conn) -> tuple[int, list[Job]]:
            return await self._claim_fast(conn, worker_id, queues, limit, lease)

        rules, jobs = await self._run(write, tx=False)
        if rules:
            return await self._ruled_claim(rules, worker_id, queues, limit, lease)
        return jobs

    async def _claim(
        self, conn: Conn, worker_id: str, queues: Sequence[str] | None, limit: int, lease: float
    ) -> list[Job]:
        """The claim inside a transaction the caller opened."""
        rules, jobs = await self._claim_fast(conn, worker_id, queues, limit, lease)
        if rules:
            return await self._claim_ruled(conn, rules, worker_id, queues, limit, lease)
        return jobs

    async def _claim_fast(
        self, conn: Conn, worker_id: str, queues: Sequence[str] | None, limit: int, lease: float
    ) -> tuple[int, list[Job]]:
        """The lock-free claim; nothing, and the gate (1 paused, 2 limited), when a rule applies."""
        names = list(queues) if queues else None
        rows = await conn.fetch(wsql.CLAIM, self._now_param(), worker_id, limit, names, lease)
        return int(rows[0][0]), [job_from_row(r[1:]) for r in rows if r[1] is not None]

    async def _ruled_claim(
        self, rules: int, worker_id: str, queues: Sequence[str] | None, limit: int, lease: float
    ) -> list[Job]:
        async def write(conn: Conn) -> list[Job]:
            return await self._claim_ruled(conn, rules, worker_id, queues, limit, lease)

        return await self._run(write)

    async def _claim_ruled(
        self,
        conn: Conn,
        rules: int,
        worker_id: str,
        queues: Sequence[str] | None,
        limit: int,
        lease: float,
    ) -> list[Job]:
        """``wsql.CLAIM_RULED`` in the caller's transaction, under LIMITS_LOCK when a queue is
        limited. One round trip first sets the planner up (see ``wsql.RULED_PLAN``)."""
        await conn.execute(wsql.RULED_PLAN_LOCKED if rules == 2 else wsql.RULED_PLAN)
        names = list(queues) if queues else None
        args = (self._now_param(), worker_id, limit, names, lease)
        return [job_from_row(r) for r in await conn.fetch(wsql.CLAIM_RULED, *args)]

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
            [f.run for f in finishes],
            [f.outcome.exit_code for f in finishes],
            [f.outcome.stdout for f in finishes],
            [f.outcome.stderr for f in finishes],
        ]
        args = (self._now_param(), worker_id, limit, names, lease, *columns)

        async def write(conn: Conn) -> list[Any]:
            return list(await conn.fetch(wsql.FINISH_OK_AND_CLAIM, *args))

        rows = await self._run(write, tx=False)
        recorded = set(rows[0][0] or ())
        jobs = [job_from_row(row[2:]) for row in rows if row[2] is not None]
        if rows[0][1] and limit > 0:  # a rule applies: the results are in, claim under it
            jobs = await self._ruled_claim(int(rows[0][1]), worker_id, queues, limit, lease)
        return [f.job_id in recorded for f in finishes], jobs

    async def _finish(self, conn: Conn, finishes: Sequence[Finish]) -> list[bool]:
        if not finishes:
            return []
        config = await self._config(conn)
        ids, workers = [f.job_id for f in finishes], [f.worker_id for f in finishes]
        runs = [f.run for f in finishes]
        rows = await conn.fetch(wsql.OWNED_RUNS, self._now_param(), ids, workers, runs)
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
                wsql.FINISH,
                self._now_param(),
                item.job_id,
                item.worker_id,
                item.run,
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
            count = await conn.fetchval(wsql.RELEASE, self._now_param(), job_id, worker_id, run)
            return bool(count)

        return await self._run(write, tx=False)

    async def recover(self, dead_workers: Sequence[str] = ()) -> list[str]:
        async def write(conn: Conn) -> list[str]:
            config = await self._config(conn)
            now = await self._db_now(conn)
            lost = lost_error(config.lease_timeout)
            found: dict[str, tuple[int, Budget, str]] = {}
            for row in await conn.fetch(wsql.EXPIRED, now):
                found[row[0]] = (row[1], Budget(row[2], row[3]), lost)
            if dead_workers:
                for row in await conn.fetch(wsql.OWNED_BY, list(dead_workers)):
                    gone = gone_error(row[4])
                    found.setdefault(row[0], (row[1], Budget(row[2], row[3]), gone))
                await conn.execute(sql.DELETE_WORKERS, list(dead_workers))
            recovered: list[str] = []
            if found:
                ids = list(found)
                runs = [found[i][0] for i in ids]
                fates = [decide(found[i][1], OutcomeKind.LEASE_LOST, config, now) for i in ids]
                states = [str(fate.state) for fate in fates]
                run_at = [fate.run_at for fate in fates]
                errors = [found[i][2] for i in ids]
                rows = await conn.fetch(wsql.RECOVER, now, ids, runs, states, run_at, errors)
                recovered = [r[0] for r in rows]
            # Rows of workers that vanished long ago only clutter the workers pane.
            await conn.execute(sql.DROP_SILENT_WORKERS, now - 10 * config.lease_timeout)
            return recovered

        recovered = await self._run(write)
        await self._fold_counts()
        return recovered

    async def next_due(self, queues: Sequence[str] | None) -> float | None:
        names = list(queues) if queues else None

        async def read(conn: Conn) -> Any:
            if await conn.fetchval(sql.ANY_RULES):
                return await conn.fetchval(sql.NEXT_DUE_LATER, names, await self._db_now(conn))
            return await conn.fetchval(sql.NEXT_DUE, names)

        value = await self._run(read, tx=False, retry=True)
        return None if value is None else float(value)
