"""claim, next_due, has_unfinished: what workers take, in which order, and when."""

from __future__ import annotations

import asyncio
import itertools

from queuectl_core.models import JobSpec, JobState
from queuectl_core.store import Store

from .conftest import OpenStore
from .support import Clock


async def test_claim_takes_higher_priority_first_then_fifo(clocked: Store) -> None:
    await clocked.enqueue(
        [
            JobSpec("1", id="low-1", priority=-1),
            JobSpec("2", id="mid-1"),
            JobSpec("3", id="high-1", priority=5),
            JobSpec("4", id="mid-2"),
            JobSpec("5", id="high-2", priority=5),
        ]
    )
    first = await clocked.claim("w", None, 3, 30)
    assert [j.id for j in first] == ["high-1", "high-2", "mid-1"]
    rest = await clocked.claim("w", None, 10, 30)
    assert [j.id for j in rest] == ["mid-2", "low-1"]
    assert await clocked.claim("w", None, 10, 30) == []


async def test_claim_marks_the_job_and_opens_an_attempt(clocked: Store, clock: Clock) -> None:
    await clocked.enqueue([JobSpec("echo", id="a")])
    clock.advance(5)
    (job,) = await clocked.claim("w1", None, 1, 30)
    assert (job.state, job.attempts, job.runs, job.worker_id) == (JobState.PROCESSING, 1, 1, "w1")
    assert (job.started_at, job.lease_expires_at) == (clock(), clock() + 30)
    assert await clocked.get_job("a") == job
    (attempt,) = await clocked.attempts("a")
    assert (attempt.attempt, attempt.worker_id, attempt.started_at) == (1, "w1", clock())
    assert attempt.finished_at is None
    output = await clocked.output("a")
    assert output is not None and not output.finished and output.stdout == ""


async def test_claim_honours_run_at(clocked: Store, clock: Clock) -> None:
    await clocked.enqueue([JobSpec("later", id="later", run_at=clock() + 60)])
    assert await clocked.claim("w", None, 1, 30) == []
    assert await clocked.next_due(None) == clock() + 60
    clock.advance(59.9)
    assert await clocked.claim("w", None, 1, 30) == []
    clock.advance(0.1)
    assert [j.id for j in await clocked.claim("w", None, 1, 30)] == ["later"]
    assert await clocked.next_due(None) is None


async def test_claim_and_next_due_filter_by_queue(clocked: Store, clock: Clock) -> None:
    await clocked.enqueue(
        [
            JobSpec("a", id="a", queue="alpha"),
            JobSpec("b", id="b", queue="beta", run_at=clock() + 5),
            JobSpec("c", id="c", queue="gamma"),
        ]
    )
    assert await clocked.next_due(["beta"]) == clock() + 5
    assert await clocked.claim("w", ["beta"], 5, 30) == []
    assert [j.id for j in await clocked.claim("w", ["beta", "gamma"], 5, 30)] == ["c"]
    assert [j.id for j in await clocked.claim("w", None, 5, 30)] == ["a"]


async def test_claim_limit(store: Store) -> None:
    await store.enqueue([JobSpec(str(i)) for i in range(5)])
    assert len(await store.claim("w", None, 2, 30)) == 2
    assert len(await store.claim("w", None, 1, 30)) == 1
    assert len(await store.claim("w", None, 10, 30)) == 2


async def test_concurrent_claims_never_hand_out_a_job_twice(
    store: Store, open_more: OpenStore
) -> None:
    total = 120
    await store.enqueue([JobSpec(f"echo {i}") for i in range(total)])
    stores = [store, await open_more(), await open_more()]
    taken: list[str] = []

    async def worker(name: str, s: Store) -> None:
        while batch := await s.claim(name, None, 3, 30):
            taken.extend(job.id for job in batch)

    names = (f"w{i}" for i in itertools.count())
    await asyncio.gather(*(worker(next(names), s) for s in stores for _ in range(4)))
    assert len(taken) == total
    assert len(set(taken)) == total
    assert (await store.counts())[JobState.PROCESSING] == total


async def test_has_unfinished(clocked: Store, clock: Clock) -> None:
    from queuectl_core.models import Finish, Outcome

    assert not await clocked.has_unfinished()
    await clocked.enqueue([JobSpec("x", id="x", max_retries=1)])
    assert await clocked.has_unfinished()
    await clocked.claim("w", None, 1, 30)
    assert await clocked.has_unfinished()  # processing
    await clocked.finish([Finish("x", "w", 1, Outcome(1, "exit 1"))])
    assert await clocked.has_unfinished()  # failed, awaiting its retry
    clock.advance(60)
    await clocked.claim("w", None, 1, 30)
    await clocked.finish([Finish("x", "w", 2, Outcome(1, "exit 1"))])
    assert (await clocked.get_job("x")).state == JobState.DEAD  # type: ignore[union-attr]
    assert not await clocked.has_unfinished()


async def test_has_unfinished_in_some_queues(store: Store) -> None:
    await store.enqueue([JobSpec("x", id="a", queue="reports")])
    assert await store.has_unfinished(["reports", "mail"])
    assert not await store.has_unfinished(["mail"])
    await store.claim("w", ["reports"], 1, 30)
    assert await store.has_unfinished(["reports"])  # processing counts too
