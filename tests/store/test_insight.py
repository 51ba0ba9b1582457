"""Failure rows, bulk changes by filter and the list filters, the same on both stores."""

from __future__ import annotations

from queuectl_core.insight import BulkAction, JobFilter, group_failures
from queuectl_core.models import Finish, Job, JobSpec, JobState, Outcome
from queuectl_core.store import Store

from .support import Clock


async def _run_one(store: Store, outcome: Outcome) -> Job:
    (job,) = await store.claim("w", None, 1, 30)
    await store.finish([Finish(job.id, "w", job.runs, outcome)])
    return job


async def _states(store: Store) -> dict[str, JobState]:
    return {j.id: j.state for j in await store.list_jobs()}


async def _seed_failures(store: Store) -> None:
    """Three ways of failing: refused connections, missing files, and one HTTP 503."""
    specs = [JobSpec(f"job {i}", id=f"r{i}", max_retries=0, queue="net") for i in range(3)]
    specs += [JobSpec(f"job {i}", id=f"m{i}", max_retries=0, queue="files") for i in range(2)]
    specs += [JobSpec("job h", id="h0", max_retries=0, queue="net")]
    specs += [JobSpec("true", id="ok", queue="net")]
    await store.enqueue(specs)
    stderr = {
        "r0": "curl: (7) Failed to connect to 10.0.0.1 port 80: Connection refused",
        "r1": "curl: (7) Failed to connect to 10.9.8.7 port 8080: Connection refused",
        "r2": "noise\ncurl: (7) Failed to connect to db.example.com port 5432: "
        "Connection refused\n",
        "m0": "cat: /tmp/a/1.txt: No such file or directory",
        "m1": "cat: /var/x/22.csv: No such file or directory",
        "h0": "HTTP 503 Service Unavailable",
    }
    for job_id in ["r0", "r1", "r2", "m0", "m1", "h0"]:
        code = 7 if job_id.startswith("r") else 1
        await _run_one(store, Outcome(code, f"exit {code}", "", stderr[job_id]))
    await _run_one(store, Outcome(0, None))


async def test_failure_rows_group_by_how_jobs_failed(store: Store) -> None:
    await _seed_failures(store)
    rows = await store.failure_rows()
    assert sorted(r.id for r in rows) == ["h0", "m0", "m1", "r0", "r1", "r2"]
    assert {r.state for r in rows} == {JobState.DEAD}
    by_id = {r.id: r for r in rows}
    assert by_id["r2"].stderr_tail.endswith("Connection refused\n")
    groups = group_failures(rows)
    assert [(g.count, g.jobs, g.queues) for g in groups] == [
        (3, ("r0", "r1", "r2"), ("net",)),
        (2, ("m0", "m1"), ("files",)),
        (1, ("h0",), ("net",)),
    ]
    assert "<addr>" in groups[0].example and "503" in groups[2].example
    assert sorted(r.id for r in await store.failure_rows("files")) == ["m0", "m1"]


async def test_failure_rows_read_only_the_last_attempts_stderr_tail(
    clocked: Store, clock: Clock
) -> None:
    await clocked.enqueue([JobSpec("x", id="j", max_retries=1)])
    await _run_one(clocked, Outcome(1, "exit 1", "", "first attempt"))
    clock.advance(3600)
    await _run_one(clocked, Outcome(2, "exit 2", "", "x" * 10_000 + "second attempt"))
    (row,) = await clocked.failure_rows()
    assert row.last_error == "exit 2" and row.stderr_tail.endswith("second attempt")
    assert len(row.stderr_tail) == 2000
    assert row.failed_at == clock()


async def test_retry_matching_a_group_touches_only_that_group(store: Store) -> None:
    await _seed_failures(store)
    groups = group_failures(await store.failure_rows())
    refused = JobFilter(ids=groups[0].jobs)
    assert await store.change_matching(BulkAction.RETRY, refused, dry_run=True) == 3
    assert (await _states(store))["r0"] == JobState.DEAD  # a dry run changes nothing
    assert await store.change_matching(BulkAction.RETRY, refused) == 3
    states = await _states(store)
    assert [states[i] for i in ("r0", "r1", "r2")] == [JobState.PENDING] * 3
    assert [states[i] for i in ("m0", "m1", "h0")] == [JobState.DEAD] * 3
    assert states["ok"] == JobState.COMPLETED
    job = await store.get_job("r0")
    assert job is not None and job.attempts == 0


async def test_retry_matching_keeps_each_states_rule(store: Store) -> None:
    await store.enqueue([JobSpec("x", id=i, queue="q") for i in ("p", "c", "f", "d")])
    await store.cancel(["c"])
    (failed,) = await store.claim("w", None, 1, 30)  # p: oldest first
    await store.finish([Finish(failed.id, "w", failed.runs, Outcome(1, "exit 1"))])
    # p is failed now (3 retries left); f and d stay pending.
    everything = JobFilter(queue="q")
    assert await store.change_matching(BulkAction.RETRY, everything) == 2  # failed p, cancelled c
    states = await _states(store)
    assert states == {i: JobState.PENDING for i in ("p", "c", "f", "d")}
    job = await store.get_job("p")
    assert job is not None and job.attempts == 1  # a failed job keeps its attempts


async def test_cancel_matching_by_state_and_queue(store: Store) -> None:
    await store.enqueue(
        [
            JobSpec("x", id="a1", queue="a"),
            JobSpec("x", id="a2", queue="a"),
            JobSpec("x", id="b1", queue="b"),
        ]
    )
    (running,) = await store.claim("w", None, 1, 30)
    assert running.id == "a1"
    assert await store.change_matching(BulkAction.CANCEL, JobFilter(queue="zzz")) == 0
    assert await store.change_matching(BulkAction.CANCEL, JobFilter(queue="a"), dry_run=True) == 2
    assert await store.change_matching(BulkAction.CANCEL, JobFilter(queue="a")) == 2
    states = await _states(store)
    assert states == {"a1": JobState.CANCELLED, "a2": JobState.CANCELLED, "b1": JobState.PENDING}
    (attempt,) = await store.attempts("a1")
    assert attempt.error == "cancelled" and attempt.finished_at is not None
    heartbeat = await store.heartbeat("w", [("a1", running.runs)], 30)
    assert "a1" in heartbeat.lost_jobs  # its worker kills the tree, as with ``cancel``


async def test_purge_matching_only_final_jobs(clocked: Store, clock: Clock) -> None:
    await _seed_failures(clocked)
    await clocked.enqueue([JobSpec("x", id="waiting", queue="net")])
    net = JobFilter(queue="net")
    assert await clocked.change_matching(BulkAction.PURGE, net, dry_run=True) == 5
    old = JobFilter(queue="net", finished_before=clock() - 60)
    assert await clocked.change_matching(BulkAction.PURGE, old) == 0
    dead_net = JobFilter(queue="net", states=(JobState.DEAD,))
    assert await clocked.change_matching(BulkAction.PURGE, dead_net) == 4
    assert sorted(await _states(clocked)) == ["m0", "m1", "ok", "waiting"]
    assert await clocked.attempts("r0") == []


async def test_list_filters_error_exit_code_and_created_window(
    clocked: Store, clock: Clock
) -> None:
    await _seed_failures(clocked)
    start = clock()
    clock.advance(100)
    await clocked.enqueue([JobSpec("later", id="late")])
    by_error = await clocked.list_jobs(where=JobFilter(error="exit 7"))
    assert [j.id for j in by_error] == ["r0", "r1", "r2"]
    assert await clocked.count_jobs(where=JobFilter(error="exit 7")) == 3
    by_code = await clocked.list_jobs(where=JobFilter(exit_code=1), queue="files")
    assert [j.id for j in by_code] == ["m0", "m1"]
    assert [j.id for j in await clocked.list_jobs(where=JobFilter(since=start + 50))] == ["late"]
    early = await clocked.list_jobs(where=JobFilter(until=start + 50), state=JobState.COMPLETED)
    assert [j.id for j in early] == ["ok"]
    # A literal search: % and _ are not wildcards.
    assert await clocked.list_jobs(where=JobFilter(error="%")) == []
    contradiction = await clocked.list_jobs(where=JobFilter(queue="net"), queue="files")
    assert contradiction == []
