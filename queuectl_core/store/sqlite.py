"""The embedded store: one SQLite file in WAL mode, driven through aiosqlite.

Every operation is one function run on aiosqlite's connection thread inside one transaction
(``_tx``/``_read``): one thread hop per operation, and no other task can interleave statements
inside it. Writers take the lock up front (``BEGIN IMMEDIATE``) so a read-then-write never fails
with a stale snapshot; ``busy_timeout`` makes other processes wait for it instead of failing.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from queuectl_core.config import Config
from queuectl_core.errors import StoreMissing, StoreUnavailable
from queuectl_core.models import Attempt, Metrics, Output
from queuectl_core.store import sqlite_sql as sql
from queuectl_core.store.common import merged_config, parse_setting
from queuectl_core.store.metrics import build_metrics
from queuectl_core.store.rows import attempt_from_row
from queuectl_core.store.sqlite_base import (
    BUSY_TIMEOUT_MS,
    Conn,
    prepare_file,
    read_config,
    store_error,
)
from queuectl_core.store.sqlite_insight import SqliteInsight
from queuectl_core.store.sqlite_jobs import SqliteJobs
from queuectl_core.store.sqlite_procs import SqliteProcs
from queuectl_core.store.sqlite_queues import SqliteQueues
from queuectl_core.store.sqlite_schedules import SqliteSchedules
from queuectl_core.store.sqlite_schema import migrate
from queuectl_core.store.sqlite_workers import SqliteWorkers

T = TypeVar("T")


def run_now(call: Coroutine[Any, Any, T]) -> T:
    """Drive a coroutine that never suspends (a ``DirectSqliteStore`` call) without a loop."""
    try:
        call.send(None)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    call.close()
    raise RuntimeError("a direct store call tried to wait on an event loop")


def _store_path(url: str, create: bool) -> Path:
    path = Path(url.removeprefix("sqlite://")).expanduser().absolute()
    if path.is_dir():
        raise StoreUnavailable(f"cannot open store {path}: it is a directory")
    if not create and not path.exists():
        raise StoreMissing(f"no queue at {path}")
    return path


@contextmanager
def _opening(path: Path) -> Iterator[None]:
    try:
        yield
    except OSError as exc:
        raise StoreUnavailable(f"cannot open store {path}: {exc.strerror or exc}") from None
    except sqlite3.Error as exc:
        raise StoreUnavailable(f"cannot open store {path}: {exc}") from None


class SqliteStore(
    SqliteJobs, SqliteWorkers, SqliteProcs, SqliteSchedules, SqliteQueues, SqliteInsight
):
    """``Store`` on one SQLite file. Open with ``await SqliteStore.open(path)``."""

    @classmethod
    async def open(
        cls, url: str, *, clock: Callable[[], float] | None = None, create: bool = True
    ) -> SqliteStore:
        import aiosqlite

        path = _store_path(url, create)
        with _opening(path):
            prepare_file(path, create)
            db = await aiosqlite.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
        store = cls(db, path, clock or time.time)
        try:
            with _opening(path):
                await store._run(partial(store._setup, path=path, create=create))
        except BaseException:
            await db.close()
            raise
        return store

    @staticmethod
    def _setup(conn: Conn, path: Path, create: bool) -> None:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if not create and conn.execute("PRAGMA user_version").fetchone()[0] == 0:
            raise StoreMissing(f"no queue at {path}")  # an empty file, or not queuectl's
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode.lower() != "wal":
            raise StoreUnavailable(f"store cannot use WAL mode (journal_mode={mode})")
        # NORMAL in WAL: durable across process crashes; a power cut may lose the last commits.
        conn.execute("PRAGMA synchronous = NORMAL")
        # Checkpoint every ~16 MB of WAL rather than 4 MB: fewer stalls on the claim path.
        conn.execute("PRAGMA wal_autocheckpoint = 4000")
        conn.execute("PRAGMA foreign_keys = OFF")
        migrate(conn)

    async def set_config(self, key: str, value: str) -> Config:
        name, parsed = parse_setting(key, value)

        def write(conn: Conn) -> Config:
            updated = merged_config(read_config(conn), name, parsed)
            conn.execute(sql.SET_CONFIG, (name, str(parsed)))
            return updated

        return await self._tx(write)

    async def attempts(self, job_id: str) -> list[Attempt]:
        def read(conn: Conn) -> list[Attempt]:
            rows = conn.execute(
                sql.ATTEMPTS,
                (job_id,),
            )
            return [attempt_from_row(r) for r in rows]

        return await self._read(read)

    async def output(self, job_id: str, attempt: int | None = None) -> Output | None:
        def read(conn: Conn) -> Output | None:
            if attempt is None:
                row = conn.execute(
                    sql.LATEST_ATTEMPT,
                    (job_id,),
                ).fetchone()
            else:
                row = conn.execute(
                    sql.ATTEMPT,
                    (job_id, attempt),
                ).fetchone()
            if row is None:
                return None
            out = conn.execute(
                sql.OUTPUT,
                (job_id, row[0]),
            ).fetchone() or ("", "")
            return Output(job_id, row[0], out[0], out[1], row[1] is not None)

        return await self._read(read)

    async def metrics(self) -> Metrics:
        def read(conn: Conn) -> Metrics:
            now = self._clock()
            counts = {s: n for s, n in conn.execute(sql.STATE_COUNTS)}
            durations = [
                r[0]
                for r in conn.execute(
                    sql.RECENT_DURATIONS,
                    (now - 86400,),
                )
            ]
            finished = [
                r[0]
                for r in conn.execute(
                    sql.RECENT_FINISHES,
                    (now - 3600,),
                )
            ]
            return build_metrics(counts, durations, finished, now)

        return await self._read(read)

    async def change_token(self) -> int:
        def read(conn: Conn) -> int:
            return int(conn.execute("PRAGMA data_version").fetchone()[0])

        # data_version only moves for other connections' commits; add our own writes.
        return (await self._run(read)) * 1_000_003 + self._own_writes


class DirectSqliteStore(SqliteStore):
    """The same operations, run on the calling thread instead of aiosqlite's.

    For one-shot CLI commands: their calls never suspend, so ``run_now`` drives them with no event
    loop and no thread, and ``queuectl enqueue`` never imports asyncio (~35 ms of its start-up).
    Not for anything concurrent: a busy store blocks the caller for up to the busy timeout.
    """

    @classmethod
    def open_direct(
        cls, url: str, *, clock: Callable[[], float] | None = None, create: bool = True
    ) -> DirectSqliteStore:
        path = _store_path(url, create)
        with _opening(path):
            prepare_file(path, create)
            conn = sqlite3.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
        store = cls(conn, path, clock or time.time)
        try:
            with _opening(path):
                run_now(store._run(partial(store._setup, path=path, create=create)))
        except BaseException:
            conn.close()
            raise
        return store

    async def _run(self, fn: Callable[[Conn], T]) -> T:
        try:
            return fn(self._db)
        except sqlite3.DatabaseError as exc:
            raise store_error(self.path, exc) from None

    async def close(self) -> None:
        self._db.close()
