"""The console's view of the queue: one immutable snapshot the app owns and panes render from."""

from __future__ import annotations

from dataclasses import dataclass, field

from queuectl_core.config import Config
from queuectl_core.models import JobState, Metrics, WorkerInfo
from queuectl_core.present import heartbeat_live
from queuectl_core.store.base import Store

#: Metrics scan the last hour of completions; at most this often even when the store is busy.
METRICS_EVERY = 5.0


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Counts, workers, metrics and config as of ``now`` (store clock)."""

    now: float
    counts: dict[JobState, int] = field(default_factory=dict)
    workers: tuple[WorkerInfo, ...] = ()
    metrics: Metrics | None = None
    config: Config = field(default_factory=Config)
    metrics_at: float = 0.0

    def count(self, state: JobState | None) -> int:
        """Jobs in ``state``; every job when ``state`` is None."""
        if state is None:
            return sum(self.counts.values())
        return self.counts.get(state, 0)

    def is_stale(self, worker: WorkerInfo) -> bool:
        """No heartbeat for a whole lease: its jobs are about to be recovered."""
        return not heartbeat_live(worker, self.now, self.config.lease_timeout)

    @property
    def live_workers(self) -> list[WorkerInfo]:
        return [w for w in self.workers if not self.is_stale(w)]


async def load_snapshot(
    store: Store, previous: Snapshot | None, now: float, *, force: bool = False
) -> Snapshot:
    """Query the store (only when its change token moved, or after our own writes: ``force``)."""
    counts = await store.counts()
    workers = tuple(await store.list_workers(include_stale=True))
    config = await store.get_config()
    metrics = previous.metrics if previous else None
    metrics_at = previous.metrics_at if previous else 0.0
    if force or metrics is None or now - metrics_at >= METRICS_EVERY or now < metrics_at:
        metrics = await store.metrics()
        metrics_at = now
    return Snapshot(now, counts, workers, metrics, config, metrics_at)
