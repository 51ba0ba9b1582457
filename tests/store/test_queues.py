"""Queues (DESIGN §8): settings, listings, and the claim under pause and concurrency limits."""

from __future__ import annotations

import asyncio

import pytest

from queuectl_core.errors import InvalidInput
from queuectl_core.models import Finish, JobSpec, JobState, Outcome
from queuectl_core.store import Store

from .conftest import OpenStore
from .support import Clock


def _specs(queue: str, n: int, prefix: str | None = None, priority: int = 0) -> list[JobSpec]:
    name = prefix or queue
    return [JobSpec("true", id=f"{name}-{i}", queue=queue, priority=priority) for i in range(n)]


async def _finish(store: Store, job_id: str, worker: str = "w") -> None:
    job = await store.get_job(job_id)
    assert job is not None
    assert await store.finish([Finish(job_id, worker, job.runs, Outcome(0, None))]) == [True]


async def test_list_queues_has_queues_with_jobs_or_settings(store: Store) -> None:
    assert await store.list_queues() == []
    await store.enqueue([*_specs("mail", 2), *_specs("default", 1)])
    await store.claim("w", ["mail"], 1, 30)
    await store.set_paused(["idle"], True)
    queues = {q.name: q for q in await store.list_queues()}
    assert list(queues) == ["default", "idle", "mail"]
    mail = queues["mail"]
    assert (mail.paused, mail.concurrency) == (False, 0)
    assert mail.counts == {
        "pending": 1,
        "processing": 1,
        "completed": 0,
        "failed": 0,
        "dead": 0,
        "cancelled": 0,
    }
    assert queues["idle"].paused and sum(queues["idle"].counts.values()) == 0
    await store.set_paused(["mail"], True)
    assert await store.paused_queues() == ["idle", "mail"]


async def test_get_queue_defaults_and_settings(store: Store) -> None:
    nothing = await store.get_queue("nowhere")
    assert (nothing.name, nothing.paused, nothing.concurrency) == ("nowhere", False, 0)
    assert set(nothing.counts) == {str(s) for s in JobState} and not any(nothing.counts.values())
    await store.enqueue(_specs("mail", 3))
    await store.set_concurrency("mail", 2)
    await store.set_paused(["mail"], True)
    mail = await store.get_queue("mail")
    assert (mail.paused, mail.concurrency, mail.counts["pending"]) == (True, 2, 3)
    # Settings only (what `why` reads): no counting of the queue's jobs.
    light = await store.get_queue("mail", counts=False)
    assert (light.name, light.paused, light.concurrency) == ("mail", True, 2)
    assert not any(light.counts.values())
    plain = await store.get_queue("nowhere", counts=False)
    assert (plain.paused, plain.concurrency) == (False, 0)


async def test_resume_and_no_limit_forget_the_settings(store: Store) -> None:
    await store.set_paused(["a", "b", "a"], True)
    await store.set_concurrency("b", 3)
    await store.set_paused(["a", "b"], False)
    assert [(q.name, q.paused, q.concurrency) for q in await store.list_queues()] == [
        ("b", False, 3)
    ]
    await store.set_concurrency("b", 0)
    assert await store.list_queues() == []


@pytest.mark.parametrize("limit", [-1, 1_000_001, True, 2.5])
async def test_bad_limits_change_nothing(store: Store, limit: object) -> None:
    with pytest.raises(InvalidInput, match="concurrency"):
        await store.set_concurrency("mail", limit)  # type: ignore[arg-type]
    assert await store.list_queues() == []


@pytest.mark.parametrize("name", ["", "has space", "x" * 65, "semi;colon"])
async def test_bad_queue_names_change_nothing(store: Store, name: str) -> None:
    with pytest.raises(InvalidInput, match="queue must match"):
        await store.set_paused(["fine", name], True)
    with pytest.raises(InvalidInput, match="queue must match"):
        await store.set_concurrency(name, 1)
    assert await store.list_queues() == []


async def test_paused_queue_is_not_claimed_until_resumed(clocked: Store) -> None:
    await clocked.enqueue([*_specs("mail", 2), *_specs("web", 1)])
    await clocked.set_paused(["mail"], True)
    assert [j.id for j in await clocked.claim("w", None, 10, 30)] == ["web-0"]
    assert await clocked.claim("w", ["mail"], 10, 30) == []
    assert await clocked.next_due(None) is None  # paused jobs never wake an idle worker
    await clocked.set_paused(["mail"], False)
    assert [j.id for j in await clocked.claim("w", None, 10, 30)] == ["mail-0", "mail-1"]


async def test_limit_caps_processing_jobs(clocked: Store) -> None:
    await clocked.enqueue(_specs("mail", 5))
    await clocked.set_concurrency("mail", 2)
    assert [j.id for j in await clocked.claim("w", None, 10, 30)] == ["mail-0", "mail-1"]
    assert await clocked.claim("w", ["mail"], 10, 30) == []
    assert await clocked.next_due(["mail"]) is None  # full: no wake-up for its due jobs
    await _finish(clocked, "mail-0")
    assert [j.id for j in await clocked.claim("w", None, 10, 30)] == ["mail-2"]
    await clocked.set_concurrency("mail", 3)
    assert [j.id for j in await clocked.claim("w", None, 10, 30)] == ["mail-3"]


async def test_limit_keeps_claim_order_across_queues(clocked: Store) -> None:
    await clocked.enqueue(
        [*_specs("bulk", 3), *_specs("mail", 3, priority=5), *_specs("web", 2, priority=1)]
    )
    await clocked.set_concurrency("mail", 1)
    await clocked.set_concurrency("web", 5)
    await clocked.set_paused(["bulk"], True)
    got = await clocked.claim("w", None, 10, 30)
    assert [j.id for j in got] == ["mail-0", "web-0", "web-1"]
    await clocked.set_paused(["bulk"], False)
    got = await clocked.claim("w", ["bulk", "mail"], 2, 30)
    assert [j.id for j in got] == ["bulk-0", "bulk-1"]


async def test_next_due_with_rules_skips_blocked_and_due_jobs(clocked: Store, clock: Clock) -> None:
    await clocked.enqueue(_specs("mail", 3))
    await clocked.enqueue([JobSpec("true", id="later", queue="web", run_at=clock() + 30)])
    await clocked.enqueue([JobSpec("true", id="held", queue="mail", run_at=clock() + 10)])
    assert await clocked.next_due(None) == clock()  # no rules: the earliest, due or not
    await clocked.set_paused(["mail"], True)
    # The paused queue's jobs (due or later) never wake a worker; the web job does.
    assert await clocked.next_due(None) == clock() + 30
    assert await clocked.next_due(["mail"]) is None
    await clocked.set_paused(["mail"], False)
    await clocked.set_concurrency("mail", 1)
    await clocked.claim("w", ["mail"], 5, 30)
    assert await clocked.next_due(["mail"]) is None  # full
    await _finish(clocked, "mail-0")
    assert await clocked.next_due(["mail"]) == clock() + 10  # room: its later job counts


async def test_finish_and_claim_respects_the_limit(clocked: Store) -> None:
    await clocked.enqueue(_specs("mail", 4))
    await clocked.set_concurrency("mail", 2)
    await clocked.claim("w", None, 2, 30)
    done = [Finish("mail-0", "w", 1, Outcome(0, None))]
    owned, jobs = await clocked.finish_and_claim(done, "w", None, 5, 30)
    assert owned == [True] and [j.id for j in jobs] == ["mail-2"]
    failed = [Finish("mail-1", "w", 1, Outcome(1, "exit 1"))]
    owned, jobs = await clocked.finish_and_claim(failed, "w", None, 5, 30)
    assert owned == [True] and [j.id for j in jobs] == ["mail-3"]


async def test_concurrent_claims_never_pass_the_limit(open_more: OpenStore) -> None:
    stores = [await open_more() for _ in range(4)]
    await stores[0].enqueue([*_specs("mail", 40), *_specs("web", 40)])
    await stores[0].set_concurrency("mail", 3)
    claimed: set[str] = set()
    for _ in range(10):
        batches = await asyncio.gather(
            *(s.claim(f"w{i}", None, 4, 30) for i, s in enumerate(stores))
        )
        claimed |= {j.id for batch in batches for j in batch}
        running = await stores[0].list_jobs(state=JobState.PROCESSING, queue="mail")
        assert len(running) <= 3
        if running:
            await _finish(stores[0], running[0].id, running[0].worker_id or "")
    assert len([j for j in claimed if j.startswith("web")]) == 40


async def test_has_unfinished_skips_waiting_jobs_of_paused_queues(store: Store) -> None:
    await store.enqueue([*_specs("mail", 1), *_specs("web", 1)])
    await store.claim("w", ["web"], 1, 30)
    await store.set_paused(["mail", "web"], True)
    assert await store.has_unfinished()  # web-0 is still processing
    assert not await store.has_unfinished(["mail"])
    await _finish(store, "web-0")
    assert not await store.has_unfinished()
    await store.enqueue(_specs("zeta", 1))
    assert await store.has_unfinished() and await store.has_unfinished(["zeta", "mail"])
    assert not await store.has_unfinished(["mail", "web"])
    await store.set_paused(["mail"], False)
    assert await store.has_unfinished(["mail"])


async def test_sweep_deletes_only_old_finished_jobs(clocked: Store, clock: Clock) -> None:
    await clocked.enqueue([JobSpec("true", id=f"j{i}") for i in range(6)])
    for _ in range(4):
        await clocked.claim("w", None, 1, 30)
    await clocked.finish([Finish("j0", "w", 1, Outcome(0, None, "out", ""))])
    await clocked.finish([Finish("j1", "w", 1, Outcome(1, "boom"))])  # failed, retry later
    await clocked.cancel(["j2", "j4"])
    clock.advance(100)
    await clocked.finish([Finish("j3", "w", 1, Outcome(0, None))])  # recent
    ages = {JobState.COMPLETED: 50.0, JobState.CANCELLED: 50.0}
    assert await clocked.sweep_finished(ages, 1) == 1
    assert await clocked.sweep_finished(ages, 500) == 2
    assert await clocked.sweep_finished(ages, 500) == 0
    left = {j.id for j in await clocked.list_jobs()}
    assert left == {"j1", "j3", "j5"}
    assert await clocked.attempts("j0") == [] and await clocked.output("j0") is None
    counts = await clocked.counts()
    assert (counts[JobState.COMPLETED], counts[JobState.CANCELLED]) == (1, 0)


@pytest.mark.parametrize(
    ("value", "seconds"), [("7d", 604800), ("12h", 43200), ("30s", 30), ("90", 90), ("0", 0)]
)
async def test_retention_keys_take_durations(store: Store, value: str, seconds: float) -> None:
    config = await store.set_config("retention-dead", value)
    assert config.retention_dead == seconds


@pytest.mark.parametrize("value", ["-1", "soon", "7 weeks", "nan"])
async def test_bad_retention_values_are_refused(store: Store, value: str) -> None:
    with pytest.raises(InvalidInput, match="retention_completed"):
        await store.set_config("retention_completed", value)
    assert (await store.get_config()).retention_completed == 7 * 86400
