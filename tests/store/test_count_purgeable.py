"""count_purgeable: what the console's purge dialog shows is what purge deletes (state and age)."""

from __future__ import annotations

from queuectl_core.models import Finish, JobSpec, JobState, Outcome
from queuectl_core.store import Store

from .support import Clock


async def _complete(store: Store, job_id: str) -> None:
    await store.enqueue([JobSpec("echo", id=job_id)])
    (job,) = await store.claim("w", None, 1, 30)
    await store.finish([Finish(job.id, "w", job.runs, Outcome(0, None, "", ""))])


async def test_count_purgeable_matches_what_purge_deletes(clocked: Store, clock: Clock) -> None:
    await _complete(clocked, "old-1")
    await _complete(clocked, "old-2")
    clock.advance(3600)
    cutoff = clock()
    await _complete(clocked, "new-1")
    await clocked.enqueue([JobSpec("echo", id="waiting")])
    states = [JobState.COMPLETED, JobState.DEAD]
    assert await clocked.count_purgeable(states, cutoff) == 2
    assert await clocked.count_purgeable(states, cutoff + 10) == 3
    assert await clocked.count_purgeable([JobState.DEAD], cutoff + 10) == 0
    assert await clocked.count_purgeable(states, cutoff) == await clocked.purge(states, cutoff)
    assert await clocked.count_purgeable(states, cutoff) == 0
