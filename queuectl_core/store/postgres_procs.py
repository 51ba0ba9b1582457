"""PostgreSQL store, process view: published samples, operator signals, Prometheus figures."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from queuectl_core.models import JobState
from queuectl_core.processes import (
    Figures,
    JobSignal,
    ProcessSample,
    RunningJob,
    SignalAck,
    SignalRequest,
    SignalStatus,
)
from queuectl_core.store import postgres_procs_sql as procs_sql
from queuectl_core.store import postgres_sql as sql
from queuectl_core.store.ahead import POSTGRES_JOBS_AHEAD
from queuectl_core.store.common import checked_for_change
from queuectl_core.store.postgres_base import Conn, PgBase
from queuectl_core.store.procrows import (
    SIGNAL_MEMORY,
    figures_from_rows,
    request_from_row,
    running_from_rows,
    samples_json,
    status_from_row,
)
from queuectl_core.store.rows import job_from_row


class PgProcs(PgBase):
    """Operations of the process view (``queuectl top``/``signal``) and of ``metrics``."""

    async def publish_processes(
        self, worker_id: str, samples: Sequence[ProcessSample]
    ) -> list[SignalRequest]:
        async def write(conn: Conn) -> list[Any]:
            return list(
                await conn.fetch(procs_sql.PUBLISH_PROCESSES, worker_id, samples_json(samples))
            )

        rows = await self._run(write, tx=False)
        return [r for r in map(request_from_row, rows) if r is not None]

    async def ack_signals(self, acks: Sequence[SignalAck]) -> None:
        if acks:
            ids, errors = [a.id for a in acks], [a.error for a in acks]
            await self._execute(procs_sql.ACK_SIGNALS, self._now_param(), ids, errors)

    async def request_signal(self, job_id: str, signal: JobSignal) -> int:
        async def write(conn: Conn) -> int:
            now = await self._db_now(conn)
            row = await conn.fetchrow(sql.SELECT_JOB + " FOR UPDATE", job_id)
            found = {job_id: job_from_row(row)} if row else {}
            job = checked_for_change([job_id], found, (JobState.PROCESSING,), "signalled")[0]
            await conn.execute(procs_sql.FORGET_SIGNALS, now - SIGNAL_MEMORY)
            request_id = await conn.fetchval(
                procs_sql.INSERT_SIGNAL, job.id, job.runs, signal.value, now
            )
            await conn.execute(sql.NOTIFY, sql.CONTROL_CHANNEL)
            return int(request_id)

        return await self._run(write)

    async def signal_status(self, request_id: int) -> SignalStatus:
        rows = await self._read(procs_sql.SIGNAL_STATUS, request_id)
        return status_from_row(rows[0] if rows else None)

    async def running_jobs(self) -> list[RunningJob]:
        async def read(conn: Conn) -> list[RunningJob]:
            # One snapshot: the jobs and the samples their workers published.
            async with conn.transaction(isolation="repeatable_read", readonly=True):
                jobs = await conn.fetch(procs_sql.RUNNING_JOBS)
                return running_from_rows(jobs, await conn.fetch(procs_sql.WORKER_SAMPLES))

        return await self._run(read, tx=False, retry=True)

    async def figures(self) -> Figures:
        async def fold(conn: Conn) -> None:
            if await conn.fetchval(sql.TRY_LOCK, procs_sql.COUNTERS_LOCK):
                await conn.execute(procs_sql.FOLD_COUNTERS)

        await self._run(fold)

        async def read(conn: Conn) -> Figures:
            now = await self._db_now(conn)
            horizon = now - (await self._config(conn)).lease_timeout
            return figures_from_rows(
                now,
                await conn.fetch(procs_sql.QUEUE_STATE_COUNTS),
                await conn.fetch(procs_sql.OLDEST_DUE, now),
                await conn.fetchval(procs_sql.LIVE_WORKER_COUNT, horizon),
                await conn.fetch(procs_sql.COUNTERS),
            )

        return await self._run(read, retry=True)

    async def jobs_ahead(self, job_id: str) -> int:
        now = self._clock() if self._clock is not None else None
        return int((await self._read(POSTGRES_JOBS_AHEAD, job_id, now))[0][0])
