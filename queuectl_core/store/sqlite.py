"""The embedded store: one SQLite file in WAL mode, driven through aiosqlite.

Every operation is one function run on aiosqlite's connection thread inside one transaction
(``_tx``/``_read``): one thread hop per operation, and no other task can interleave statements
inside it. Writers take the lock up front (``BEGIN IMMEDIATE``) so a read-then-write never fails
with a stale snapshot; ``busy_timeout`` makes other processes wait for it instead of failing.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import aiosqlite

from queuectl_core.errors import (
    QueueError,
    StoreUnavailable,
)
from queuectl_core.store.sqlite_base import BUSY_TIMEOUT_MS, Conn, migrate, prepare_file
from queuectl_core.store.sqlite_jobs import SqliteJobs
from queuectl_core.store.sqlite_workers import SqliteWorkerOps


class SqliteStore(SqliteJobs, SqliteWorkerOps):
    """``Store`` on one SQLite file. Open with ``await SqliteStore.open(path)``."""

    @classmethod
    async def open(cls, url: str, *, clock: Callable[[], float] | None = None) -> SqliteStore:
        path = Path(url.removeprefix("sqlite://")).expanduser().absolute()
        try:
            if path.is_dir():
                raise StoreUnavailable(f"cannot open store {path}: it is a directory")
            prepare_file(path)
            db = await aiosqlite.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
        except OSError as exc:
            raise StoreUnavailable(f"cannot open store {path}: {exc.strerror or exc}") from None
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"cannot open store {path}: {exc}") from None
        store = cls(db, path, clock or time.time)
        try:
            await store._run(store._setup)
        except QueueError:
            await db.close()
            raise
        except sqlite3.Error as exc:
            await db.close()
            raise StoreUnavailable(f"cannot open store {path}: {exc}") from None
        return store

    @staticmethod
    def _setup(conn: Conn) -> None:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode.lower() != "wal":
            raise StoreUnavailable(f"store cannot use WAL mode (journal_mode={mode})")
        # NORMAL in WAL: durable across process crashes; a power cut may lose the last commits.
        conn.execute("PRAGMA synchronous = NORMAL")
        # Checkpoint every ~16 MB of WAL rather than 4 MB: fewer stalls on the claim path.
        conn.execute("PRAGMA wal_autocheckpoint = 4000")
        conn.execute("PRAGMA foreign_keys = OFF")
        migrate(conn)
