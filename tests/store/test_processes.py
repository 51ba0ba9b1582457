"""Process view, operator signals and Prometheus figures: samples published by workers,
signal requests delivered through the store, counters that never go down."""

from __future__ import annotations

import pytest

from queuectl_core.errors import InvalidState, JobNotFound
from queuectl_core.models import Finish, JobSpec, JobState, Outcome, WorkerInfo
from queuectl_core.processes import JobSignal, ProcessSample, SignalAck
from queuectl_core.store import Store

from .support import Clock


async def _running(store: Store, job_id: str = "j", worker: str = "w", **spec: object) -> int:
    await store.register_worker(WorkerInfo(worker, "host-a", 4242, 2, (), 0.0, 0.0))
    await store.enqueue([JobSpec("sleep 9", id=job_id, **spec)])  # type: ignore[arg-type]
    (job,) = await store.claim(worker, None, 1, 30)
    return job.runs


def _sample(job_id: str, run: int, at: float, pid: int = 777) -> ProcessSample:
    return ProcessSample(job_id, run, pid, 3, 12.5, 4096 * 1000, at)


async def test_published_samples_show_in_running_jobs(clocked: Store, clock: Clock) -> None:
    run = await _running(clocked, timeout=60.0, timeout_given=True, queue="mail")
    (before,) = await clocked.running_jobs()
    assert (before.id, before.worker, before.host, before.sample) == ("j", "w", "host-a", None)
    assert (before.queue, before.timeout, before.started_at) == ("mail", 60.0, clock())
    clock.advance(2)
    assert await clocked.publish_processes("w", [_sample("j", run, clock())]) == []
    (row,) = await clocked.running_jobs()
    assert row.sample == _sample("j", run, clock())
    # A sample of an earlier run of the job is not this run's.
    await clocked.publish_processes("w", [_sample("j", run - 1, clock())])
    assert (await clocked.running_jobs())[0].sample is None


async def test_finished_jobs_leave_the_process_view(clocked: Store, clock: Clock) -> None:
    run = await _running(clocked)
    await clocked.publish_processes("w", [_sample("j", run, clock())])
    await clocked.finish([Finish("j", "w", run, Outcome(0, None))])
    assert await clocked.running_jobs() == []


async def test_signal_requests_reach_the_owning_worker_only(clocked: Store, clock: Clock) -> None:
    run = await _running(clocked)
    await clocked.register_worker(WorkerInfo("other", "host-b", 1, 1, (), 0.0, 0.0))
    request = await clocked.request_signal("j", JobSignal.STOP)
    status = await clocked.signal_status(request)
    assert (status.acked, status.error, status.running) == (False, None, True)
    assert await clocked.publish_processes("other", []) == []
    (pending,) = await clocked.publish_processes("w", [_sample("j", run, clock())])
    assert (pending.id, pending.job_id, pending.run, pending.signal) == (
        request,
        "j",
        run,
        JobSignal.STOP,
    )
    await clocked.ack_signals([SignalAck(request, None)])
    status = await clocked.signal_status(request)
    assert (status.acked, status.error, status.running) == (True, None, True)
    assert await clocked.publish_processes("w", []) == []  # answered: not handed out again


async def test_failed_delivery_is_reported(clocked: Store) -> None:
    await _running(clocked)
    request = await clocked.request_signal("j", JobSignal.KILL)
    await clocked.ack_signals([SignalAck(request, "gone")])
    status = await clocked.signal_status(request)
    assert (status.acked, status.error) == (True, "gone")


async def test_a_request_outlived_by_its_run_is_not_running(clocked: Store) -> None:
    run = await _running(clocked)
    request = await clocked.request_signal("j", JobSignal.TERM)
    await clocked.finish([Finish("j", "w", run, Outcome(1, "exit 1"))])
    status = await clocked.signal_status(request)
    assert (status.acked, status.running) == (False, False)
    assert await clocked.publish_processes("w", []) == []


async def test_only_running_jobs_can_be_signalled(clocked: Store) -> None:
    with pytest.raises(JobNotFound, match="no job with id 'nope'"):
        await clocked.request_signal("nope", JobSignal.TERM)
    await clocked.enqueue([JobSpec("true", id="waiting")])
    with pytest.raises(InvalidState, match="only processing jobs can be signalled"):
        await clocked.request_signal("waiting", JobSignal.TERM)


async def test_figures_count_jobs_by_queue_and_state(clocked: Store, clock: Clock) -> None:
    await clocked.enqueue([JobSpec("true", id="a", queue="mail"), JobSpec("true", id="b")])
    await clocked.enqueue([JobSpec("true", id="later", delay=3600)])
    clock.advance(5)
    await clocked.register_worker(WorkerInfo("w", "h", 1, 1, (), 0.0, 0.0))
    figures = await clocked.figures()
    assert figures.jobs == {("mail", "pending"): 1, ("default", "pending"): 2}
    assert figures.oldest_due == {"mail": clock() - 5, "default": clock() - 5}
    assert figures.workers == 1
    assert figures.counters == {}


async def test_counters_grow_with_finishes_and_survive_purge(clocked: Store, clock: Clock) -> None:
    specs = [JobSpec("x", id=f"j{i}", queue="q", max_retries=0) for i in range(3)]
    await clocked.enqueue(specs)
    jobs = await clocked.claim("w", None, 3, 30)
    clock.advance(0.3)
    await clocked.finish([Finish(jobs[0].id, "w", 1, Outcome(0, None))])
    owned, _ = await clocked.finish_and_claim(
        [Finish(jobs[1].id, "w", 1, Outcome(0, None))], "w", None, 0, 30
    )
    assert owned == [True]
    clock.advance(7)
    await clocked.finish([Finish(jobs[2].id, "w", 1, Outcome(2, "exit 2"))])
    await clocked.enqueue([JobSpec("y", id="c", queue="q")])
    await clocked.cancel(["c"])
    counters = (await clocked.figures()).counters
    assert counters[("finished", "q", "completed")] == 2
    assert counters[("finished", "q", "dead")] == 1
    assert counters[("finished", "q", "cancelled")] == 1
    assert counters[("attempt_bucket", "q", "0.5")] == 2
    assert counters[("attempt_bucket", "q", "10")] == 1
    assert counters[("attempt_seconds", "q", "")] == pytest.approx(0.3 + 0.3 + 7.3)
    clock.advance(10)
    purged = await clocked.purge([JobState.COMPLETED, JobState.DEAD, JobState.CANCELLED], clock())
    assert purged == 4
    after = await clocked.figures()
    assert after.counters == counters
    assert after.jobs == {}
