"""PostgreSQL store, schedules: add, list, pause, remove, and firing them (one job per fire time).

As on SQLite, a fire is claimed by a compare-and-set on the schedule's ``next_run`` in the
transaction that inserts its job. Two workers claiming the same fire time: the second UPDATE
waits on the first's row lock, then re-checks ``next_run`` against the committed row, matches
nothing and inserts nothing. The job insert fires the jobs trigger that notifies idle workers.
"""

from __future__ import annotations

import json
from typing import Any

import asyncpg

from queuectl_core.ids import new_job_ids
from queuectl_core.models import Job
from queuectl_core.recurrence import first, following
from queuectl_core.schedule_model import (
    DuplicateSchedule,
    Schedule,
    ScheduleNotFound,
    ScheduleSpec,
    job_spec,
    resumed_at,
)
from queuectl_core.store import postgres_sql as sql
from queuectl_core.store.common import job_retries, job_timeout
from queuectl_core.store.postgres_base import Conn, PgBase
from queuectl_core.store.rows import job_from_row
from queuectl_core.store.schedrows import (
    INSERT_ORDER,
    SCHEDULE_COLUMNS,
    insert_values,
    rule_from,
    schedule_from_row,
)

SELECT_SCHEDULES = f"""
SELECT {SCHEDULE_COLUMNS}, j.state, j.exit_code, j.last_error
FROM schedules s LEFT JOIN jobs j ON j.id = s.last_job
"""
_MARKS = ", ".join(f"${n}" for n in range(1, 15)).replace("$7", "$7::jsonb")
INSERT_SCHEDULE = f"INSERT INTO schedules ({INSERT_ORDER}) VALUES ({_MARKS})"
DUE = "SELECT name, next_run FROM schedules WHERE NOT paused AND next_run <= $1 ORDER BY next_run"
NEXT_FIRE = "SELECT min(next_run) FROM schedules WHERE NOT paused"
CLAIM_FIRE = """
UPDATE schedules SET next_run = $1, last_run = $2, last_job = $3
WHERE name = $4 AND next_run = $5 AND NOT paused
"""
MARK_RUN = "UPDATE schedules SET last_run = $1, last_job = $2 WHERE name = $3"
SET_PAUSED = "UPDATE schedules SET paused = $1, next_run = $2 WHERE name = $3"
PAUSE_BROKEN = "UPDATE schedules SET paused = true WHERE name = $1 AND next_run = $2"
DELETE_SCHEDULE = "DELETE FROM schedules WHERE name = $1"
INSERT_FIRED = """
INSERT INTO jobs (id, command, state, queue, priority, max_retries, timeout, run_at,
                  created_at, updated_at, env, cwd, schedule)
VALUES ($1, $2, 'pending', $3, $4, $5, $6, $7, $8, $8, $9::jsonb, $10, $11)
"""


class PgSchedules(PgBase):
    """Schedule operations; each is one transaction."""

    async def add_schedule(self, spec: ScheduleSpec) -> Schedule:
        async def write(conn: Conn) -> Schedule:
            now = await self._db_now(conn)
            try:
                await conn.execute(
                    INSERT_SCHEDULE, *insert_values(spec, first(spec.rule, now), now)
                )
            except asyncpg.UniqueViolationError:
                raise DuplicateSchedule(f"schedule {spec.name!r} already exists") from None
            await conn.execute(sql.NOTIFY, sql.WORK_CHANNEL)  # firers re-read their next fire
            return await _load(conn, spec.name)

        return await self._run(write)

    async def list_schedules(self) -> list[Schedule]:
        rows = await self._read(SELECT_SCHEDULES + " ORDER BY s.name")
        return [schedule_from_row(r) for r in rows]

    async def get_schedule(self, name: str) -> Schedule | None:
        rows = await self._read(SELECT_SCHEDULES + " WHERE s.name = $1", name)
        return schedule_from_row(rows[0]) if rows else None

    async def pause_schedule(self, name: str, paused: bool) -> Schedule:
        """Pause, or resume with ``next_run`` recomputed from now (no burst of missed fires)."""

        async def write(conn: Conn) -> Schedule:
            current = await _load(conn, name, lock=True)
            next_run = current.next_run
            if not paused and (current.paused or next_run is None):
                next_run = resumed_at(current.spec, await self._db_now(conn))
            await conn.execute(SET_PAUSED, paused, next_run, name)
            await conn.execute(sql.NOTIFY, sql.WORK_CHANNEL)
            return await _load(conn, name)

        return await self._run(write)

    async def remove_schedule(self, name: str) -> None:
        if await self._execute(DELETE_SCHEDULE, name) == 0:
            raise ScheduleNotFound(f"no schedule named {name!r}")

    async def run_schedule(self, name: str) -> Job:
        """Fire once now, paused or not, leaving ``next_run`` where it is."""

        async def write(conn: Conn) -> Job:
            current = await _load(conn, name, lock=True)
            now = await self._db_now(conn)
            job = await self._insert_fired(conn, current.spec, now, now)
            await conn.execute(MARK_RUN, now, job.id, name)
            return job

        return await self._run(write)

    async def fire_schedule(self, name: str, due: float) -> Job | None:
        """Claim the fire time ``due`` of ``name``: its job, or None if it was not to be had
        (fired already by another worker, paused, removed, or not due yet)."""
        return await self._run(lambda conn: self._fire(conn, name, due))

    async def fire_due_schedules(self) -> list[Job]:
        rows = await self._read(DUE, self.now())
        fired = [await self.fire_schedule(r[0], r[1]) for r in rows]
        return [job for job in fired if job is not None]

    async def next_schedule_fire(self) -> float | None:
        rows = await self._read(NEXT_FIRE)
        value = rows[0][0] if rows else None
        return float(value) if isinstance(value, int | float) else None

    async def _fire(self, conn: Conn, name: str, due: float) -> Job | None:
        rows = await conn.fetch(SELECT_SCHEDULES + " WHERE s.name = $1", name)
        if not rows:
            return None
        current = schedule_from_row(rows[0])
        now = self.now()  # the clock fire_due_schedules found it due by
        if current.paused or rows[0][12] != due or due > now:
            return None
        try:
            next_run = following(rule_from(rows[0][8], rows[0][9], rows[0][10]), due, now)
        except ValueError as exc:  # a stored rule no queuectl wrote: stop it, do not spin
            _warn_paused(name, exc)
            await conn.execute(PAUSE_BROKEN, name, due)
            return None
        job_id = new_job_ids(1)[0]
        status: str = await conn.execute(CLAIM_FIRE, next_run, now, job_id, name, due)
        if status != "UPDATE 1":
            return None
        return await self._insert_fired(conn, current.spec, min(due, now), now, job_id)

    async def _insert_fired(
        self, conn: Conn, spec: ScheduleSpec, run_at: float, now: float, job_id: str = ""
    ) -> Job:
        """Insert the job of one fire (``run_at``: the fire time it stands for)."""
        config = await self._config(conn)
        job = job_spec(spec)
        job_id = job_id or new_job_ids(1)[0]
        env = _json(job.env)
        retries, timeout = job_retries(job, config), job_timeout(job, config)
        head = (job_id, job.command, job.queue, job.priority, retries, timeout)
        await conn.execute(INSERT_FIRED, *head, run_at, now, env, job.cwd, spec.name)
        row = await conn.fetchrow(sql.SELECT_JOB, job_id)
        return job_from_row(row)


def _json(env: dict[str, str]) -> str:
    return json.dumps(env) if env else "{}"


async def _load(conn: Any, name: str, *, lock: bool = False) -> Schedule:
    query = SELECT_SCHEDULES + " WHERE s.name = $1" + (" FOR UPDATE OF s" if lock else "")
    rows = await conn.fetch(query, name)
    if not rows:
        raise ScheduleNotFound(f"no schedule named {name!r}")
    return schedule_from_row(rows[0])


def _warn_paused(name: str, exc: Exception) -> None:
    # logging is imported here, not at the top: every CLI command loads this module (it is part
    # of the store class), and only a worker meeting a broken rule ever logs from it.
    import logging

    logging.getLogger("queuectl.schedules").warning("schedule %s paused: %s", name, exc)
