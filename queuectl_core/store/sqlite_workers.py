"""SQLite store, worker side: registration, heartbeats, claim, finish, release, recovery."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from queuectl_core import wake
from queuectl_core.lifecycle import Budget, OutcomeKind, decide, gone_error, kind_of, lost_error
from queuectl_core.models import (
    Finish,
    Heartbeat,
    Job,
    WorkerInfo,
)
from queuectl_core.store import sqlite_sql as sql
from queuectl_core.store import sqlite_worker_sql as wsql
from queuectl_core.store.rows import job_from_row, worker_from_row
from queuectl_core.store.sqlite_base import Conn, SqliteBase, read_config
from queuectl_core.store.sqlite_queues import pick_under_rules


class SqliteWorkers(SqliteBase):
    """Operations of the worker pool."""

    async def register_worker(self, info: WorkerInfo) -> None:
        def write(conn: Conn) -> None:
            now = self._clock()
            # Registering again (after a resize) keeps the start time and any stop request.
            conn.execute(
                sql.REGISTER_WORKER,
                (info.id, info.host, info.pid, info.slots, json.dumps(info.queues), now, now),
            )

        await self._tx(write)

    async def deregister_worker(self, worker_id: str) -> None:
        await self._tx(lambda conn: conn.execute(sql.DELETE_WORKER, (worker_id,)))

    async def list_workers(self, *, include_stale: bool = False) -> list[WorkerInfo]:
        def read(conn: Conn) -> list[WorkerInfo]:
            horizon = -1.0 if include_stale else self._clock() - read_config(conn).lease_timeout
            rows = conn.execute(
                sql.LIVE_WORKERS,
                (horizon,),
            )
            return [worker_from_row(r) for r in rows]

        return await self._read(read)

    async def request_stop(self) -> int:
        def write(conn: Conn) -> int:
            horizon = self._clock() - read_config(conn).lease_timeout
            count = conn.execute(sql.REQUEST_STOP, (horizon,)).rowcount
            self._notify_local(conn, wake.CONTROL)
            return count

        return await self._tx(write)

    async def heartbeat(
        self, worker_id: str, running: Sequence[tuple[str, int]], lease: float
    ) -> Heartbeat:
        def write(conn: Conn) -> Heartbeat:
            now = self._clock()
            row = conn.execute(
                sql.BEAT,
                (now, json.dumps([j for j, _ in running]), worker_id),
            ).fetchone()
            lost = set()
            for job_id, run in running:
                renewed = conn.execute(
                    sql.RENEW_LEASE,
                    (now + lease, job_id, worker_id, run),
                ).rowcount
                if not renewed:
                    lost.add(job_id)
            return Heartbeat(frozenset(lost), bool(row[0]) if row else False)

        return await self._tx(write)

    def _claimer(
        self, worker_id: str, queues: Sequence[str] | None, limit: int, lease: float
    ) -> Callable[[Conn], list[Job]]:
        params: dict[str, Any] = {"worker": worker_id, "limit": limit}
        queue_filter = ""
        if queues:
            names = [f":q{i}" for i in range(len(queues))]
            queue_filter = f"AND queue IN ({', '.join(names)})"
            params.update({f"q{i}": q for i, q in enumerate(queues)})
        statement = wsql.CLAIM.format(queue_filter=queue_filter)

        def claim(conn: Conn) -> list[Job]:
            now = self._clock()
            values = {**params, "now": now, "lease": now + lease}
            rules = conn.execute(wsql.QUEUE_RULES).fetchall()
            if queues:
                rules = [rule for rule in rules if rule[0] in queues]
            if rules:  # a queue is paused or limited: choose the rows under its rules first
                seqs = pick_under_rules(conn, rules, queues, limit, now)
                if not seqs:
                    return []
                values.update({f"s{i}": seq for i, seq in enumerate(seqs)})
                marks = ", ".join(f":s{i}" for i in range(len(seqs)))
                rows = conn.execute(wsql.CLAIM_PICKED.format(seqs=marks), values)
            else:
                rows = conn.execute(statement, values)
            jobs = [job_from_row(r) for r in rows.fetchall()]
            jobs.sort(key=lambda j: (-j.priority, j.created_at))
            return jobs

        return claim

    async def claim(
        self, worker_id: str, queues: Sequence[str] | None, limit: int, lease: float
    ) -> list[Job]:
        return await self._tx(self._claimer(worker_id, queues, limit, lease))

    async def save_output(self, items: Sequence[tuple[str, int, str, str]]) -> None:
        if items:
            await self._tx(lambda conn: conn.executemany(wsql.SAVE_LIVE_OUTPUT, items))

    def _finish(self, conn: Conn, finishes: Sequence[Finish]) -> list[bool]:
        if not finishes:
            return []
        if all(item.outcome.succeeded for item in finishes):
            return self._finish_ok(conn, finishes)
        config = read_config(conn)
        now = self._clock()
        owned = []
        for item in finishes:
            outcome = item.outcome
            params = {
                "id": item.job_id,
                "worker": item.worker_id,
                "run": item.run,
                "now": now,
                "exit_code": outcome.exit_code,
                "error": outcome.error,
            }
            row = conn.execute(wsql.OWNED_RUN, (item.job_id, item.worker_id, item.run))
            budget = row.fetchone()
            if budget is not None:
                fate = decide(Budget(*budget), kind_of(outcome), config, now)
                conn.execute(
                    wsql.FINISH_JOB, {**params, "state": fate.state, "run_at": fate.run_at}
                )
            conn.execute(wsql.FINISH_ATTEMPT, params)
            if outcome.stdout or outcome.stderr:
                conn.execute(
                    wsql.SAVE_OUTPUT, (item.job_id, item.run, outcome.stdout, outcome.stderr)
                )
            owned.append(budget is not None)
        return owned

    def _finish_ok(self, conn: Conn, finishes: Sequence[Finish]) -> list[bool]:
        """Successes need no budget or config: two statements for the whole batch.

        Each statement is a GIL release and re-acquire on the connection's thread, which waits
        while the event loop spawns; three per job made the transaction's latency, not its CPU,
        the limit on a busy pool.
        """
        now = self._clock()
        values = ", ".join(["(?, ?, ?)"] * len(finishes))
        keys = [v for item in finishes for v in (item.job_id, item.worker_id, item.run)]
        rows = conn.execute(wsql.FINISH_OK.format(values=values), [*keys, now, now]).fetchall()
        conn.execute(wsql.FINISH_OK_ATTEMPTS.format(values=values), [*keys, now])
        for item in finishes:
            if item.outcome.stdout or item.outcome.stderr:
                out = item.outcome
                conn.execute(wsql.SAVE_OUTPUT, (item.job_id, item.run, out.stdout, out.stderr))
        done = {row[0] for row in rows}
        return [item.job_id in done for item in finishes]

    async def finish(self, finishes: Sequence[Finish]) -> list[bool]:
        return await self._tx(lambda conn: self._finish(conn, finishes))

    async def finish_and_claim(
        self,
        finishes: Sequence[Finish],
        worker_id: str,
        queues: Sequence[str] | None,
        limit: int,
        lease: float,
    ) -> tuple[list[bool], list[Job]]:
        claim = self._claimer(worker_id, queues, limit, lease)

        def write(conn: Conn) -> tuple[list[bool], list[Job]]:
            owned = self._finish(conn, finishes)
            return owned, claim(conn) if limit > 0 else []

        return await self._tx(write)

    async def release(self, job_id: str, worker_id: str, run: int) -> bool:
        def write(conn: Conn) -> bool:
            now = self._clock()
            released = conn.execute(
                sql.RELEASE,
                (now, now, job_id, worker_id, run),
            ).rowcount
            if released:
                conn.execute(sql.DELETE_ATTEMPT, (job_id, run))
                conn.execute(sql.DELETE_OUTPUT, (job_id, run))
            return bool(released)

        return await self._tx(write)

    async def recover(self, dead_workers: Sequence[str] = ()) -> list[str]:
        def write(conn: Conn) -> list[str]:
            config = read_config(conn)
            now = self._clock()
            lost = lost_error(config.lease_timeout)
            found = [(*row, lost) for row in conn.execute(wsql.EXPIRED, (now,))]
            for worker_id in dead_workers:
                gone = gone_error(worker_id)
                found += [(*row, gone) for row in conn.execute(wsql.OWNED_BY, (worker_id,))]
                conn.execute(sql.DELETE_WORKER, (worker_id,))
            recovered = []
            for job_id, run, attempts, retries, error in found:
                fate = decide(Budget(attempts, retries), OutcomeKind.LEASE_LOST, config, now)
                conn.execute(
                    wsql.RECOVER_JOB, (fate.state, fate.run_at, now, now, error, job_id, run)
                )
                conn.execute(wsql.CLOSE_ATTEMPT, (now, error, job_id, run))
                recovered.append(job_id)
            # Rows of workers that vanished long ago only clutter the workers pane.
            conn.execute(sql.DROP_SILENT_WORKERS, (now - 10 * config.lease_timeout,))
            if recovered:
                self._notify_local(conn, wake.WORK)
            return recovered

        return await self._tx(write)

    async def next_due(self, queues: Sequence[str] | None) -> float | None:
        in_queues = f" AND queue IN ({', '.join('?' * len(queues))})" if queues else ""
        params: list[Any] = list(queues or ())

        def read(conn: Conn) -> float | None:
            if conn.execute(wsql.QUEUE_RULES).fetchone():
                query, values = sql.NEXT_DUE_LATER + in_queues, [self._clock(), *params]
            else:
                query, values = sql.NEXT_DUE + in_queues, params
            value = conn.execute(query, values).fetchone()[0]
            return None if value is None else float(value)

        return await self._read(read)
