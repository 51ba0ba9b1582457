"""SQLite store, schedules: add, list, pause, remove, and firing them (one job per fire time).

A fire is claimed by a compare-and-set on the schedule's ``next_run`` in the transaction that
inserts its job: of any number of workers that saw the same due fire time, exactly one moves
``next_run`` on (and inserts the job); the others change nothing.
"""

from __future__ import annotations

import json
import sqlite3

from queuectl_core import wake
from queuectl_core.ids import new_job_ids
from queuectl_core.models import Job
from queuectl_core.recurrence import Rule, first, following
from queuectl_core.schedule_model import (
    DuplicateSchedule,
    Schedule,
    ScheduleNotFound,
    ScheduleSpec,
    job_spec,
    resumed_at,
)
from queuectl_core.store import sqlite_sql as sql
from queuectl_core.store.common import job_retries, job_timeout
from queuectl_core.store.rows import job_from_row
from queuectl_core.store.schedrows import (
    INSERT_ORDER,
    SCHEDULE_COLUMNS,
    insert_values,
    rule_from,
    schedule_from_row,
)
from queuectl_core.store.sqlite_base import Conn, SqliteBase, read_config

SELECT_SCHEDULES = f"""
SELECT {SCHEDULE_COLUMNS}, j.state, j.exit_code, j.last_error
FROM schedules s LEFT JOIN jobs j ON j.id = s.last_job
"""
INSERT_SCHEDULE = f"INSERT INTO schedules ({INSERT_ORDER}) VALUES ({', '.join('?' * 14)})"
DUE = "SELECT name, next_run FROM schedules WHERE paused = 0 AND next_run <= ? ORDER BY next_run"
NEXT_FIRE = "SELECT min(next_run) FROM schedules WHERE paused = 0"
# The claim of one fire: only the transaction that still finds ``next_run`` at the fire time
# it saw moves it on; every other attempt at that fire time matches no row.
CLAIM_FIRE = """
UPDATE schedules SET next_run = ?, last_run = ?, last_job = ?
WHERE name = ? AND next_run = ? AND paused = 0
"""
MARK_RUN = "UPDATE schedules SET last_run = ?, last_job = ? WHERE name = ?"
SET_PAUSED = "UPDATE schedules SET paused = ?, next_run = ? WHERE name = ?"
PAUSE_BROKEN = "UPDATE schedules SET paused = 1 WHERE name = ? AND next_run = ?"
DELETE_SCHEDULE = "DELETE FROM schedules WHERE name = ?"
INSERT_FIRED = """
INSERT INTO jobs (state, id, command, queue, priority, max_retries, timeout, run_at,
                  created_at, updated_at, env, cwd, schedule)
VALUES ('pending', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""


class SqliteSchedules(SqliteBase):
    """Schedule operations; each is one transaction."""

    async def add_schedule(self, spec: ScheduleSpec) -> Schedule:
        def write(conn: Conn) -> Schedule:
            now = self._clock()
            try:
                conn.execute(INSERT_SCHEDULE, insert_values(spec, first(spec.rule, now), now))
            except sqlite3.IntegrityError:
                raise DuplicateSchedule(f"schedule {spec.name!r} already exists") from None
            self._notify_local(conn, wake.WORK)  # firers re-read their next fire time
            return _load(conn, spec.name)

        return await self._tx(write)

    async def list_schedules(self) -> list[Schedule]:
        def read(conn: Conn) -> list[Schedule]:
            rows = conn.execute(SELECT_SCHEDULES + " ORDER BY s.name").fetchall()
            return [schedule_from_row(r) for r in rows]

        return await self._read(read)

    async def get_schedule(self, name: str) -> Schedule | None:
        def read(conn: Conn) -> Schedule | None:
            row = conn.execute(SELECT_SCHEDULES + " WHERE s.name = ?", (name,)).fetchone()
            return schedule_from_row(row) if row else None

        return await self._read(read)

    async def pause_schedule(self, name: str, paused: bool) -> Schedule:
        """Pause, or resume with ``next_run`` recomputed from now (no burst of missed fires)."""

        def write(conn: Conn) -> Schedule:
            current = _load(conn, name)
            next_run = current.next_run
            if not paused and (current.paused or next_run is None):
                next_run = resumed_at(current.spec, self._clock())
            conn.execute(SET_PAUSED, (paused, next_run, name))
            self._notify_local(conn, wake.WORK)
            return _load(conn, name)

        return await self._tx(write)

    async def remove_schedule(self, name: str) -> None:
        def write(conn: Conn) -> None:
            if conn.execute(DELETE_SCHEDULE, (name,)).rowcount == 0:
                raise ScheduleNotFound(f"no schedule named {name!r}")

        await self._tx(write)

    async def run_schedule(self, name: str) -> Job:
        """Fire once now, paused or not, leaving ``next_run`` where it is."""

        def write(conn: Conn) -> Job:
            current = _load(conn, name)
            now = self._clock()
            job = self._insert_fired(conn, current.spec, now, now)
            conn.execute(MARK_RUN, (now, job.id, name))
            return job

        return await self._tx(write)

    async def fire_schedule(self, name: str, due: float) -> Job | None:
        """Claim the fire time ``due`` of ``name``: its job, or None if it was not to be had
        (fired already by another worker, paused, removed, or not due yet)."""
        return await self._tx(lambda conn: self._fire(conn, name, due))

    async def fire_due_schedules(self) -> list[Job]:
        def write(conn: Conn) -> list[Job]:
            due = conn.execute(DUE, (self._clock(),)).fetchall()
            fired = [self._fire(conn, name, when) for name, when in due]
            return [job for job in fired if job is not None]

        def due_now(conn: Conn) -> bool:
            return conn.execute(DUE, (self._clock(),)).fetchone() is not None

        # Most wake-ups find nothing due: answer those without taking the write lock.
        if not await self._run(due_now):
            return []
        return await self._tx(write)

    async def next_schedule_fire(self) -> float | None:
        def read(conn: Conn) -> float | None:
            value = conn.execute(NEXT_FIRE).fetchone()[0]
            return float(value) if isinstance(value, int | float) else None

        return await self._run(read)

    def _fire(self, conn: Conn, name: str, due: float) -> Job | None:
        row = conn.execute(SELECT_SCHEDULES + " WHERE s.name = ?", (name,)).fetchone()
        if row is None:
            return None
        current = schedule_from_row(row)
        now = self._clock()
        if current.paused or row[12] != due or due > now:
            return None
        rule: Rule = rule_from(row[8], row[9], row[10])
        try:
            next_run = following(rule, due, now)
        except ValueError as exc:  # a stored rule no queuectl wrote: stop it, do not spin
            _warn_paused(name, exc)
            conn.execute(PAUSE_BROKEN, (name, due))
            return None
        job_id = new_job_ids(1)[0]
        if conn.execute(CLAIM_FIRE, (next_run, now, job_id, name, due)).rowcount != 1:
            return None
        return self._insert_fired(conn, current.spec, min(due, now), now, job_id)

    def _insert_fired(
        self, conn: Conn, spec: ScheduleSpec, run_at: float, now: float, job_id: str = ""
    ) -> Job:
        """Insert the job of one fire (``run_at``: the fire time it stands for)."""
        config = read_config(conn)
        job = job_spec(spec)
        job_id = job_id or new_job_ids(1)[0]
        env = json.dumps(job.env) if job.env else "{}"
        retries, timeout = job_retries(job, config), job_timeout(job, config)
        head = (job_id, job.command, job.queue, job.priority, retries, timeout)
        conn.execute(INSERT_FIRED, (*head, run_at, now, now, env, job.cwd, spec.name))
        self._notify_local(conn, wake.WORK)
        return job_from_row(conn.execute(sql.SELECT_JOB, (job_id,)).fetchone())


def _load(conn: Conn, name: str) -> Schedule:
    row = conn.execute(SELECT_SCHEDULES + " WHERE s.name = ?", (name,)).fetchone()
    if row is None:
        raise ScheduleNotFound(f"no schedule named {name!r}")
    return schedule_from_row(row)


def _warn_paused(name: str, exc: Exception) -> None:
    # logging is imported here, not at the top: every CLI command loads this module (it is part
    # of the store class), and only a worker meeting a broken rule ever logs from it.
    import logging

    logging.getLogger("queuectl.schedules").warning("schedule %s paused: %s", name, exc)
