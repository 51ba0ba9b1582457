"""Random walks over dependency graphs: after every step the store claims exactly the jobs whose
dependencies all completed, and no unfinished job waits on a dead or cancelled one."""

from __future__ import annotations

import random

import pytest

from queuectl_core.models import Finish, Job, JobSpec, JobState, Outcome
from queuectl_core.store import Store

from .support import Clock

WAITING_STATES = (JobState.PENDING, JobState.FAILED)
RETRYABLE = (JobState.DEAD, JobState.CANCELLED, JobState.COMPLETED)


async def check(store: Store) -> dict[str, Job]:
    """The invariants; returns the jobs by id."""
    jobs = {job.id: job for job in await store.list_jobs()}
    for job in jobs.values():
        if job.state in WAITING_STATES:
            bad = [d for d in job.after if jobs[d].state in (JobState.DEAD, JobState.CANCELLED)]
            assert not bad, f"{job.id} ({job.state}) waits on {bad}"
    return jobs


def ready(jobs: dict[str, Job]) -> set[str]:
    return {
        job.id
        for job in jobs.values()
        if job.state in WAITING_STATES
        and all(jobs[d].state == JobState.COMPLETED for d in job.after)
    }


async def enqueue_some(store: Store, rng: random.Random, ids: list[str], step: int) -> None:
    """0-3 new jobs, each after 0-2 jobs that exist or come earlier in the batch."""
    new = [f"s{step}-{n}" for n in range(rng.randint(0, 3))]
    specs = []
    for job_id in new:
        pool = ids + [n for n in new if n < job_id]
        after = tuple(rng.sample(pool, min(len(pool), rng.randint(0, 2))))
        specs.append(JobSpec("x", id=job_id, after=after, max_retries=rng.choice([0, 1])))
    if specs:
        await store.enqueue(specs)
        ids += new


async def end_each(store: Store, rng: random.Random, claimed: list[Job]) -> None:
    """Each claimed job succeeds, fails (failed or dead) or is cancelled while running."""
    for job in claimed:
        roll = rng.random()
        if roll < 0.6:
            await store.finish([Finish(job.id, "w", job.runs, Outcome(0, None))])
        elif roll < 0.85:
            await store.finish([Finish(job.id, "w", job.runs, Outcome(1, "exit 1"))])
        else:
            await store.cancel([job.id])


async def operate(store: Store, rng: random.Random, jobs: dict[str, Job]) -> None:
    """Sometimes cancel a waiting job, sometimes retry 1-3 final ones."""
    waiting = [j.id for j in jobs.values() if j.state in WAITING_STATES]
    if waiting and rng.random() < 0.3:
        await store.cancel([rng.choice(waiting)])
    final = [j.id for j in jobs.values() if j.state in RETRYABLE]
    if final and rng.random() < 0.4:
        await store.retry(rng.sample(final, min(len(final), rng.randint(1, 3))))


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_random_walk_keeps_the_waiting_counts_true(
    clocked: Store, clock: Clock, seed: int
) -> None:
    rng = random.Random(seed)
    ids: list[str] = []
    for step in range(40):
        await enqueue_some(clocked, rng, ids, step)
        clock.advance(10_000)  # every backoff has passed
        expected = ready(await check(clocked))
        claimed = await clocked.claim("w", None, 1000, 60)
        assert {j.id for j in claimed} == expected, f"step {step}"
        await end_each(clocked, rng, claimed)
        await operate(clocked, rng, await check(clocked))
        await check(clocked)
