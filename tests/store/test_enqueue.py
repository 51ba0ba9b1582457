"""enqueue, get_job, list_jobs, count_jobs, counts: the producer's side of the contract."""

from __future__ import annotations

import pytest

from queuectl_core.errors import DuplicateJob
from queuectl_core.models import JobSpec, JobState
from queuectl_core.store import Store

from .support import Clock


async def test_enqueue_applies_defaults_and_returns_pending_jobs(
    clocked: Store, clock: Clock
) -> None:
    await clocked.set_config("default_timeout", "7")
    jobs = await clocked.enqueue(
        [
            JobSpec("echo a", id="a"),
            JobSpec("echo b", id="b", max_retries=0, priority=3, timeout=None, timeout_given=True),
            JobSpec("echo c", run_at=clock() + 60, queue="mail", env={"K": "v"}, cwd="/tmp"),
        ]
    )
    a, b, c = jobs
    assert (a.id, a.state, a.attempts, a.runs, a.max_retries, a.timeout) == (
        "a",
        JobState.PENDING,
        0,
        0,
        3,
        7.0,
    )
    assert (a.run_at, a.created_at, a.queue, a.env, a.cwd) == (
        clock(),
        clock(),
        "default",
        {},
        None,
    )
    assert (b.max_retries, b.priority, b.timeout) == (0, 3, None)
    assert c.id and c.run_at == clock() + 60 and c.queue == "mail"
    assert (c.env, c.cwd) == ({"K": "v"}, "/tmp")
    for job in jobs:
        assert await clocked.get_job(job.id) == job


async def test_generated_ids_are_unique_and_time_ordered(store: Store) -> None:
    jobs = await store.enqueue([JobSpec(f"echo {i}") for i in range(50)])
    ids = [job.id for job in jobs]
    assert len(set(ids)) == 50
    assert ids == sorted(ids)


async def test_duplicate_id_in_store_rejects_the_whole_batch(store: Store) -> None:
    (first,) = await store.enqueue([JobSpec("echo first", id="dup")])
    with pytest.raises(DuplicateJob, match="'dup'"):
        await store.enqueue([JobSpec("echo new", id="new"), JobSpec("echo again", id="dup")])
    assert await store.get_job("new") is None
    assert await store.get_job("dup") == first
    assert await store.count_jobs() == 1


async def test_duplicate_id_within_a_batch_writes_nothing(store: Store) -> None:
    with pytest.raises(DuplicateJob, match="'x'"):
        await store.enqueue([JobSpec("1", id="x"), JobSpec("2", id="y"), JobSpec("3", id="x")])
    assert await store.list_jobs() == []
    assert (await store.counts())[JobState.PENDING] == 0


async def test_enqueue_nothing_is_a_no_op(store: Store) -> None:
    assert await store.enqueue([]) == []


async def test_get_unknown_job_is_none(store: Store) -> None:
    assert await store.get_job("nope") is None


async def test_list_jobs_order_filters_and_paging(store: Store) -> None:
    await store.enqueue(
        [JobSpec(f"echo {i}", id=f"j{i}", queue="q1" if i % 2 else "q2") for i in range(6)]
    )
    everything = [j.id for j in await store.list_jobs()]
    assert everything == [f"j{i}" for i in range(6)]
    assert [j.id for j in await store.list_jobs(newest_first=True)] == everything[::-1]
    assert [j.id for j in await store.list_jobs(limit=2, offset=1)] == ["j1", "j2"]
    assert [j.id for j in await store.list_jobs(queue="q1")] == ["j1", "j3", "j5"]
    assert await store.list_jobs(state=JobState.DEAD) == []
    assert len(await store.list_jobs(state=JobState.PENDING)) == 6
    assert await store.count_jobs(queue="q2") == 3
    assert await store.count_jobs(state=JobState.PENDING, queue="q1") == 3


@pytest.mark.parametrize(
    ("needle", "expected"),
    [
        ("50%", ["pct"]),
        ("a_b", ["underscore"]),
        ("it's", ["quote"]),
        ('say "hi"', ["dquote"]),
        ("back\\slash", ["backslash"]),
        ("underscore", ["underscore"]),  # matches the id
        ("%", ["pct"]),
        ("_", ["underscore"]),
        ("nothing-like-this", []),
    ],
)
async def test_search_matches_id_or_command_literally(
    store: Store, needle: str, expected: list[str]
) -> None:
    await store.enqueue(
        [
            JobSpec("echo 50% done", id="pct"),
            JobSpec("echo a_b", id="underscore"),
            JobSpec("echo it's", id="quote"),
            JobSpec('echo say "hi"', id="dquote"),
            JobSpec("echo back\\slash", id="backslash"),
            JobSpec("echo 50 percent axb", id="decoy"),
        ]
    )
    assert [j.id for j in await store.list_jobs(search=needle)] == expected
    assert await store.count_jobs(search=needle) == len(expected)


async def test_counts_have_every_state_and_match_the_listed_jobs(
    clocked: Store, clock: Clock
) -> None:
    await clocked.enqueue([JobSpec(f"echo {i}", max_retries=0) for i in range(7)])
    claimed = await clocked.claim("w", None, 4, 30)
    from queuectl_core.models import Finish, Outcome

    await clocked.finish(
        [
            Finish(claimed[0].id, "w", 1, Outcome(0, None)),
            Finish(claimed[1].id, "w", 1, Outcome(1, "exit 1")),
        ]
    )
    await clocked.cancel([claimed[2].id])
    counts = await clocked.counts()
    assert set(counts) == set(JobState)
    for state in JobState:
        assert counts[state] == len(await clocked.list_jobs(state=state)), state
        assert await clocked.count_jobs(state=state) == counts[state]
    assert counts[JobState.PENDING] == 3 and counts[JobState.DEAD] == 1
    assert await clocked.count_jobs() == 7
