"""The worker pool against both stores: an interrupted stop gives every running job back."""

from __future__ import annotations

import asyncio

import pytest

from queuectl_core.models import JobSpec, JobState
from queuectl_core.store import Store
from queuectl_core.worker import WorkerPool

from .support import wait_for

SLOTS = 4


@pytest.mark.parametrize("round_", range(4))
async def test_interrupt_releases_every_running_job(store: Store, round_: int) -> None:
    await store.enqueue([JobSpec("sleep 30", id=f"s{i}") for i in range(SLOTS)])
    pool = WorkerPool(store, slots=SLOTS, reap=False)
    running = asyncio.create_task(pool.run())

    def all_running() -> bool:
        return len(pool.running) == SLOTS and all(
            e.child is not None for e in pool._executions.values()
        )

    await wait_for(all_running, timeout=20)
    pool.stop(interrupt=True)
    await asyncio.wait_for(running, 20)
    for i in range(SLOTS):
        job = await store.get_job(f"s{i}")
        assert job is not None
        assert (job.state, job.attempts) == (JobState.PENDING, 0), job
