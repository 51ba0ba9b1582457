"""cancel, retry, retry_all_dead, purge, metrics: the operator's side of the contract."""

from __future__ import annotations

import pytest

from queuectl_core.errors import InvalidState, JobNotFound
from queuectl_core.models import Finish, Job, JobSpec, JobState, Outcome
from queuectl_core.store import Store

from .support import Clock


async def _job(store: Store, job_id: str) -> Job:
    job = await store.get_job(job_id)
    assert job is not None
    return job


async def _make_dead(store: Store, job_id: str) -> None:
    await store.enqueue([JobSpec("false", id=job_id, max_retries=0)])
    (job,) = await store.claim("w", None, 1, 30)
    await store.finish([Finish(job.id, "w", job.runs, Outcome(1, "exit 1"))])
    assert (await _job(store, job_id)).state == JobState.DEAD


async def test_cancel_pending_and_processing_jobs(clocked: Store, clock: Clock) -> None:
    await clocked.enqueue([JobSpec("sleep 9", id="run"), JobSpec("echo", id="wait")])
    await clocked.claim("w", None, 1, 30)
    clock.advance(4)
    cancelled = await clocked.cancel(["wait", "run", "wait"])
    assert [j.id for j in cancelled] == ["wait", "run"]
    for job in cancelled:
        assert (job.state, job.finished_at, job.lease_expires_at) == (
            JobState.CANCELLED,
            clock(),
            None,
        )
        assert job == await clocked.get_job(job.id)
    (attempt,) = await clocked.attempts("run")
    assert (attempt.finished_at, attempt.error) == (clock(), "cancelled")
    # The worker that ran it is fenced off now.
    assert await clocked.finish([Finish("run", "w", 1, Outcome(0, None))]) == [False]
    assert (await clocked.heartbeat("w", [("run", 1)], 30)).lost_jobs == {"run"}


async def test_cancel_a_failed_job_waiting_for_its_retry(store: Store) -> None:
    await store.enqueue([JobSpec("false", id="f")])
    await store.claim("w", None, 1, 30)
    await store.finish([Finish("f", "w", 1, Outcome(1, "exit 1"))])
    (job,) = await store.cancel(["f"])
    assert job.state == JobState.CANCELLED


async def test_cancel_is_all_or_nothing(store: Store) -> None:
    await store.enqueue([JobSpec("echo", id="ok"), JobSpec("echo", id="done")])
    await store.claim("w", None, 1, 30)  # "ok" is processing now
    await store.finish([Finish("ok", "w", 1, Outcome(0, None))])
    await store.enqueue([JobSpec("echo", id="p")])
    with pytest.raises(JobNotFound, match="'nope'"):
        await store.cancel(["p", "nope"])
    with pytest.raises(InvalidState, match="'ok' is completed"):
        await store.cancel(["p", "ok"])
    assert (await _job(store, "p")).state == JobState.PENDING
    assert (await store.counts())[JobState.CANCELLED] == 0


async def test_retry_dead_jobs_resets_attempts_but_not_runs(clocked: Store, clock: Clock) -> None:
    await _make_dead(clocked, "d")
    clock.advance(100)
    (job,) = await clocked.retry(["d"])
    assert (job.state, job.attempts, job.runs, job.run_at) == (JobState.PENDING, 0, 1, clock())
    (again,) = await clocked.claim("w2", None, 1, 30)
    assert (again.attempts, again.runs) == (1, 2)
    assert [a.attempt for a in await clocked.attempts("d")] == [1, 2]


async def test_retry_failed_jobs_only_outside_the_dlq(clocked: Store, clock: Clock) -> None:
    await clocked.enqueue([JobSpec("false", id="f")])
    await clocked.claim("w", None, 1, 30)
    await clocked.finish([Finish("f", "w", 1, Outcome(1, "exit 1"))])
    with pytest.raises(InvalidState, match="'f' is failed"):
        await clocked.retry(["f"], dead_only=True)
    (job,) = await clocked.retry(["f"])
    assert (job.state, job.attempts, job.run_at) == (JobState.PENDING, 1, clock())


async def test_retry_is_all_or_nothing(store: Store) -> None:
    await _make_dead(store, "d")
    await store.enqueue([JobSpec("echo", id="p")])
    with pytest.raises(InvalidState, match="'p' is pending"):
        await store.retry(["d", "p"])
    with pytest.raises(JobNotFound, match="'zz'"):
        await store.retry(["d", "zz"])
    assert (await _job(store, "d")).state == JobState.DEAD


async def test_retry_all_dead(store: Store) -> None:
    assert await store.retry_all_dead() == 0
    for name in ("d1", "d2", "d3"):
        await _make_dead(store, name)
    assert await store.retry_all_dead() == 3
    counts = await store.counts()
    assert (counts[JobState.DEAD], counts[JobState.PENDING]) == (0, 3)
    assert {j.attempts for j in await store.list_jobs()} == {0}


async def test_purge_deletes_old_finished_jobs_with_their_history(
    clocked: Store, clock: Clock
) -> None:
    await _make_dead(clocked, "old-dead")
    await clocked.enqueue([JobSpec("echo", id="old-done")])
    await clocked.claim("w", None, 1, 30)
    await clocked.finish([Finish("old-done", "w", 1, Outcome(0, None, "out", ""))])
    clock.advance(3600)
    cutoff = clock()
    await _make_dead(clocked, "new-dead")
    await clocked.enqueue([JobSpec("echo", id="pending")])
    assert await clocked.purge([JobState.COMPLETED, JobState.DEAD], cutoff) == 2
    assert [j.id for j in await clocked.list_jobs()] == ["new-dead", "pending"]
    assert await clocked.attempts("old-done") == []
    assert await clocked.output("old-done") is None
    assert await clocked.purge([JobState.COMPLETED], cutoff + 10) == 0
    counts = await clocked.counts()
    assert (counts[JobState.DEAD], counts[JobState.COMPLETED], counts[JobState.PENDING]) == (
        1,
        0,
        1,
    )


async def test_metrics(clocked: Store, clock: Clock) -> None:
    empty = await clocked.metrics()
    assert empty.success_rate is None and empty.completed_last_hour == 0
    await clocked.enqueue([JobSpec(str(i), id=f"j{i}", max_retries=0) for i in range(4)])
    for seconds, code in ((1.0, 0), (3.0, 0), (2.0, 1)):
        (job,) = await clocked.claim("w", None, 1, 30)
        clock.advance(seconds)
        error = None if code == 0 else "exit 1"
        await clocked.finish([Finish(job.id, "w", 1, Outcome(code, error))])
    metrics = await clocked.metrics()
    assert metrics.counts == {
        "pending": 1,
        "processing": 0,
        "completed": 2,
        "failed": 0,
        "dead": 1,
        "cancelled": 0,
    }
    assert metrics.success_rate == pytest.approx(2 / 3)
    assert metrics.duration_mean == pytest.approx(2.0)
    assert metrics.duration_p50 in (pytest.approx(1.0), pytest.approx(3.0))
    assert metrics.completed_last_hour == 2 and sum(metrics.per_minute_last_hour) == 2
