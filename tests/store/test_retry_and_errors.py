"""``retry`` (every final state, and failed) and the exact error texts, the same on both stores."""

from __future__ import annotations

import pytest

from queuectl_core.errors import DuplicateJob, InvalidInput, InvalidState, JobNotFound, QueueError
from queuectl_core.models import Finish, Job, JobSpec, JobState, Outcome
from queuectl_core.store import Store

from .support import Clock


async def _job(store: Store, job_id: str) -> Job:
    job = await store.get_job(job_id)
    assert job is not None
    return job


async def _run(store: Store, job_id: str, outcome: Outcome) -> None:
    (job,) = await store.claim("w", None, 1, 30)
    assert job.id == job_id
    await store.finish([Finish(job.id, "w", job.runs, outcome)])


async def test_retry_restarts_completed_cancelled_and_dead_jobs(
    clocked: Store, clock: Clock
) -> None:
    await clocked.enqueue([JobSpec("true", id="done", max_retries=0)])
    await _run(clocked, "done", Outcome(0, None))
    await clocked.enqueue([JobSpec("false", id="dead", max_retries=0)])
    await _run(clocked, "dead", Outcome(1, "exit 1"))
    await clocked.enqueue([JobSpec("sleep 9", id="gone")])
    await clocked.cancel(["gone"])
    clock.advance(50)
    retried = await clocked.retry(["done", "dead", "gone"])
    assert [(j.id, j.state, j.attempts, j.run_at) for j in retried] == [
        ("done", JobState.PENDING, 0, clock()),
        ("dead", JobState.PENDING, 0, clock()),
        ("gone", JobState.PENDING, 0, clock()),
    ]
    # History is kept and continues: the next run is attempt 2 of "done".
    await _run(clocked, "done", Outcome(0, None))
    assert [a.attempt for a in await clocked.attempts("done")] == [1, 2]
    assert (await _job(clocked, "done")).state == JobState.COMPLETED


async def test_retry_runs_a_failed_job_now_keeping_its_attempts(
    clocked: Store, clock: Clock
) -> None:
    await clocked.enqueue([JobSpec("false", id="f", max_retries=3)])
    await _run(clocked, "f", Outcome(1, "exit 1"))
    waiting = await _job(clocked, "f")
    assert waiting.state == JobState.FAILED and waiting.run_at > clock()
    (job,) = await clocked.retry(["f"])
    assert (job.state, job.attempts, job.run_at) == (JobState.PENDING, 1, clock())


async def test_retry_refuses_pending_and_processing_and_changes_nothing(store: Store) -> None:
    await store.enqueue([JobSpec("true", id="p"), JobSpec("true", id="q")])
    await store.claim("w", None, 1, 30)  # "p" is processing
    await store.enqueue([JobSpec("false", id="d", max_retries=0)])
    before = await store.list_jobs()
    for ids, text in [
        (
            ["p"],
            "job 'p' is processing; only dead, cancelled, completed, failed jobs can be retried",
        ),
        (["q"], "job 'q' is pending; only dead, cancelled, completed, failed jobs can be retried"),
    ]:
        with pytest.raises(InvalidState) as caught:
            await store.retry(ids)
        assert str(caught.value) == text
    assert await store.list_jobs() == before


ERRORS = [
    ("duplicate in the store", DuplicateJob, "job 'a' already exists"),
    ("duplicate in the batch", DuplicateJob, "job id 'x' appears twice in the input"),
    ("cancel unknown", JobNotFound, "no job with id 'nope'"),
    (
        "cancel completed",
        InvalidState,
        "job 'done' is completed; only pending, failed, processing jobs can be cancelled",
    ),
    ("retry unknown", JobNotFound, "no job with id 'nope'"),
    ("dlq retry pending", InvalidState, "job 'a' is pending; only dead jobs can be retried"),
    (
        "config key",
        InvalidInput,
        "unknown config key 'nope' (known: max_retries, backoff_base, backoff_max, "
        "default_timeout, output_limit, poll_interval_ms, heartbeat_interval, lease_timeout, "
        "retention_completed, retention_dead, retention_cancelled)",
    ),
    ("config value", InvalidInput, "max_retries must be >= 0, got '-1'"),
    ("config bound", InvalidInput, "max_retries must be <= 1000000000, got '1e10'"),
    (
        "config pair",
        InvalidInput,
        "lease_timeout must be greater than heartbeat_interval (30 <= 30)",
    ),
]


async def _provoke(store: Store, case: str) -> None:
    calls = {
        "duplicate in the store": lambda: store.enqueue(
            [JobSpec("1", id="b"), JobSpec("2", id="a")]
        ),
        "duplicate in the batch": lambda: store.enqueue(
            [JobSpec("1", id="x"), JobSpec("2", id="y"), JobSpec("3", id="x")]
        ),
        "cancel unknown": lambda: store.cancel(["a", "nope"]),
        "cancel completed": lambda: store.cancel(["done"]),
        "retry unknown": lambda: store.retry(["done", "nope"]),
        "dlq retry pending": lambda: store.retry(["a"], dead_only=True),
        "config key": lambda: store.set_config("nope", "1"),
        "config value": lambda: store.set_config("max-retries", "-1"),
        "config bound": lambda: store.set_config("max_retries", "1e10"),
        "config pair": lambda: store.set_config("heartbeat_interval", "30"),
    }
    await calls[case]()


@pytest.mark.parametrize(("case", "kind", "text"), ERRORS, ids=[e[0] for e in ERRORS])
async def test_error_texts_are_part_of_the_contract(
    store: Store, case: str, kind: type[QueueError], text: str
) -> None:
    await store.enqueue([JobSpec("true", id="done")])
    await _run(store, "done", Outcome(0, None))
    await store.enqueue([JobSpec("true", id="a")])
    before = await store.list_jobs()
    with pytest.raises(kind) as caught:
        await _provoke(store, case)
    assert str(caught.value) == text
    assert await store.list_jobs() == before
