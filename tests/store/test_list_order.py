"""``list_jobs`` orders: every sort key, both directions, ties in enqueue order, and limits."""

from __future__ import annotations

from queuectl_core.models import JobSort, JobSpec, JobState
from queuectl_core.store import Store

from .support import Clock


async def _seed(store: Store, clock: Clock) -> None:
    specs = [("b", 1, "q2"), ("a", 5, "q1"), ("d", 1, "q1"), ("c", -2, "q3")]
    for job_id, priority, queue in specs:
        await store.enqueue([JobSpec("true", id=job_id, priority=priority, queue=queue)])
        clock.advance(1)
    await store.cancel(["a"])  # updated last
    clock.advance(1)
    await store.cancel(["d"])


async def _ids(store: Store, sort: JobSort, descending: bool, limit: int | None = None) -> str:
    jobs = await store.list_jobs(sort=sort, newest_first=descending, limit=limit)
    return "".join(j.id for j in jobs)


async def test_every_sort_key_in_both_directions(clocked: Store, clock: Clock) -> None:
    await _seed(clocked, clock)
    expected = {
        JobSort.CREATED: "badc",
        JobSort.UPDATED: "bcad",  # b and c keep their enqueue time; then a, then d
        JobSort.ID: "abcd",
        JobSort.PRIORITY: "cbda",  # ties (b, d) in enqueue order
        JobSort.STATE: "bcad",  # pending before cancelled; ties in enqueue order
        JobSort.QUEUE: "adbc",
    }
    for sort, ascending in expected.items():
        assert await _ids(clocked, sort, False) == ascending, sort
        assert await _ids(clocked, sort, True) == ascending[::-1], sort


async def test_limit_takes_the_first_in_the_chosen_order(clocked: Store, clock: Clock) -> None:
    await _seed(clocked, clock)
    assert await _ids(clocked, JobSort.CREATED, True, limit=2) == "cd"
    assert await _ids(clocked, JobSort.PRIORITY, True, limit=1) == "a"
    assert [j.state for j in await clocked.list_jobs(sort=JobSort.STATE, limit=1)] == [
        JobState.PENDING
    ]
