"""finish, heartbeat, release, recover, save_output: results, fencing and lost workers."""

from __future__ import annotations

from queuectl_core.models import Finish, Job, JobSpec, JobState, Outcome, WorkerInfo
from queuectl_core.store import Store

from .support import Clock


async def _one(store: Store, worker: str = "w", max_retries: int = 3, job_id: str = "j") -> Job:
    await store.enqueue([JobSpec("echo", id=job_id, max_retries=max_retries)])
    (job,) = await store.claim(worker, None, 1, 30)
    return job


async def _job(store: Store, job_id: str) -> Job:
    job = await store.get_job(job_id)
    assert job is not None
    return job


async def test_success_completes_and_keeps_output(clocked: Store, clock: Clock) -> None:
    await _one(clocked)
    clock.advance(2.5)
    assert await clocked.finish([Finish("j", "w", 1, Outcome(0, None, "out\n", "err\n"))]) == [True]
    job = await _job(clocked, "j")
    assert (job.state, job.exit_code, job.last_error, job.finished_at) == (
        JobState.COMPLETED,
        0,
        None,
        clock(),
    )
    assert job.lease_expires_at is None
    (attempt,) = await clocked.attempts("j")
    assert (attempt.finished_at, attempt.exit_code, attempt.error) == (clock(), 0, None)
    output = await clocked.output("j")
    assert output is not None
    assert (output.attempt, output.stdout, output.stderr, output.finished) == (
        1,
        "out\n",
        "err\n",
        True,
    )


async def test_failure_backs_off_then_dies(clocked: Store, clock: Clock) -> None:
    await clocked.set_config("backoff_base", "3")
    await _one(clocked, max_retries=2)
    await clocked.finish([Finish("j", "w", 1, Outcome(3, "exit 3"))])
    job = await _job(clocked, "j")
    assert (job.state, job.attempts, job.exit_code, job.last_error) == (
        JobState.FAILED,
        1,
        3,
        "exit 3",
    )
    assert job.run_at == clock() + 3  # backoff_base ** 1
    assert await clocked.claim("w", None, 1, 30) == []
    clock.advance(3)
    (again,) = await clocked.claim("w", None, 1, 30)
    assert (again.attempts, again.runs) == (2, 2)
    await clocked.finish([Finish("j", "w", 2, Outcome(None, "timed out after 5s"))])
    job = await _job(clocked, "j")
    assert job.state == JobState.FAILED and job.run_at == clock() + 9  # 3 ** 2
    clock.advance(9)
    await clocked.claim("w", None, 1, 30)
    await clocked.finish([Finish("j", "w", 3, Outcome(127, "command not found"))])
    job = await _job(clocked, "j")
    assert (job.state, job.attempts, job.last_error) == (JobState.DEAD, 3, "command not found")
    assert [a.error for a in await clocked.attempts("j")] == [
        "exit 3",
        "timed out after 5s",
        "command not found",
    ]


async def test_backoff_is_capped(clocked: Store, clock: Clock) -> None:
    await clocked.set_config("backoff_max", "1.5")
    await _one(clocked)
    await clocked.finish([Finish("j", "w", 1, Outcome(1, "exit 1"))])
    assert (await _job(clocked, "j")).run_at == clock() + 1.5


async def test_finish_is_fenced_to_the_owning_worker_and_run(clocked: Store) -> None:
    await _one(clocked, worker="w1")
    stale = [
        Finish("j", "w2", 1, Outcome(0, None)),  # another worker
        Finish("j", "w1", 2, Outcome(0, None)),  # a run that does not exist
        Finish("missing", "w1", 1, Outcome(0, None)),
    ]
    assert await clocked.finish(stale) == [False, False, False]
    assert (await _job(clocked, "j")).state == JobState.PROCESSING
    assert await clocked.finish([Finish("j", "w1", 1, Outcome(0, None))]) == [True]
    assert await clocked.finish([Finish("j", "w1", 1, Outcome(1, "exit 1"))]) == [False]
    assert (await _job(clocked, "j")).state == JobState.COMPLETED


async def test_heartbeat_renews_owned_leases_and_reports_lost_ones(
    clocked: Store, clock: Clock
) -> None:
    await clocked.register_worker(WorkerInfo("w1", "h", 1, 2, (), 0, 0))
    await _one(clocked, worker="w1")
    clock.advance(20)
    beat = await clocked.heartbeat("w1", [("j", 1), ("ghost", 1)], 30)
    assert beat.lost_jobs == {"ghost"}
    assert not beat.stop_requested
    assert (await _job(clocked, "j")).lease_expires_at == clock() + 30
    (worker,) = await clocked.list_workers()
    assert worker.heartbeat_at == clock() and worker.current_jobs == ("j", "ghost")
    clock.advance(1)
    assert (await clocked.heartbeat("w1", [("j", 7)], 30)).lost_jobs == {"j"}  # stale run
    assert (await clocked.heartbeat("w2", [("j", 1)], 30)).lost_jobs == {"j"}  # not the owner
    assert (await _job(clocked, "j")).lease_expires_at == clock() - 1 + 30


async def test_recover_fails_expired_jobs_and_fences_their_old_owner(
    clocked: Store, clock: Clock
) -> None:
    await _one(clocked, worker="w1")
    clock.advance(29)
    assert await clocked.recover() == []
    clock.advance(2)
    assert await clocked.recover() == ["j"]
    job = await _job(clocked, "j")
    assert (job.state, job.last_error, job.exit_code) == (
        JobState.FAILED,
        "worker lost (no heartbeat for 30s)",
        None,
    )
    assert job.run_at == clock() + 2
    (attempt,) = await clocked.attempts("j")
    assert (attempt.finished_at, attempt.error) == (clock(), "worker lost (no heartbeat for 30s)")
    assert await clocked.recover() == []
    # The old owner comes back: its result and heartbeat no longer apply.
    assert await clocked.finish([Finish("j", "w1", 1, Outcome(0, None))]) == [False]
    assert (await clocked.heartbeat("w1", [("j", 1)], 30)).lost_jobs == {"j"}
    assert (await _job(clocked, "j")).state == JobState.FAILED
    # The next run is numbered 2 and belongs to its new owner only.
    clock.advance(2)
    (again,) = await clocked.claim("w2", None, 1, 30)
    assert again.runs == 2
    assert await clocked.finish([Finish("j", "w1", 1, Outcome(0, None))]) == [False]
    assert await clocked.finish([Finish("j", "w2", 2, Outcome(0, None))]) == [True]


async def test_recover_respects_lease_timeout_and_max_retries(clocked: Store, clock: Clock) -> None:
    await clocked.set_config("lease_timeout", "10")
    await _one(clocked, max_retries=0)
    clock.advance(31)
    assert await clocked.recover() == ["j"]
    job = await _job(clocked, "j")
    assert (job.state, job.last_error) == (JobState.DEAD, "worker lost (no heartbeat for 10s)")


async def test_recover_jobs_of_known_dead_workers_at_once(clocked: Store) -> None:
    await clocked.register_worker(WorkerInfo("gone", "h", 1, 1, (), 0, 0))
    await _one(clocked, worker="gone", job_id="a")
    await _one(clocked, worker="alive", job_id="b")
    assert await clocked.recover(["gone"]) == ["a"]
    assert (await _job(clocked, "a")).last_error == "worker lost (process of gone is gone)"
    assert (await _job(clocked, "b")).state == JobState.PROCESSING
    assert await clocked.list_workers(include_stale=True) == []


async def test_release_returns_the_job_without_spending_an_attempt(clocked: Store) -> None:
    await _one(clocked, worker="w1")
    await clocked.save_output([("j", 1, "partial", "")])
    assert not await clocked.release("j", "w2", 1)
    assert not await clocked.release("j", "w1", 2)
    assert await clocked.release("j", "w1", 1)
    job = await _job(clocked, "j")
    assert (job.state, job.attempts, job.runs, job.started_at) == (JobState.PENDING, 0, 0, None)
    assert await clocked.attempts("j") == []
    assert await clocked.output("j") is None
    assert not await clocked.release("j", "w1", 1)
    (again,) = await clocked.claim("w3", None, 1, 30)
    assert (again.attempts, again.runs) == (1, 1)


async def test_save_output_shows_progress_of_running_attempts(store: Store) -> None:
    await _one(store)
    await store.save_output([("j", 1, "line 1\n", "")])
    await store.save_output([("j", 1, "line 1\nline 2\n", "warn\n")])
    output = await store.output("j")
    assert output is not None
    assert (output.stdout, output.stderr, output.finished) == ("line 1\nline 2\n", "warn\n", False)
    await store.save_output([])
    assert await store.output("j", attempt=2) is None
    assert await store.output("missing") is None


async def test_output_of_each_attempt(clocked: Store, clock: Clock) -> None:
    await _one(clocked)
    await clocked.finish([Finish("j", "w", 1, Outcome(1, "exit 1", "first", ""))])
    clock.advance(10)
    await clocked.claim("w", None, 1, 30)
    await clocked.finish([Finish("j", "w", 2, Outcome(0, None, "second", ""))])
    first, latest = await clocked.output("j", attempt=1), await clocked.output("j")
    assert first is not None and latest is not None
    assert (first.attempt, first.stdout, latest.attempt, latest.stdout) == (1, "first", 2, "second")


async def test_finish_and_claim_in_one_go(clocked: Store) -> None:
    await clocked.enqueue([JobSpec("1", id="a"), JobSpec("2", id="b"), JobSpec("3", id="c")])
    assert [j.id for j in await clocked.claim("w", None, 1, 30)] == ["a"]
    owned, jobs = await clocked.finish_and_claim(
        [Finish("a", "w", 1, Outcome(0, None, "done", ""))], "w", None, 5, 30
    )
    assert owned == [True] and [j.id for j in jobs] == ["b", "c"]
    assert (await _job(clocked, "a")).state == JobState.COMPLETED
    owned, jobs = await clocked.finish_and_claim(
        [Finish("a", "w", 1, Outcome(0, None))], "w", None, 0, 30
    )
    assert (owned, jobs) == ([False], [])
    assert await clocked.finish_and_claim([], "w", None, 5, 30) == ([], [])


async def test_a_late_output_flush_never_overwrites_the_final_output(store: Store) -> None:
    await _one(store)
    await store.finish([Finish("j", "w", 1, Outcome(0, None, "final", ""))])
    await store.save_output([("j", 1, "stale partial", "")])
    output = await store.output("j")
    assert output is not None and output.stdout == "final"


async def test_finish_and_claim_with_mixed_and_stale_results(clocked: Store, clock: Clock) -> None:
    await clocked.enqueue([JobSpec(str(i), id=f"j{i}", max_retries=1) for i in range(5)])
    assert len(await clocked.claim("w", None, 3, 30)) == 3
    done = [
        Finish("j0", "w", 1, Outcome(0, None, "zero", "")),
        Finish("j1", "other", 1, Outcome(0, None)),  # not its owner
        Finish("j2", "w", 1, Outcome(2, "exit 2", "", "two")),
    ]
    owned, jobs = await clocked.finish_and_claim(done, "w", None, 1, 30)
    assert owned == [True, False, True] and [j.id for j in jobs] == ["j3"]
    states = {j.id: j.state for j in await clocked.list_jobs()}
    assert states == {
        "j0": JobState.COMPLETED,
        "j1": JobState.PROCESSING,
        "j2": JobState.FAILED,
        "j3": JobState.PROCESSING,
        "j4": JobState.PENDING,
    }
    owned, jobs = await clocked.finish_and_claim(
        [Finish("j1", "w", 1, Outcome(0, None, "one", "")), Finish("j3", "w", 1, Outcome(0, None))],
        "w",
        ["default"],
        5,
        30,
    )
    assert owned == [True, True] and [j.id for j in jobs] == ["j4"]
    out1, out2 = await clocked.output("j1"), await clocked.output("j2")
    assert out1 is not None and (out1.stdout, out1.finished) == ("one", True)
    assert out2 is not None and out2.stderr == "two"
    (attempt,) = await clocked.attempts("j1")
    assert (attempt.finished_at, attempt.exit_code, attempt.error) == (clock(), 0, None)
    counts = await clocked.counts()
    for state in JobState:
        assert counts[state] == len(await clocked.list_jobs(state=state)), state
