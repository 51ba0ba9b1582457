"""Bulk enqueue: batches larger than one INSERT statement stay one all-or-nothing transaction."""

from __future__ import annotations

import pytest

from queuectl_core.errors import DuplicateJob
from queuectl_core.models import JobSpec, JobState
from queuectl_core.store import Store
from queuectl_core.store.postgres_insert import CHUNK
from queuectl_core.store.sqlite_sql import INSERT_ROWS

from .support import Clock

#: Enough jobs for three INSERT statements on either store (SQLite's statements, PostgreSQL's
#: overlapped chunks), the last one partial.
COUNT = 2 * max(INSERT_ROWS, CHUNK) + 37


def _specs(clock: Clock) -> list[JobSpec]:
    return [
        JobSpec(
            f"echo {i}",
            priority=i % 3,
            delay=float(i % 5) if i % 2 else None,
            run_at=clock() + 30 if i % 7 == 0 else None,
            env={"N": str(i)} if i % 11 == 0 else {},
            cwd="/tmp" if i % 13 == 0 else None,
            queue="bulk" if i % 17 == 0 else "default",
        )
        for i in range(COUNT)
    ]


async def test_a_large_batch_is_stored_as_returned_and_counted(
    clocked: Store, clock: Clock
) -> None:
    jobs = await clocked.enqueue(_specs(clock))
    assert [job.command for job in jobs] == [f"echo {i}" for i in range(COUNT)]
    ids = [job.id for job in jobs]
    assert len(set(ids)) == COUNT and ids == sorted(ids)
    assert len({job.created_at for job in jobs}) == 1  # one batch, one time
    for job in jobs[:: INSERT_ROWS // 7]:
        assert await clocked.get_job(job.id) == job
    assert await clocked.get_job(jobs[-1].id) == jobs[-1]
    counts = await clocked.counts()
    assert counts[JobState.PENDING] == COUNT and sum(counts.values()) == COUNT
    assert await clocked.count_jobs(queue="bulk") == sum(j.queue == "bulk" for j in jobs)


async def test_a_duplicate_in_a_later_statement_rejects_the_whole_batch(store: Store) -> None:
    (first,) = await store.enqueue([JobSpec("echo first", id="dup")])
    specs = [JobSpec(f"echo {i}") for i in range(COUNT)]
    specs[-1] = JobSpec("echo again", id="dup")
    with pytest.raises(DuplicateJob, match="'dup'"):
        await store.enqueue(specs)
    counts = await store.counts()
    assert sum(counts.values()) == 1 and counts[JobState.PENDING] == 1
    assert await store.get_job("dup") == first


async def test_a_repeated_id_within_one_batch_is_rejected(store: Store) -> None:
    specs = [JobSpec(f"echo {i}", id=f"j{i}") for i in range(COUNT)]
    specs[INSERT_ROWS + 3] = JobSpec("echo twin", id="j1")
    with pytest.raises(DuplicateJob):
        await store.enqueue(specs)
    assert sum((await store.counts()).values()) == 0
