"""Worker slots hosted inside the console, through the core's ``WorkerPool`` (no second engine)."""

from __future__ import annotations

import asyncio
import contextlib

from queuectl_core.store.base import Store
from queuectl_core.store.open import open_store
from queuectl_core.worker import WorkerPool

#: How long quitting waits for interrupted jobs to be handed back before giving up on them.
RELEASE_TIMEOUT = 10.0


class HostedWorkers:
    """At most one pool, on its own store connection, so console queries never delay claims."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.pool: WorkerPool | None = None
        self._store: Store | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    @property
    def slots(self) -> int:
        return self.pool.slots if self.pool is not None and self.running else 0

    @property
    def running_jobs(self) -> list[str]:
        """Ids of the jobs these slots are running now."""
        return self.pool.running if self.pool is not None and self.running else []

    @property
    def worker_id(self) -> str | None:
        return self.pool.worker_id if self.pool is not None and self.running else None

    async def start(self, slots: int) -> None:
        """Start a pool with ``slots`` slots (a running pool is resized instead)."""
        if self.running and self.pool is not None:
            self.pool.resize(slots)
            return
        await self._close_store()
        self._store = await open_store(self.url)
        self.pool = WorkerPool(self._store, slots=max(1, slots))
        self._task = asyncio.create_task(self.pool.run(), name="hosted-workers")

    def scale(self, slots: int) -> None:
        """Change the slot count; a shrink lets running jobs finish first."""
        if self.pool is not None and self.running:
            self.pool.resize(max(1, slots))

    def stop(self) -> None:
        """Graceful: stop claiming, let running jobs finish, then the pool exits."""
        if self.pool is not None:
            self.pool.stop()

    async def shutdown(self) -> None:
        """On quit: kill running commands and hand their jobs back as pending (no attempt spent)."""
        if self.pool is not None and self._task is not None:
            self.pool.stop(interrupt=True)
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(self._task), RELEASE_TIMEOUT)
            if not self._task.done():
                self._task.cancel()
        await self._close_store()

    async def _close_store(self) -> None:
        if self._store is not None and not self.running:
            await self._store.close()
            self._store = None
