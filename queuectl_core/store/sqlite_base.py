"""Plumbing shared by the SQLite store's parts: one transaction per call on aiosqlite's thread."""

from __future__ import annotations

import os
import socket
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from queuectl_core import wake
from queuectl_core.config import Config
from queuectl_core.errors import (
    StoreCorrupt,
    StoreUnavailable,
)
from queuectl_core.store import sqlite_sql as sql
from queuectl_core.store.base import WakeCallback
from queuectl_core.store.sqlite_schema import migrate

if TYPE_CHECKING:
    from queuectl_core.wake_listener import Listener

T = TypeVar("T")
Conn = sqlite3.Connection
BUSY_TIMEOUT_MS = 30_000
CORRUPTION_CODES = (11, 26)  # SQLITE_CORRUPT, SQLITE_NOTADB: retrying cannot help


def store_error(path: Path, exc: sqlite3.DatabaseError) -> Exception:
    """The one-line error for a failed SQLite call: corrupt (permanent) or unavailable."""
    message = f"store {path}: {exc}"
    if getattr(exc, "sqlite_errorcode", None) in CORRUPTION_CODES:
        return StoreCorrupt(message)
    # Locked past the busy timeout, disk full, read-only file system: may pass.
    return StoreUnavailable(message)


def sqlite_mark(n: int) -> str:
    """SQLite placeholders are positional ``?``: the number is not spelled."""
    return "?"


def read_config(conn: Conn) -> Config:
    return Config.from_raw(dict(conn.execute(sql.CONFIG).fetchall()))


def prepare_file(path: Path, create: bool = True) -> None:
    """Make sure ``path`` can be opened; with ``create``, a missing store appears whole.

    A new store is built under a temporary name (schema and WAL mode included) and linked into
    place, so no other process ever sees the file half made: a reader that finds it finds a queue,
    and eight processes creating the same store at once never race to switch its journal mode.
    The file is 0600, so the -wal/-shm files SQLite makes beside it inherit owner-only modes.
    """
    if create and not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        _create_whole(path)
    fd = os.open(path, os.O_RDWR | (os.O_CREAT if create else 0), 0o600)
    os.close(fd)


def _create_whole(path: Path) -> None:
    draft = path.with_name(f".{path.name}.{os.getpid()}.{time.monotonic_ns()}.new")
    os.close(os.open(draft, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        conn = sqlite3.connect(draft, isolation_level=None)
        try:
            migrate(conn)
            conn.execute("PRAGMA journal_mode = WAL")
        finally:
            conn.close()  # the last connection: the WAL is checkpointed and removed
        try:
            os.link(draft, path)
        except FileExistsError:
            pass  # another process created it first: theirs is as good as ours
        except OSError:
            pass  # no hard links here: the open below creates it in place, as before
    finally:
        draft.unlink(missing_ok=True)


class SqliteBase:
    """Connection, clock and transaction helpers; the operations live in the subclasses."""

    def __init__(self, db: Any, path: Path, clock: Callable[[], float]) -> None:
        # An aiosqlite connection (SqliteStore) or a sqlite3 one (DirectSqliteStore).
        self._db = db
        self.path = path
        self.url = str(path)
        self._clock = clock
        self._host = socket.gethostname()
        self._listener: Listener | None = None
        self._own_writes = 0

    async def close(self) -> None:
        await self.unlisten()
        await self._db.close()

    def now(self) -> float:
        return self._clock()

    # --- plumbing ---------------------------------------------------------------------------
    async def _run(self, fn: Callable[[Conn], T]) -> T:
        # aiosqlite's own queue: the function runs on the connection's thread, in order.
        try:
            return await self._db._execute(fn, self._db._conn)  # type: ignore[no-any-return]
        except sqlite3.DatabaseError as exc:
            raise store_error(self.path, exc) from None

    async def _tx(self, fn: Callable[[Conn], T]) -> T:
        """Run ``fn`` in one write transaction (lock taken up front), retrying while busy."""

        def transaction(conn: Conn) -> T:
            for attempt in range(5):
                try:
                    conn.execute("BEGIN IMMEDIATE")
                    break
                except sqlite3.OperationalError as exc:
                    if ("locked" not in str(exc) and "busy" not in str(exc)) or attempt == 4:
                        raise
                    time.sleep(0.05 * (attempt + 1))
            try:
                result = fn(conn)
                conn.execute("COMMIT")
                return result
            except BaseException:
                conn.execute("ROLLBACK")
                raise

        result = await self._run(transaction)
        self._own_writes += 1
        return result

    async def _read(self, fn: Callable[[Conn], T]) -> T:
        def transaction(conn: Conn) -> T:
            conn.execute("BEGIN")
            try:
                return fn(conn)
            finally:
                conn.execute("COMMIT")

        return await self._run(transaction)

    def _notify_local(self, conn: Conn, kind: wake.WakeKind) -> None:
        """Wake the idle workers of this store on this host (best effort)."""
        horizon = self._clock() - 120
        rows = conn.execute(sql.LOCAL_WORKERS, (self._host, horizon)).fetchall()
        if rows:
            wake.notify((wake.address(self.url, r[0]) for r in rows), kind)

    # --- config -----------------------------------------------------------------------------
    async def listen(self, worker_id: str, callback: WakeCallback) -> None:
        await self.unlisten()
        from queuectl_core.wake_listener import Listener

        try:
            self._listener = await Listener.bind(wake.address(self.url, worker_id), callback)
        except OSError:
            self._listener = None  # no wake-ups: workers fall back to polling

    async def unlisten(self) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    async def get_config(self) -> Config:
        return await self._read(read_config)
