"""SQLite store, process view: published samples, operator signals, Prometheus figures."""

from __future__ import annotations

from collections.abc import Sequence

from queuectl_core import wake
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
from queuectl_core.store import sqlite_procs_sql as procs_sql
from queuectl_core.store import sqlite_sql as sql
from queuectl_core.store.ahead import SQLITE_JOBS_AHEAD
from queuectl_core.store.common import checked_for_change
from queuectl_core.store.procrows import (
    SIGNAL_MEMORY,
    figures_from_rows,
    request_from_row,
    running_from_rows,
    samples_json,
    status_from_row,
)
from queuectl_core.store.rows import job_from_row
from queuectl_core.store.sqlite_base import Conn, SqliteBase, read_config


class SqliteProcs(SqliteBase):
    """Operations of the process view (``queuectl top``/``signal``) and of ``metrics``."""

    async def publish_processes(
        self, worker_id: str, samples: Sequence[ProcessSample]
    ) -> list[SignalRequest]:
        def write(conn: Conn) -> list[SignalRequest]:
            conn.execute(procs_sql.PUBLISH_PROCESSES, (samples_json(samples), worker_id))
            rows = conn.execute(procs_sql.OPEN_SIGNALS, (worker_id,)).fetchall()
            return [r for r in map(request_from_row, rows) if r is not None]

        return await self._tx(write)

    async def ack_signals(self, acks: Sequence[SignalAck]) -> None:
        if not acks:
            return

        def write(conn: Conn) -> None:
            now = self._clock()
            conn.executemany(procs_sql.ACK_SIGNAL, [(now, a.error, a.id) for a in acks])

        await self._tx(write)

    async def request_signal(self, job_id: str, signal: JobSignal) -> int:
        def write(conn: Conn) -> int:
            now = self._clock()
            row = conn.execute(sql.SELECT_JOB, (job_id,)).fetchone()
            found = {job_id: job_from_row(row)} if row else {}
            allowed = (JobState.PROCESSING,)
            job = checked_for_change([job_id], found, allowed, "signalled")[0]
            conn.execute(procs_sql.FORGET_SIGNALS, (now - SIGNAL_MEMORY,))
            request = conn.execute(procs_sql.INSERT_SIGNAL, (job.id, job.runs, signal.value, now))
            request_id = int(request.fetchone()[0])
            self._notify_local(conn, wake.CONTROL)
            return request_id

        return await self._tx(write)

    async def signal_status(self, request_id: int) -> SignalStatus:
        def read(conn: Conn) -> SignalStatus:
            return status_from_row(conn.execute(procs_sql.SIGNAL_STATUS, (request_id,)).fetchone())

        return await self._read(read)

    async def running_jobs(self) -> list[RunningJob]:
        def read(conn: Conn) -> list[RunningJob]:
            jobs = conn.execute(procs_sql.RUNNING_JOBS).fetchall()
            return running_from_rows(jobs, conn.execute(procs_sql.WORKER_SAMPLES).fetchall())

        return await self._read(read)

    async def figures(self) -> Figures:
        def read(conn: Conn) -> Figures:
            now = self._clock()
            horizon = now - read_config(conn).lease_timeout
            return figures_from_rows(
                now,
                conn.execute(procs_sql.QUEUE_STATE_COUNTS).fetchall(),
                conn.execute(procs_sql.OLDEST_DUE, (now,)).fetchall(),
                conn.execute(procs_sql.LIVE_WORKER_COUNT, (horizon,)).fetchone()[0],
                conn.execute(procs_sql.COUNTERS).fetchall(),
            )

        return await self._read(read)

    async def jobs_ahead(self, job_id: str) -> int:
        def read(conn: Conn) -> int:
            row = conn.execute(SQLITE_JOBS_AHEAD, {"id": job_id, "now": self._clock()}).fetchone()
            return int(row[0])

        return await self._read(read)
