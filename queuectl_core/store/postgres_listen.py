"""Wake-ups over LISTEN/NOTIFY: one dedicated connection per worker process, kept alive.

The connection listens on the work and control channels and hands each notification to the
worker's callback on the event loop. If it drops (server restart, network), a supervisor task
reconnects with capped exponential backoff and then wakes the worker once on both channels,
since anything sent while it was away is lost: the worker re-checks the store and heartbeats.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import asyncpg

from queuectl_core.store.base import WakeCallback
from queuectl_core.store.postgres_sql import CONTROL_CHANNEL, WORK_CHANNEL
from queuectl_core.waits import wait_event
from queuectl_core.wake import WakeKind

log = logging.getLogger(__name__)
#: Idle connections are pinged this often, so a silently dead one is noticed.
PING_INTERVAL = 10.0
BACKOFF_FIRST = 0.1
BACKOFF_MAX = 5.0
CONNECT_TIMEOUT = 10.0


class PgListener:
    """A LISTEN connection that re-establishes itself until ``close()``."""

    def __init__(self, connect_kwargs: dict[str, Any], callback: WakeCallback) -> None:
        self._connect_kwargs = connect_kwargs
        self._callback = callback
        self._conn: Any = None
        self._task: asyncio.Task[None] | None = None
        self.reconnects = 0

    @classmethod
    async def start(cls, connect_kwargs: dict[str, Any], callback: WakeCallback) -> PgListener:
        """Listen now if the server answers; otherwise keep trying in the background."""
        listener = cls(connect_kwargs, callback)
        lost = await listener._connect()
        listener._task = asyncio.create_task(listener._supervise(lost), name="queuectl-listen")
        return listener

    def _on_notify(self, _conn: object, _pid: int, channel: str, _payload: str) -> None:
        self._callback(WakeKind.CONTROL if channel == CONTROL_CHANNEL else WakeKind.WORK)

    async def _connect(self) -> asyncio.Event | None:
        """One attempt; returns an event set when the connection goes, or None on failure."""
        try:
            conn = await asyncpg.connect(**self._connect_kwargs, timeout=CONNECT_TIMEOUT)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.debug("listen connection failed: %s", exc)
            return None
        lost = asyncio.Event()
        conn.add_termination_listener(lambda _conn: lost.set())
        try:
            await conn.add_listener(WORK_CHANNEL, self._on_notify)
            await conn.add_listener(CONTROL_CHANNEL, self._on_notify)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            conn.terminate()
            return None
        self._conn = conn
        return lost

    async def _supervise(self, lost: asyncio.Event | None) -> None:
        delay = BACKOFF_FIRST
        while True:
            if lost is None:
                await asyncio.sleep(delay)
                delay = min(delay * 2, BACKOFF_MAX)
                lost = await self._connect()
                if lost is None:
                    continue
                self.reconnects += 1
                self._callback(WakeKind.WORK)
                self._callback(WakeKind.CONTROL)
            delay = BACKOFF_FIRST
            await self._watch(lost)
            self._drop()
            lost = None

    async def _watch(self, lost: asyncio.Event) -> None:
        """Return once the connection is gone or stops answering pings."""
        while not lost.is_set():
            if await wait_event(lost, PING_INTERVAL):
                return
            try:
                await self._conn.execute("SELECT 1", timeout=PING_INTERVAL)
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                return

    def _drop(self) -> None:
        if self._conn is not None:
            self._conn.terminate()
            self._conn = None

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._conn is not None:
            conn, self._conn = self._conn, None
            try:
                await asyncio.wait_for(conn.close(), 2)
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
                conn.terminate()
