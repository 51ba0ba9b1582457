"""PostgreSQL store, queues (DESIGN §8): settings, listings and the retention sweep (the claim
under the queues' rules is in ``postgres_workers``/``postgres_sql``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence

from queuectl_core.models import JobState, QueueInfo
from queuectl_core.queues import build_queues, check_concurrency, check_queue_name
from queuectl_core.store import postgres_sql as sql
from queuectl_core.store.postgres_base import Conn, PgBase

PAUSED = "SELECT name FROM queues WHERE paused ORDER BY name"
SETTINGS = "SELECT name, paused, concurrency FROM queues WHERE $1::text IS NULL OR name = $1"
COUNTS = """
SELECT queue, state, count(*) FROM jobs WHERE $1::text IS NULL OR queue = $1 GROUP BY queue, state
"""
RECENT = """
SELECT queue, count(*) FROM jobs WHERE state = 'completed' AND finished_at > $1 GROUP BY queue
"""
SET_PAUSED = f"""
WITH {sql.T}, upserted AS (
    INSERT INTO queues (name, paused, concurrency, updated_at)
    SELECT name, $3, 0, t.now FROM t, unnest($2::text[]) AS name
    ON CONFLICT (name) DO UPDATE SET paused = excluded.paused, updated_at = excluded.updated_at
    RETURNING name
)
SELECT count(*) FROM upserted
"""
SET_CONCURRENCY = f"""
WITH {sql.T}
INSERT INTO queues (name, paused, concurrency, updated_at) SELECT $2, false, $3, t.now FROM t
ON CONFLICT (name) DO UPDATE SET concurrency = excluded.concurrency,
    updated_at = excluded.updated_at
"""
# Back to the defaults: no row, so the claim's fast path applies again.
FORGET_DEFAULTS = """
DELETE FROM queues WHERE name = ANY($1::text[]) AND NOT paused AND concurrency = 0
"""
# One batch over the states given as parallel arrays (state, cut-off); attempts and outputs go
# with their jobs (ON DELETE CASCADE). Rows another transaction holds are left for next time.
SWEEP = """
DELETE FROM jobs WHERE seq IN (
    SELECT j.seq FROM unnest($1::text[], $2::float8[]) AS x(state, cut)
    CROSS JOIN LATERAL (
        SELECT seq FROM jobs WHERE state = x.state AND finished_at < x.cut LIMIT $3
        FOR UPDATE SKIP LOCKED
    ) j
    LIMIT $3
)
"""


class PgQueues(PgBase):
    """Queue settings and listings, and deleting old finished jobs."""

    async def list_queues(self) -> list[QueueInfo]:
        return await self._run(lambda conn: self._queues(conn, None), retry=True)

    async def get_queue(self, name: str, *, counts: bool = True) -> QueueInfo:
        read = (lambda conn: self._queues(conn, name)) if counts else self._settings(name)
        return (await self._run(read, retry=True))[0]

    def _settings(self, name: str) -> Callable[[Conn], Awaitable[list[QueueInfo]]]:
        """Settings only: no scan of the queue's jobs."""

        async def read(conn: Conn) -> list[QueueInfo]:
            settings = [tuple(r) for r in await conn.fetch(SETTINGS, name)]
            return build_queues(settings, [], {}, only=name)

        return read

    async def _queues(self, conn: Conn, name: str | None) -> list[QueueInfo]:
        """One snapshot (REPEATABLE READ is not needed: counts and settings are advisory)."""
        now = await self._db_now(conn)
        recent = {r[0]: int(r[1]) for r in await conn.fetch(RECENT, now - 60)}
        counts = [tuple(r) for r in await conn.fetch(COUNTS, name)]
        settings = [tuple(r) for r in await conn.fetch(SETTINGS, name)]
        return build_queues(settings, counts, recent, only=name)

    async def paused_queues(self) -> list[str]:
        return [str(r[0]) for r in await self._read(PAUSED)]

    async def set_paused(self, names: Sequence[str], paused: bool) -> None:
        checked = [check_queue_name(name) for name in dict.fromkeys(names)]

        async def write(conn: Conn) -> None:
            await conn.execute(SET_PAUSED, self._now_param(), checked, paused)
            await conn.execute(FORGET_DEFAULTS, checked)
            if not paused:
                await conn.execute(sql.NOTIFY, sql.WORK_CHANNEL)

        await self._run(write)

    async def set_concurrency(self, name: str, limit: int) -> None:
        check_queue_name(name)
        check_concurrency(limit)

        async def write(conn: Conn) -> None:
            await conn.execute(SET_CONCURRENCY, self._now_param(), name, limit)
            await conn.execute(FORGET_DEFAULTS, [name])
            await conn.execute(sql.NOTIFY, sql.WORK_CHANNEL)

        await self._run(write)

    async def sweep_finished(self, older_than: Mapping[JobState, float], limit: int) -> int:
        async def write(conn: Conn) -> int:
            now = await self._db_now(conn)
            states = [str(state) for state in older_than]
            cuts = [now - age for age in older_than.values()]
            status: str = await conn.execute(SWEEP, states, cuts, limit)
            return int(status.rsplit(" ", 1)[-1])

        return await self._run(write)
