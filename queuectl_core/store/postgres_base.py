"""Connection plumbing for the PostgreSQL store: pool, clock, error mapping, open/close.

Each operation takes a pooled connection for one transaction (most are a single statement, so
one round trip). Times come from the database clock unless a clock was injected (tests), so hosts
with skewed clocks agree on leases. A dropped connection surfaces as ``StoreUnavailable`` with a
one-line message; the pool replaces dead connections on the next call, so callers simply retry.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import Any, Self, TypeVar
from urllib.parse import urlsplit

import asyncpg

from queuectl_core.config import Config
from queuectl_core.errors import QueueError, StoreUnavailable
from queuectl_core.store import postgres_sql as sql
from queuectl_core.store.base import WakeCallback, describe
from queuectl_core.store.postgres_listen import PgListener
from queuectl_core.store.postgres_schema import migrate

T = TypeVar("T")
Conn = Any  # asyncpg.Connection (asyncpg ships no type information)
POOL_SIZE = 4
CONNECT_TIMEOUT = 10.0
COMMAND_TIMEOUT = 60.0
#: counts() folds the delta log into the base rows once it holds this many rows.
FOLD_THRESHOLD = 1000
#: Transactions aborted as deadlock victims are run again, at most this many times in all.
DEADLOCK_TRIES = 3
SERVER_SETTINGS = {"search_path": sql.SCHEMA, "application_name": "queuectl", "jit": "off"}
_LOST = (
    OSError,  # includes ConnectionError and TimeoutError
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,  # admin shutdown, starting up, ...
    asyncpg.exceptions.InsufficientResourcesError,  # too many connections, disk full
)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, asyncpg.InternalClientError):
        return "connection closed by the server"
    text = (exc.strerror if isinstance(exc, OSError) else None) or str(exc)
    return (text.strip().splitlines() or [type(exc).__name__])[0]


def _is_lost(exc: BaseException) -> bool:
    if isinstance(exc, _LOST):
        return True
    # The server's goodbye (FATAL on an idle connection) can leave the protocol confused
    # before the socket's end is seen: "cannot switch to state ...; another operation".
    if isinstance(exc, asyncpg.InternalClientError):
        return True
    return isinstance(exc, asyncpg.InterfaceError) and "closed" in str(exc)


def _discard(conn: Conn) -> None:
    """Never hand a half-dead connection out again (it may already be back in the pool)."""
    with contextlib.suppress(asyncpg.InterfaceError):
        conn.terminate()


def _where(url: str) -> str:
    parts = urlsplit(url)
    try:
        port = parts.port or 5432
    except ValueError:
        port = 5432
    return f"{parts.hostname or 'localhost'}:{port}"


class PgBase:
    """Pool, clock and error mapping shared by the PostgreSQL store's operations."""

    def __init__(self, pool: Any, url: str, clock: Callable[[], float] | None) -> None:
        self._pool = pool
        self.url = url
        self._where = _where(url)
        self._clock = clock
        self._offset = 0.0
        self._listener: PgListener | None = None

    @classmethod
    async def open(
        cls, url: str, *, clock: Callable[[], float] | None = None, create: bool = True
    ) -> Self:
        where = _where(url)
        # No connection floor (min_size=0): after a restart the pool reconnects on demand,
        # instead of a background task retrying (and logging tracebacks) while the server is down.
        pool = asyncpg.create_pool(
            url,
            min_size=0,
            max_size=POOL_SIZE,
            timeout=CONNECT_TIMEOUT,
            command_timeout=COMMAND_TIMEOUT,
            server_settings=SERVER_SETTINGS,
        )
        try:
            await pool
            conn = await pool.acquire()
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            pool.terminate()
            raise StoreUnavailable(
                f"cannot connect to PostgreSQL at {where}: {_reason(exc)}"
            ) from None
        store = cls(pool, url, clock)
        try:
            async with conn.transaction():
                await migrate(conn, None if create else f"no queue at {describe(url)}")
            before = time.time()
            server = float(await conn.fetchval(sql.NOW))
            store._offset = server - (before + time.time()) / 2
            await pool.release(conn)
        except BaseException as exc:
            pool.terminate()
            if isinstance(exc, QueueError):
                raise
            if isinstance(exc, asyncpg.PostgresError | OSError | asyncpg.InterfaceError):
                raise StoreUnavailable(f"cannot open store at {where}: {_reason(exc)}") from None
            raise
        return store

    async def close(self) -> None:
        await self.unlisten()
        try:
            await self._pool.close()
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            self._pool.terminate()

    def now(self) -> float:
        return self._clock() if self._clock is not None else time.time() + self._offset

    # --- plumbing ---------------------------------------------------------------------------
    def _now_param(self) -> float | None:
        """The ``$1`` of every timed statement: the injected clock, or NULL for the server's."""
        return self._clock() if self._clock is not None else None

    async def _db_now(self, conn: Conn) -> float:
        if self._clock is not None:
            return self._clock()
        return float(await conn.fetchval(sql.NOW))

    async def _run(
        self, fn: Callable[[Conn], Awaitable[T]], *, tx: bool = True, retry: bool = False
    ) -> T:
        """Run ``fn`` on a pooled connection (in a transaction unless ``tx`` is False).

        Reads (``retry``) get one more try on a fresh connection: the first may have been a
        pooled connection the server had already closed. Writes are not replayed, since their
        commit status is unknown; the caller sees ``StoreUnavailable``. A deadlock victim is
        run again: dependency triggers lock dependents' rows in finish order, so two batches
        can cross, and PostgreSQL aborted the whole transaction (or, with ``tx`` False, the one
        statement such a function runs), so nothing was written.
        """
        for _ in range(DEADLOCK_TRIES - 1):
            try:
                return await self._run_once(fn, tx=tx, retry=retry)
            except asyncpg.DeadlockDetectedError:
                continue
        try:
            return await self._run_once(fn, tx=tx, retry=retry)
        except asyncpg.DeadlockDetectedError:
            raise StoreUnavailable(
                f"PostgreSQL at {self._where} kept reporting deadlocks; try again"
            ) from None

    async def _run_once(
        self, fn: Callable[[Conn], Awaitable[T]], *, tx: bool = True, retry: bool = False
    ) -> T:
        """One try of ``_run`` (a deadlock passes through, to be run again)."""
        for attempt in range(2 if retry else 1):
            try:
                async with self._pool.acquire() as conn:
                    try:
                        if not tx:
                            return await fn(conn)
                        async with conn.transaction():
                            return await fn(conn)
                    except Exception as exc:
                        if _is_lost(exc):
                            _discard(conn)
                        raise
            except QueueError:
                raise
            except Exception as exc:
                if not _is_lost(exc):
                    raise
                # One dead connection usually means a restart: replace the others as well.
                await self._pool.expire_connections()
                if attempt == 1 or not retry:
                    raise StoreUnavailable(
                        f"lost connection to PostgreSQL at {self._where}: {_reason(exc)}"
                    ) from None
        raise AssertionError("unreachable")

    async def _read(self, query: str, *args: Any) -> list[Any]:
        async def read(conn: Conn) -> list[Any]:
            return list(await conn.fetch(query, *args))

        return await self._run(read, tx=False, retry=True)

    async def _execute(self, query: str, *args: Any) -> int:
        """One statement in its own transaction; returns the rows it touched."""

        async def write(conn: Conn) -> int:
            status: str = await conn.execute(query, *args)
            return int(status.rsplit(" ", 1)[-1]) if status[-1:].isdigit() else 0

        return await self._run(write, tx=False)

    # --- wake-ups ---------------------------------------------------------------------------
    async def listen(self, worker_id: str, callback: WakeCallback) -> None:
        await self.unlisten()
        connect = {"dsn": self.url, "server_settings": SERVER_SETTINGS}
        self._listener = await PgListener.start(connect, callback)

    async def unlisten(self) -> None:
        if self._listener is not None:
            listener, self._listener = self._listener, None
            await listener.close()

    async def _fold_counts(self) -> None:
        """Move the state-count deltas into the base rows (skipped if another fold is running)."""

        async def fold(conn: Conn) -> None:
            if await conn.fetchval(sql.TRY_LOCK, sql.COUNTS_LOCK):
                await conn.execute(sql.FOLD_COUNTS)

        await self._run(fold)

    @staticmethod
    async def _config(conn: Conn) -> Config:
        rows = await conn.fetch(sql.CONFIG)
        return Config.from_raw({r[0]: r[1] for r in rows})

    async def get_config(self) -> Config:
        return await self._run(self._config, tx=False, retry=True)
