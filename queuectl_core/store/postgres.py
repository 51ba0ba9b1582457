"""The fleet store: PostgreSQL through asyncpg, for workers on many hosts.

Same shape as the SQLite store: plumbing (pool, clock, error mapping) in ``postgres_base``,
producers' and operators' job operations in ``postgres_jobs``, the worker pool's in
``postgres_workers``, all SQL in ``postgres_sql`` and the schema in ``postgres_schema``. This
module adds opening, config, attempts and output, metrics and change detection.
"""

from __future__ import annotations

import hashlib

from queuectl_core.config import Config
from queuectl_core.models import Attempt, Metrics, Output
from queuectl_core.store import postgres_sql as sql
from queuectl_core.store.common import merged_config, parse_setting
from queuectl_core.store.metrics import build_metrics
from queuectl_core.store.postgres_base import Conn
from queuectl_core.store.postgres_insight import PgInsight
from queuectl_core.store.postgres_jobs import PgJobs
from queuectl_core.store.postgres_procs import PgProcs
from queuectl_core.store.postgres_queues import PgQueues
from queuectl_core.store.postgres_schedules import PgSchedules
from queuectl_core.store.postgres_workers import PgWorkers
from queuectl_core.store.rows import attempt_from_row


class PostgresStore(PgJobs, PgWorkers, PgProcs, PgSchedules, PgQueues, PgInsight):
    """``Store`` on a PostgreSQL database. Open with ``await PostgresStore.open(url)``."""

    # --- config -----------------------------------------------------------------------------
    async def set_config(self, key: str, value: str) -> Config:
        name, parsed = parse_setting(key, value)

        async def write(conn: Conn) -> Config:
            # Serialise config writers: the cross-key check must see the other keys' final values.
            await conn.execute(sql.LOCK, sql.CONFIG_LOCK)
            updated = merged_config(await self._config(conn), name, parsed)
            await conn.execute(sql.SET_CONFIG, name, str(parsed))
            return updated

        return await self._run(write)

    async def change_token(self) -> int:
        # The cluster's snapshot (xmin:xmax:in-progress xids) differs after every commit and
        # every new writer, and never returns to an earlier value; read-only work leaves it be.
        rows = await self._read(sql.SNAPSHOT)
        digest = hashlib.blake2b(str(rows[0][0]).encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big")

    async def metrics(self) -> Metrics:
        async def read(conn: Conn) -> Metrics:
            now = await self._db_now(conn)
            counts = {r[0]: int(r[1]) for r in await conn.fetch(sql.COUNTS)}
            durations = await conn.fetch(
                sql.RECENT_DURATIONS,
                now - 86400,
            )
            finished = await conn.fetch(
                sql.RECENT_FINISHES,
                now - 3600,
            )
            return build_metrics(counts, [r[0] for r in durations], [r[0] for r in finished], now)

        return await self._run(read, retry=True)

    # --- attempts and output ----------------------------------------------------------------
    async def attempts(self, job_id: str) -> list[Attempt]:
        rows = await self._read(
            sql.ATTEMPTS,
            job_id,
        )
        return [attempt_from_row(r) for r in rows]

    async def output(self, job_id: str, attempt: int | None = None) -> Output | None:
        rows = await self._read(sql.OUTPUT, job_id, attempt)
        if not rows:
            return None
        row = rows[0]
        return Output(job_id, row[0], row[2] or "", row[3] or "", row[1] is not None)
