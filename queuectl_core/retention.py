"""Retention (DESIGN §8): workers delete finished jobs older than the configured ages.

Every worker process sweeps now and then (``delay``); each batch is one short transaction, so a
sweep of a million old jobs never holds the store's write lock for more than a few milliseconds
at a time, and claims get in between batches. Several workers sweeping at once delete different
rows (SQLite serialises them; PostgreSQL skips rows another sweep holds).
"""

from __future__ import annotations

import asyncio
import random

from queuectl_core.config import Config
from queuectl_core.models import JobState
from queuectl_core.store.base import WorkerStore

#: Jobs per transaction: ~5-10 ms of work on SQLite (see docs/PERFORMANCE.md, "Retention").
BATCH = 500
#: Seconds between batches: room for claims, and the sweep stays a background trickle.
PAUSE = 0.01
#: Seconds between sweeps of one worker (jittered so a fleet does not sweep in step).
INTERVAL = 10.0


def ages(config: Config) -> dict[JobState, float]:
    """The final states with a retention, and their ages in seconds (0 keeps forever)."""
    wanted = {
        JobState.COMPLETED: config.retention_completed,
        JobState.DEAD: config.retention_dead,
        JobState.CANCELLED: config.retention_cancelled,
    }
    return {state: age for state, age in wanted.items() if age > 0}


async def sweep(
    store: WorkerStore, config: Config, *, batch: int = BATCH, pause: float = PAUSE
) -> int:
    """Delete every job past its retention, one batch per transaction; returns how many."""
    wanted = ages(config)
    total = 0
    while wanted:
        deleted = await store.sweep_finished(wanted, batch)
        total += deleted
        if deleted < batch:
            break
        await asyncio.sleep(pause)
    return total


def delay() -> float:
    return INTERVAL * random.uniform(0.8, 1.2)
