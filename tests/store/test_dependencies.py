"""Dependencies (``after``) and unique keys (DESIGN §10), on every store."""

from __future__ import annotations

import json
import sqlite3

import asyncpg
import pytest

from queuectl_core.errors import InvalidState, JobNotFound
from queuectl_core.models import Dependency, Finish, JobSpec, JobState, Outcome
from queuectl_core.store import Store

from .support import Clock


async def run(store: Store, job_id: str, ok: bool = True) -> None:
    """Claim ``job_id`` (it must be the first claimable job) and finish it."""
    claimed = await store.claim("w", None, 1, 30)
    assert [j.id for j in claimed] == [job_id]
    outcome = Outcome(0, None) if ok else Outcome(1, "exit 1")
    assert await store.finish([Finish(job_id, "w", claimed[0].runs, outcome)]) == [True]


async def states(store: Store, *ids: str) -> list[JobState]:
    jobs = [await store.get_job(job_id) for job_id in ids]
    return [job.state for job in jobs if job is not None]


async def test_unknown_dependency_is_rejected_and_nothing_written(clocked: Store) -> None:
    await clocked.enqueue([JobSpec("a", id="a")])
    with pytest.raises(JobNotFound, match="'ghost'"):
        await clocked.enqueue([JobSpec("b", id="b", after=("a",)), JobSpec("c", after=("ghost",))])
    assert [j.id for j in await clocked.list_jobs()] == ["a"]
    # A later line of the batch is not "earlier": the same rejection.
    with pytest.raises(JobNotFound, match="'d'"):
        await clocked.enqueue([JobSpec("c", id="c", after=("d",)), JobSpec("d", id="d")])
    assert await clocked.count_jobs() == 1


async def test_claim_skips_waiting_jobs_until_dependencies_complete(
    clocked: Store, clock: Clock
) -> None:
    await clocked.enqueue(
        [
            JobSpec("a", id="a"),
            JobSpec("b", id="b", after=("a",), priority=9),
            JobSpec("c", id="c", after=("a", "b")),
        ]
    )
    job = await clocked.get_job("c")
    assert job is not None and job.after == ("a", "b")
    assert await clocked.next_due(None) is not None
    await run(clocked, "a")  # b outranks a, yet only a is claimable
    assert await clocked.has_unfinished()
    await run(clocked, "b")
    await run(clocked, "c")
    assert await clocked.claim("w", None, 10, 30) == []
    assert not await clocked.has_unfinished()


async def test_dependency_on_a_completed_job_does_not_wait(clocked: Store) -> None:
    await clocked.enqueue([JobSpec("a", id="a")])
    await run(clocked, "a")
    await clocked.enqueue([JobSpec("b", id="b", after=("a",))])
    await run(clocked, "b")
    assert await clocked.dependencies("b") == [Dependency("a", JobState.COMPLETED)]


async def test_dead_dependency_cancels_dependents_transitively(clocked: Store) -> None:
    await clocked.enqueue(
        [
            JobSpec("a", id="a", max_retries=0),
            JobSpec("b", id="b", after=("a",)),
            JobSpec("c", id="c", after=("b",)),
            JobSpec("x", id="x", priority=-1),
        ]
    )
    await run(clocked, "a", ok=False)
    jobs = {j.id: j for j in await clocked.list_jobs()}
    assert jobs["a"].state == JobState.DEAD
    assert (jobs["b"].state, jobs["b"].last_error) == (JobState.CANCELLED, "dependency a is dead")
    assert (jobs["c"].state, jobs["c"].last_error) == (
        JobState.CANCELLED,
        "dependency b is cancelled",
    )
    assert jobs["x"].state == JobState.PENDING
    assert await clocked.dependencies("c") == [Dependency("b", JobState.CANCELLED)]


async def test_cancelled_dependency_cancels_dependents(clocked: Store) -> None:
    await clocked.enqueue([JobSpec("a", id="a"), JobSpec("b", id="b", after=("a",))])
    await clocked.cancel(["a"])
    job = await clocked.get_job("b")
    assert job is not None
    assert (job.state, job.last_error) == (JobState.CANCELLED, "dependency a is cancelled")
    # Naming a job that is already cancelled: the new job is cancelled at once.
    (added,) = await clocked.add_jobs([JobSpec("c", id="c", after=("a",))])
    assert (added.job.state, added.job.last_error) == (
        JobState.CANCELLED,
        "dependency a is cancelled",
    )


async def test_retried_dependents_wait_again(clocked: Store) -> None:
    await clocked.enqueue([JobSpec("a", id="a", max_retries=0), JobSpec("b", id="b", after=("a",))])
    await run(clocked, "a", ok=False)
    # Retrying the dependent alone while its dependency is dead: cancelled again at once.
    (b,) = await clocked.retry(["b"])
    assert (b.state, b.last_error) == (JobState.CANCELLED, "dependency a is dead")
    # Retrying both: b waits for a again instead of running.
    await clocked.retry(["a", "b"])
    assert await states(clocked, "a", "b") == [JobState.PENDING, JobState.PENDING]
    await run(clocked, "a")
    await run(clocked, "b")


async def test_retrying_a_completed_dependency_holds_back_waiting_jobs(clocked: Store) -> None:
    await clocked.enqueue([JobSpec("a", id="a"), JobSpec("z", id="z")])
    await clocked.enqueue([JobSpec("b", id="b", after=("a", "z"))])
    await run(clocked, "a")
    await clocked.retry(["a"])  # a is pending again, so b waits for it (and z)
    claimed = await clocked.claim("w", None, 10, 30)
    assert sorted(j.id for j in claimed) == ["a", "z"]


async def test_unique_key_creates_one_job_until_it_is_final(clocked: Store) -> None:
    (first,) = await clocked.add_jobs([JobSpec("a", id="a", unique_key="k")])
    (again,) = await clocked.add_jobs([JobSpec("b", id="b", unique_key="k")])
    assert first.created and not again.created and again.job.id == "a"
    assert await clocked.get_job("b") is None
    await run(clocked, "a")
    (freed,) = await clocked.add_jobs([JobSpec("c", id="c", unique_key="k")])
    assert freed.created and freed.job.unique_key == "k"


async def test_every_field_survives_the_one_at_a_time_insert(clocked: Store, clock: Clock) -> None:
    spec = JobSpec("c", id="c", priority=-3, max_retries=7, timeout=2.5, timeout_given=True,
                   delay=0.5, queue="q", env={"A": "b"}, cwd="/tmp", unique_key="k")  # fmt: skip
    (added,) = await clocked.add_jobs([spec])
    job = await clocked.get_job("c")
    assert job is not None and added.job == job
    assert (job.priority, job.max_retries, job.timeout, job.run_at) == (-3, 7, 2.5, clock() + 0.5)
    assert (job.queue, job.env, job.cwd, job.unique_key) == ("q", {"A": "b"}, "/tmp", "k")


async def test_unique_key_within_a_batch_first_wins(clocked: Store) -> None:
    added = await clocked.add_jobs(
        [
            JobSpec("a", id="a", unique_key="k"),
            JobSpec("b", id="b", unique_key="k"),
            JobSpec("c", id="c", after=("b",)),
        ]
    )
    assert [(a.job.id, a.created) for a in added] == [("a", True), ("a", False), ("c", True)]
    assert added[2].job.after == ("a",)  # b stood for a
    assert await clocked.count_jobs() == 2


async def test_retry_that_would_duplicate_a_unique_key_is_refused(clocked: Store) -> None:
    await clocked.enqueue([JobSpec("a", id="a", unique_key="k", max_retries=0)])
    await run(clocked, "a", ok=False)
    await clocked.enqueue([JobSpec("b", id="b", unique_key="k")])
    with pytest.raises(InvalidState, match="unique key"):
        await clocked.retry(["a"])
    assert await states(clocked, "a", "b") == [JobState.DEAD, JobState.PENDING]


async def test_a_batch_naming_a_dead_job_is_cancelled_down_its_chain(clocked: Store) -> None:
    await clocked.enqueue([JobSpec("a", id="a", max_retries=0)])
    await run(clocked, "a", ok=False)
    added = await clocked.add_jobs(
        [JobSpec("b", id="b", after=("a",)), JobSpec("c", id="c", after=("b",))]
    )
    assert [(a.job.state, a.job.last_error) for a in added] == [
        (JobState.CANCELLED, "dependency a is dead"),
        (JobState.CANCELLED, "dependency b is cancelled"),
    ]
    assert not await clocked.has_unfinished()


async def test_retry_of_every_dead_job_keeps_unique_keys_unique(clocked: Store) -> None:
    await clocked.enqueue([JobSpec("a", id="a", unique_key="k", max_retries=0)])
    await run(clocked, "a", ok=False)
    await clocked.enqueue([JobSpec("b", id="b", unique_key="k")])
    with pytest.raises(InvalidState, match="every dead job"):
        await clocked.retry_all_dead()
    assert await states(clocked, "a", "b") == [JobState.DEAD, JobState.PENDING]


async def test_waiting_jobs_are_not_ahead_in_the_claim_order(clocked: Store) -> None:
    await clocked.enqueue(
        [
            JobSpec("x", id="x"),
            JobSpec("w", id="w", after=("x",), priority=9),
            JobSpec("me", id="me", priority=1),
        ]
    )
    assert await clocked.jobs_ahead("me") == 0
    assert await clocked.jobs_ahead("x") == 1


async def test_a_long_hand_written_dependency_list_still_reads(
    store: Store, store_url: str
) -> None:
    """No stored value may make a read fail: 40,000 ids is past SQLite's parameter limit."""
    await store.enqueue([JobSpec("a", id="a"), JobSpec("b", id="b")])
    ids = ["a", *(f"gone-{n}" for n in range(40_000))]
    if store_url.startswith("postgresql://"):
        conn = await asyncpg.connect(store_url)
        await conn.execute(
            "UPDATE queuectl.jobs SET after_ids = $1 WHERE id = 'b'", json.dumps(ids)
        )
        await conn.close()
    else:
        with sqlite3.connect(store_url) as conn:
            conn.execute("UPDATE jobs SET after_ids = ? WHERE id = 'b'", (json.dumps(ids),))
    deps = await store.dependencies("b")
    assert len(deps) == 40_001 and deps[0] == Dependency("a", JobState.PENDING)
    assert deps[-1] == Dependency("gone-39999", None)


async def test_bulk_retry_keeps_dependencies_and_unique_keys(clocked: Store) -> None:
    """Retry by filter (``retry --state ...``) follows the same rules as retry by id."""
    from queuectl_core.insight import BulkAction, JobFilter

    await clocked.enqueue([JobSpec("a", id="a", max_retries=0), JobSpec("b", id="b", after=("a",))])
    await run(clocked, "a", ok=False)  # a dead: b cancelled
    assert await states(clocked, "a", "b") == [JobState.DEAD, JobState.CANCELLED]
    # Only the dependent: its dependency is still dead, so it is cancelled again at once.
    cancelled = JobFilter(states=(JobState.CANCELLED,))
    assert await clocked.change_matching(BulkAction.RETRY, cancelled) == 1
    assert await states(clocked, "a", "b") == [JobState.DEAD, JobState.CANCELLED]
    # Both: b waits for a's new run instead of running first.
    both = JobFilter(ids=("a", "b"))
    assert await clocked.change_matching(BulkAction.RETRY, both) == 2
    await run(clocked, "a")
    await run(clocked, "b")
    # A retry that would make a second unfinished job of one key changes nothing.
    await clocked.enqueue([JobSpec("k1", id="k1", unique_key="k", max_retries=0)])
    await run(clocked, "k1", ok=False)
    await clocked.enqueue([JobSpec("k2", id="k2", unique_key="k")])
    with pytest.raises(InvalidState):
        await clocked.change_matching(BulkAction.RETRY, JobFilter(ids=("k1",)))
    assert await states(clocked, "k1", "k2") == [JobState.DEAD, JobState.PENDING]
