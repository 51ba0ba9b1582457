"""SQLite store, queues (DESIGN §8): settings, listings, the claim under the queues' rules, and
the retention sweep."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from queuectl_core import wake
from queuectl_core.models import JobState, QueueInfo
from queuectl_core.queues import build_queues, check_concurrency, check_queue_name
from queuectl_core.store import sqlite_sql as sql
from queuectl_core.store import sqlite_worker_sql as wsql
from queuectl_core.store.sqlite_base import Conn, SqliteBase

PAUSED = "SELECT name FROM queues WHERE paused ORDER BY name"
SETTINGS = "SELECT name, paused, concurrency FROM queues"
COUNTS = "SELECT queue, state, count(*) FROM jobs GROUP BY queue, state"
COUNTS_OF = "SELECT queue, state, count(*) FROM jobs WHERE queue = ? GROUP BY queue, state"
RECENT = """
SELECT queue, count(*) FROM jobs INDEXED BY jobs_state_finished
WHERE state = 'completed' AND finished_at > ? GROUP BY queue
"""
SET_PAUSED = """
INSERT INTO queues (name, paused, concurrency, updated_at) VALUES (?, ?, 0, ?)
ON CONFLICT (name) DO UPDATE SET paused = excluded.paused, updated_at = excluded.updated_at
"""
SET_CONCURRENCY = """
INSERT INTO queues (name, paused, concurrency, updated_at) VALUES (?, 0, ?, ?)
ON CONFLICT (name) DO UPDATE SET concurrency = excluded.concurrency,
    updated_at = excluded.updated_at
"""
# Back to the defaults: no row, so the claim's fast path applies again.
FORGET_DEFAULT = "DELETE FROM queues WHERE name = ? AND NOT paused AND concurrency = 0"
# One batch of one state; the delete trigger removes the jobs' attempts and outputs.
SWEEP = """
DELETE FROM jobs WHERE seq IN (
    SELECT seq FROM jobs INDEXED BY jobs_state_finished
    WHERE state = ? AND finished_at < ? LIMIT ?)
"""


def pick_under_rules(
    conn: Conn, rules: Sequence[Any], queues: Sequence[str] | None, limit: int, now: float
) -> list[int]:
    """Seqs of up to ``limit`` due jobs in claim order: none from a paused queue, and no more
    from a limited queue than its limit minus its processing jobs.

    Runs inside the claim's BEGIN IMMEDIATE transaction, so no other claim can change the
    counts between this read and the claim's write. Each queue is read on its own index range
    (the best ``limit`` or room of each, then the best of those), so a paused or full queue
    with a million waiting jobs costs nothing.
    """
    paused = {name for name, is_paused, _ in rules if is_paused}
    room = {name: n for name, is_paused, n in rules if not is_paused and n > 0}
    if room:
        marks = ", ".join("?" * len(room))
        for queue, running in conn.execute(wsql.PROCESSING_IN.format(marks=marks), list(room)):
            room[queue] -= running
    candidates: list[tuple[int, int]] = []
    for name in queues or _waiting_queues(conn):
        take = 0 if name in paused else min(limit, room.get(name, limit))
        if take > 0:
            candidates += conn.execute(wsql.QUEUE_CANDIDATES, (name, now, take)).fetchall()
    candidates.sort(key=lambda row: (-row[0], row[1]))
    return [seq for _, seq in candidates[:limit]]


def unfinished_unpaused(conn: Conn, queues: Sequence[str] | None, paused: set[str]) -> bool:
    """What a draining worker waits for while queues are paused: running jobs anywhere (in
    ``queues``), and waiting jobs outside the paused queues (it would wait for those forever)."""
    marks = ", ".join("?" * len(queues or ()))
    queue_filter = f"AND queue IN ({marks})" if queues else ""
    statement = sql.PROCESSING_IN_ANY.format(queue_filter=queue_filter)
    if conn.execute(statement, list(queues or ())).fetchone():
        return True
    if not queues:
        return any(name not in paused for name in _waiting_queues(conn))
    return any(
        name not in paused and conn.execute(sql.WAITING_IN, (name,)).fetchone() for name in queues
    )


def _waiting_queues(conn: Conn) -> list[str]:
    """Queues with waiting jobs: one index probe per queue."""
    names: list[str] = []
    while True:
        name = conn.execute(wsql.NEXT_WAITING_QUEUE, (names[-1] if names else "",)).fetchone()[0]
        if name is None:
            return names
        names.append(name)


class SqliteQueues(SqliteBase):
    """Queue settings and listings, and deleting old finished jobs."""

    async def list_queues(self) -> list[QueueInfo]:
        def read(conn: Conn) -> list[QueueInfo]:
            recent = dict(conn.execute(RECENT, (self._clock() - 60,)).fetchall())
            counts = conn.execute(COUNTS).fetchall()
            return build_queues(conn.execute(SETTINGS).fetchall(), counts, recent)

        return await self._read(read)

    async def get_queue(self, name: str, *, counts: bool = True) -> QueueInfo:
        def read(conn: Conn) -> QueueInfo:
            if not counts:  # settings only: no scan of the queue's jobs
                settings = conn.execute(SETTINGS + " WHERE name = ?", (name,)).fetchall()
                return build_queues(settings, [], {}, only=name)[0]
            recent = dict(conn.execute(RECENT, (self._clock() - 60,)).fetchall())
            counts_of = conn.execute(COUNTS_OF, (name,)).fetchall()
            settings = conn.execute(SETTINGS + " WHERE name = ?", (name,)).fetchall()
            return build_queues(settings, counts_of, recent, only=name)[0]

        return await self._read(read)

    async def paused_queues(self) -> list[str]:
        def read(conn: Conn) -> list[str]:
            return [str(r[0]) for r in conn.execute(PAUSED)]

        return await self._read(read)

    async def set_paused(self, names: Sequence[str], paused: bool) -> None:
        checked = [check_queue_name(name) for name in dict.fromkeys(names)]

        def write(conn: Conn) -> None:
            now = self._clock()
            for name in checked:
                conn.execute(SET_PAUSED, (name, int(paused), now))
                conn.execute(FORGET_DEFAULT, (name,))
            if not paused:
                self._notify_local(conn, wake.WORK)

        await self._tx(write)

    async def set_concurrency(self, name: str, limit: int) -> None:
        check_queue_name(name)
        check_concurrency(limit)

        def write(conn: Conn) -> None:
            conn.execute(SET_CONCURRENCY, (name, limit, self._clock()))
            conn.execute(FORGET_DEFAULT, (name,))
            self._notify_local(conn, wake.WORK)

        await self._tx(write)

    async def sweep_finished(self, older_than: Mapping[JobState, float], limit: int) -> int:
        def write(conn: Conn) -> int:
            now, deleted = self._clock(), 0
            for state, age in older_than.items():
                if deleted < limit:
                    cut = (str(state), now - age, limit - deleted)
                    deleted += conn.execute(SWEEP, cut).rowcount
            return deleted

        return await self._tx(write)
