"""``why.explain`` on its own: each reason from the facts that cause it."""

from __future__ import annotations

from dataclasses import replace

from queuectl_core.models import Job, JobState, WorkerInfo
from queuectl_core.why import Code, Facts, explain

NOW = 10_000.0
JOB = Job(
    id="j1",
    command="true",
    state=JobState.PENDING,
    queue="default",
    priority=0,
    attempts=0,
    max_retries=3,
    timeout=None,
    run_at=NOW - 1,
    created_at=NOW - 1,
    updated_at=NOW - 1,
    env={},
    cwd=None,
)
IDLE = WorkerInfo("w1", "host-a", 100, 2, (), NOW - 5, NOW - 1)
BUSY = replace(IDLE, current_jobs=("x1", "x2"))


def codes(facts: Facts) -> list[Code]:
    return [r.code for r in explain(facts)]


def test_a_due_job_with_a_free_slot_is_ready() -> None:
    assert codes(Facts(JOB, NOW, workers=[IDLE])) == [Code.READY]


def test_every_reason_that_holds_is_given() -> None:
    job = replace(JOB, run_at=NOW + 60)
    facts = Facts(job, NOW, workers=[], paused=True, waiting_on=[("a", JobState.PENDING)])
    assert codes(facts) == [Code.SCHEDULED, Code.DEPENDENCIES, Code.QUEUE_PAUSED, Code.NO_WORKER]


def test_a_failed_job_before_its_retry_is_backing_off() -> None:
    job = replace(JOB, state=JobState.FAILED, attempts=1, run_at=NOW + 4, last_error="exit 3")
    [reason] = explain(Facts(job, NOW, workers=[IDLE]))
    assert reason.code is Code.BACKOFF
    assert "attempt 1 of 4 failed (exit 3)" in reason.message


def test_no_worker_names_the_queues_live_workers_serve() -> None:
    other = replace(IDLE, queues=("mail", "video"))
    [reason] = explain(Facts(JOB, NOW, workers=[other]))
    assert reason.code is Code.NO_WORKER
    assert "mail, video" in reason.message


def test_busy_counts_slots_and_jobs_ahead() -> None:
    [reason] = explain(Facts(JOB, NOW, workers=[BUSY], ahead=7))
    assert reason.code is Code.BUSY
    assert "all 2 slot(s)" in reason.message and "7 job(s) ahead" in reason.message


def test_concurrency_limit_names_what_runs() -> None:
    facts = Facts(JOB, NOW, workers=[IDLE], concurrency=2, running_in_queue=["r1", "r2"])
    [reason] = explain(facts)
    assert reason.code is Code.CONCURRENCY_LIMIT
    assert "r1, r2" in reason.message and "limit of 2" in reason.message


def test_running_says_where_and_for_how_long() -> None:
    job = replace(
        JOB,
        state=JobState.PROCESSING,
        worker_id="w1",
        started_at=NOW - 12,
        lease_expires_at=NOW + 30,
    )
    [reason] = explain(Facts(job, NOW, workers=[IDLE], pid=4242))
    assert reason.code is Code.RUNNING
    assert "w1 (host-a)" in reason.message and "pid 4242" in reason.message
    assert "for 12s" in reason.message


def test_final_states_say_how_it_ended_and_how_to_retry() -> None:
    dead = replace(JOB, state=JobState.DEAD, attempts=4, last_error="exit 1", finished_at=NOW)
    [reason] = explain(Facts(dead, NOW))
    assert (reason.code, "queuectl retry j1" in reason.message) == (Code.DEAD, True)
    for state, code in ((JobState.COMPLETED, Code.COMPLETED), (JobState.CANCELLED, Code.CANCELLED)):
        assert codes(Facts(replace(JOB, state=state), NOW)) == [code]


def test_odd_stored_times_never_fail() -> None:
    for moment in (float("inf"), float("-inf"), float("nan"), 1e300, -1e300):
        job = replace(JOB, run_at=moment, started_at=moment, lease_expires_at=moment)
        assert explain(Facts(job, NOW, workers=[IDLE]))
        assert explain(Facts(replace(job, state=JobState.PROCESSING), NOW))
        assert explain(Facts(replace(job, state=JobState.DEAD, finished_at=moment), NOW))
