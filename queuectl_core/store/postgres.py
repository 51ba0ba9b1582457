"""The fleet store: PostgreSQL through asyncpg, for workers on many hosts.

Plumbing (pool, clock, error mapping) is in ``postgres_base``, the job lifecycle in
``postgres_jobs``, SQL in ``postgres_sql`` and the schema in ``postgres_schema``. This module adds
config, counts, change detection, output, workers and wake-ups.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from queuectl_core.config import Config, check_combination, normalize_key, parse_value
from queuectl_core.models import Attempt, Heartbeat, JobState, Metrics, Output, WorkerInfo
from queuectl_core.store import postgres_sql as sql
from queuectl_core.store.metrics import build_metrics
from queuectl_core.store.postgres_base import FOLD_THRESHOLD, Conn
from queuectl_core.store.postgres_jobs import JobOps, pg_mark
from queuectl_core.store.rows import attempt_from_row, job_filters, worker_from_row


class PostgresStore(JobOps):
    """``Store`` on a PostgreSQL database. Open with ``await PostgresStore.open(url)``."""

    # --- config -----------------------------------------------------------------------------
    async def set_config(self, key: str, value: str) -> Config:
        spec = normalize_key(key)
        parsed = parse_value(spec, value)

        async def write(conn: Conn) -> Config:
            # Serialise config writers: the cross-key check must see the other keys' final values.
            await conn.execute("SELECT pg_advisory_xact_lock($1)", sql.CONFIG_LOCK)
            rows = await conn.fetch("SELECT key, value FROM config")
            current = Config.from_raw({r[0]: r[1] for r in rows})
            values = {name: getattr(current, name) for name in current.__slots__}
            updated = Config(**{**values, spec.name: parsed})
            check_combination(updated)
            await conn.execute(
                "INSERT INTO config (key, value) VALUES ($1, $2) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                spec.name,
                str(parsed),
            )
            return updated

        return await self._run(write)

    # --- counts and change detection --------------------------------------------------------
    async def counts(self) -> dict[JobState, int]:
        rows = await self._read(sql.COUNTS)
        if sum(r[2] for r in rows) > FOLD_THRESHOLD:
            await self._fold_counts()
        found = {r[0]: int(r[1]) for r in rows}
        return {state: found.get(str(state), 0) for state in JobState}

    async def count_jobs(
        self, *, state: JobState | None = None, queue: str | None = None, search: str | None = None
    ) -> int:
        if queue is None and not search:
            counts = await self.counts()
            return counts[state] if state is not None else sum(counts.values())
        where, params = job_filters(state, queue, search, pg_mark)
        rows = await self._read(f"SELECT count(*) FROM jobs{where}", *params)
        return int(rows[0][0])

    async def has_unfinished(self, queues: Sequence[str] | None = None) -> bool:
        if queues:
            rows = await self._read(
                "SELECT 1 FROM jobs WHERE state IN ('pending', 'failed', 'processing') "
                "AND queue = ANY($1::text[]) LIMIT 1",
                list(queues),
            )
            return bool(rows)
        counts = await self.counts()
        return any(counts[s] for s in (JobState.PENDING, JobState.FAILED, JobState.PROCESSING))

    async def change_token(self) -> int:
        # The cluster's snapshot (xmin:xmax:in-progress xids) differs after every commit and
        # every new writer, and never returns to an earlier value; read-only work leaves it be.
        rows = await self._read("SELECT pg_current_snapshot()::text")
        digest = hashlib.blake2b(str(rows[0][0]).encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big")

    async def metrics(self) -> Metrics:
        async def read(conn: Conn) -> Metrics:
            now = await self._db_now(conn)
            counts = {r[0]: int(r[1]) for r in await conn.fetch(sql.COUNTS)}
            durations = await conn.fetch(
                "SELECT finished_at - started_at FROM jobs WHERE state = 'completed' "
                "AND finished_at > $1 ORDER BY finished_at DESC LIMIT 10000",
                now - 86400,
            )
            finished = await conn.fetch(
                "SELECT finished_at FROM jobs WHERE state = 'completed' AND finished_at > $1",
                now - 3600,
            )
            return build_metrics(counts, [r[0] for r in durations], [r[0] for r in finished], now)

        return await self._run(read, retry=True)

    # --- attempts and output ----------------------------------------------------------------
    async def attempts(self, job_id: str) -> list[Attempt]:
        rows = await self._read(
            "SELECT job_id, attempt, worker_id, started_at, finished_at, exit_code, error "
            "FROM attempts WHERE job_id = $1 ORDER BY attempt",
            job_id,
        )
        return [attempt_from_row(r) for r in rows]

    async def output(self, job_id: str, attempt: int | None = None) -> Output | None:
        rows = await self._read(sql.OUTPUT, job_id, attempt)
        if not rows:
            return None
        row = rows[0]
        return Output(job_id, row[0], row[2] or "", row[3] or "", row[1] is not None)

    async def save_output(self, items: Sequence[tuple[str, int, str, str]]) -> None:
        if items:
            columns = [list(c) for c in zip(*items, strict=True)]
            await self._execute(sql.SAVE_OUTPUT, *columns)

    # --- workers ----------------------------------------------------------------------------
    async def register_worker(self, info: WorkerInfo) -> None:
        queues = json.dumps(list(info.queues))
        await self._execute(
            sql.REGISTER_WORKER, self._now_param(), info.id, info.host, info.pid, info.slots, queues
        )

    async def deregister_worker(self, worker_id: str) -> None:
        await self._execute("DELETE FROM workers WHERE id = $1", worker_id)

    async def list_workers(self, *, include_stale: bool = False) -> list[WorkerInfo]:
        async def read(conn: Conn) -> list[Any]:
            horizon = -1.0
            if not include_stale:
                horizon = await self._db_now(conn) - (await self._config(conn)).lease_timeout
            return list(
                await conn.fetch(
                    f"SELECT {sql.WORKER_COLUMNS} FROM workers WHERE heartbeat_at > $1 "
                    "ORDER BY started_at",
                    horizon,
                )
            )

        return [worker_from_row(r) for r in await self._run(read, retry=True)]

    async def request_stop(self) -> int:
        async def write(conn: Conn) -> int:
            horizon = await self._db_now(conn) - (await self._config(conn)).lease_timeout
            status: str = await conn.execute(
                "UPDATE workers SET stop_requested = true WHERE heartbeat_at > $1", horizon
            )
            await conn.execute("SELECT pg_notify($1, '')", sql.CONTROL_CHANNEL)
            return int(status.rsplit(" ", 1)[-1])

        return await self._run(write)

    async def heartbeat(
        self, worker_id: str, running: Sequence[tuple[str, int]], lease: float
    ) -> Heartbeat:
        ids = [job_id for job_id, _ in running]
        runs = [run for _, run in running]

        async def write(conn: Conn) -> Any:
            return await conn.fetchrow(
                sql.HEARTBEAT, self._now_param(), worker_id, json.dumps(ids), lease, ids, runs
            )

        row = await self._run(write, tx=False)
        renewed = set(zip(row[1] or (), row[2] or (), strict=True))
        lost = {job_id for job_id, run in running if (job_id, run) not in renewed}
        return Heartbeat(frozenset(lost), bool(row[0]))
