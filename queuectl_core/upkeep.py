"""The worker's periodic tasks beside claiming: live output, recovery of lost workers' jobs and
the retention sweep, each run by ``every`` so a failing store never stops the loop."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Mapping

from queuectl_core import retention
from queuectl_core.config import Config
from queuectl_core.errors import StoreUnavailable
from queuectl_core.executor import Execution
from queuectl_core.liveness import process_gone
from queuectl_core.store.base import Store
from queuectl_core.waits import wait_event

log = logging.getLogger("queuectl.worker")
FLUSH_INTERVAL = 0.5  # seconds between saves of running jobs' output


async def every(
    step: Callable[[], Awaitable[None]],
    delay: Callable[[], float],
    early: asyncio.Event | None = None,
) -> None:
    """Run ``step`` every ``delay()`` seconds, or sooner when ``early`` is set."""
    name = step.__name__.strip("_")
    while True:
        if early is not None:
            early.clear()
        try:
            await step()
        except StoreUnavailable as exc:
            log.warning("%s failed: %s", name, exc)
        except Exception:
            log.exception("%s failed", name)
        if early is None:
            await asyncio.sleep(delay())
            continue
        await wait_event(early, delay())


class Upkeep:
    """Flush, recover and sweep for one worker; ``config`` reads the pool's current settings."""

    def __init__(
        self,
        store: Store,
        worker_id: str,
        executions: Mapping[str, Execution],
        config: Callable[[], Config],
    ) -> None:
        self._store = store
        self._worker_id = worker_id
        self._executions = executions
        self._config = config

    def tasks(self) -> list[asyncio.Task[None]]:
        """Start the three loops."""
        return [
            asyncio.create_task(every(self.flush, lambda: FLUSH_INTERVAL)),
            asyncio.create_task(every(self.recover, self.recovery_delay)),
            asyncio.create_task(every(self.sweep, retention.delay)),
        ]

    async def flush(self) -> None:
        """Save the output of running jobs that printed something since the last flush."""
        changed = [e for e in self._executions.values() if e.output_changed()]
        if not changed:
            return
        items = [(e.job.id, e.job.runs, e.stdout.text(), e.stderr.text()) for e in changed]
        for execution in changed:
            execution.mark_flushed()
        await self._store.save_output(items)

    def recovery_delay(self) -> float:
        # Jittered so many workers do not scan at the same instant.
        return min(5.0, self._config().lease_timeout / 4) * random.uniform(0.8, 1.0)

    async def recover(self) -> None:
        """Return the jobs of workers whose lease ran out, or whose process is gone."""
        recovered = await self._store.recover(await self._dead_neighbours())
        if recovered:
            log.warning("recovered %d jobs from lost workers: %s", len(recovered), recovered[:5])

    async def _dead_neighbours(self) -> list[str]:
        """Workers on this host whose process is gone: no need to wait out their lease.

        A reused pid only makes us wait for the lease, so this can never recover a live worker.
        """
        silent = self._store.now() - 2 * self._config().heartbeat_interval
        return [
            worker.id
            for worker in await self._store.list_workers(include_stale=True)
            if worker.id != self._worker_id
            and worker.heartbeat_at < silent
            and process_gone(worker)
        ]

    async def sweep(self) -> None:
        """Delete finished jobs older than the retention settings."""
        deleted = await retention.sweep(self._store, self._config())
        if deleted:
            log.info("retention: deleted %d finished jobs", deleted)
