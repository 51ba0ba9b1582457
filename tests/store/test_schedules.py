"""Schedules on both stores: add, list, pause/resume, remove, run now, and firing, where each
fire time becomes exactly one job (a compare-and-set on ``next_run``) and missed fire times
make one catch-up job, never a burst."""

from __future__ import annotations

import asyncio
import sqlite3

import asyncpg
import pytest

from queuectl_core.models import JobSpec, JobState
from queuectl_core.recurrence import Rule
from queuectl_core.schedule_model import (
    BrokenSchedule,
    DuplicateSchedule,
    ScheduleNotFound,
    ScheduleSpec,
)
from queuectl_core.store import Store

from .conftest import OpenStore
from .support import Clock

EVERY_30 = Rule(None, 30.0)


def _spec(name: str = "tick", rule: Rule = EVERY_30, **job: object) -> ScheduleSpec:
    return ScheduleSpec(name, rule, "echo tick", **job)  # type: ignore[arg-type]


async def test_add_lists_with_first_fire_after_now(clocked: Store, clock: Clock) -> None:
    spec = _spec(queue="q1", priority=5, max_retries=1, timeout=9.0, env={"A": "1"}, cwd="/tmp")
    added = await clocked.add_schedule(spec)
    assert added.spec == spec
    assert (added.paused, added.next_run, added.last_run, added.last_job) == (
        False,
        clock() + 30,
        None,
        None,
    )
    assert await clocked.list_schedules() == [added]
    assert await clocked.get_schedule("tick") == added
    assert await clocked.get_schedule("nope") is None


async def test_a_duplicate_name_changes_nothing(clocked: Store) -> None:
    first = await clocked.add_schedule(_spec())
    with pytest.raises(DuplicateSchedule, match="'tick' already exists"):
        await clocked.add_schedule(_spec(rule=Rule("* * * * *", None)))
    assert await clocked.list_schedules() == [first]


async def test_cron_fires_in_its_time_zone(clocked: Store, clock: Clock) -> None:
    # The clock starts at 2027-01-15T08:00:00Z, 09:00 in Paris: "09:00 daily" there is due
    # strictly after now, so tomorrow; in UTC, 09:00 is an hour away.
    paris = await clocked.add_schedule(_spec("paris", Rule("0 9 * * *", None, "Europe/Paris")))
    utc = await clocked.add_schedule(_spec("utc", Rule("0 9 * * *", None)))
    assert paris.next_run == clock() + 86400
    assert utc.next_run == clock() + 3600


async def test_a_due_fire_makes_one_job_naming_its_schedule(clocked: Store, clock: Clock) -> None:
    await clocked.add_schedule(_spec(queue="q1", priority=3, max_retries=0, env={"A": "1"}))
    assert await clocked.fire_due_schedules() == []
    clock.advance(30)
    due = clock()
    (job,) = await clocked.fire_due_schedules()
    assert (job.command, job.schedule, job.state, job.queue, job.priority) == (
        "echo tick",
        "tick",
        JobState.PENDING,
        "q1",
        3,
    )
    assert (job.max_retries, job.env, job.run_at, job.created_at) == (0, {"A": "1"}, due, due)
    assert await clocked.get_job(job.id) == job
    assert await clocked.fire_due_schedules() == []  # that fire time is spent
    (item,) = await clocked.list_schedules()
    assert (item.next_run, item.last_run, item.last_job) == (due + 30, due, job.id)
    assert item.last_state == JobState.PENDING
    assert await clocked.next_schedule_fire() == due + 30


async def test_missed_fire_times_make_one_catch_up_job(clocked: Store, clock: Clock) -> None:
    added = await clocked.add_schedule(_spec())
    assert added.next_run is not None
    clock.advance(30 * 10 + 7)  # ten fire times missed while no worker ran
    (job,) = await clocked.fire_due_schedules()
    assert job.run_at == added.next_run  # the fire time it stands for
    assert await clocked.fire_due_schedules() == []
    (item,) = await clocked.list_schedules()
    # The next fire time keeps the grid and lies in the future.
    assert item.next_run == added.next_run + 30 * 10
    assert item.next_run > clock()
    assert await clocked.count_jobs() == 1


async def test_two_claims_of_one_fire_time_make_one_job(open_more: OpenStore, clock: Clock) -> None:
    a, b = await open_more(clock), await open_more(clock)
    added = await a.add_schedule(_spec())
    assert added.next_run is not None
    for _ in range(3):
        clock.advance(30)
        due = (await a.get_schedule("tick")).next_run  # type: ignore[union-attr]
        assert due is not None
        results = await asyncio.gather(a.fire_schedule("tick", due), b.fire_schedule("tick", due))
        fired = [job for job in results if job is not None]
        assert len(fired) == 1, results
        assert fired[0].run_at == due
    assert await a.count_jobs() == 3
    # A fire time already claimed, or not yet due, is not to be had.
    assert await b.fire_schedule("tick", added.next_run) is None
    future = (await a.get_schedule("tick")).next_run  # type: ignore[union-attr]
    assert future is not None and future > clock()
    assert await a.fire_schedule("tick", future) is None
    assert await a.fire_schedule("nope", clock()) is None


async def test_paused_schedules_do_not_fire_and_resume_from_now(
    clocked: Store, clock: Clock
) -> None:
    await clocked.add_schedule(_spec())
    paused = await clocked.pause_schedule("tick", True)
    assert paused.paused
    assert await clocked.next_schedule_fire() is None
    clock.advance(30 * 5)
    assert await clocked.fire_due_schedules() == []
    resumed = await clocked.pause_schedule("tick", False)
    assert (resumed.paused, resumed.next_run) == (False, clock() + 30)
    assert await clocked.fire_due_schedules() == []  # no burst of what it missed
    again = await clocked.pause_schedule("tick", False)  # resuming a running one: no change
    assert again.next_run == resumed.next_run
    with pytest.raises(ScheduleNotFound, match="no schedule named 'nope'"):
        await clocked.pause_schedule("nope", True)


async def test_run_now_fires_without_moving_next_run(clocked: Store, clock: Clock) -> None:
    added = await clocked.add_schedule(_spec())
    await clocked.pause_schedule("tick", True)
    clock.advance(5)
    job = await clocked.run_schedule("tick")
    assert (job.schedule, job.run_at, job.state) == ("tick", clock(), JobState.PENDING)
    item = await clocked.get_schedule("tick")
    assert item is not None
    assert (item.next_run, item.last_run, item.last_job, item.paused) == (
        added.next_run,
        clock(),
        job.id,
        True,
    )
    with pytest.raises(ScheduleNotFound):
        await clocked.run_schedule("nope")


async def test_remove_keeps_the_jobs_it_fired(clocked: Store) -> None:
    await clocked.add_schedule(_spec())
    job = await clocked.run_schedule("tick")
    await clocked.remove_schedule("tick")
    assert await clocked.list_schedules() == []
    assert (await clocked.get_job(job.id)) == job
    with pytest.raises(ScheduleNotFound):
        await clocked.remove_schedule("tick")


async def test_fired_jobs_take_config_defaults_at_fire_time(clocked: Store, clock: Clock) -> None:
    await clocked.add_schedule(_spec())
    await clocked.set_config("max_retries", "7")
    await clocked.set_config("default_timeout", "12")
    clock.advance(30)
    (job,) = await clocked.fire_due_schedules()
    assert (job.max_retries, job.timeout) == (7, 12.0)
    plain = (await clocked.enqueue([JobSpec("echo")]))[0]
    assert (await clocked.get_job(plain.id)).schedule is None  # type: ignore[union-attr]


async def _raw(store_url: str, backend: str, statement: str) -> None:
    if backend == "sqlite":
        with sqlite3.connect(store_url) as conn:
            conn.execute(statement)
        return
    conn = await asyncpg.connect(store_url)
    try:
        await conn.execute("SET search_path = queuectl; " + statement)
    finally:
        await conn.close()


async def test_odd_stored_rows_read_and_never_spin(
    clocked: Store, clock: Clock, store_url: str, backend: str
) -> None:
    """A hand-written row with a rule no queuectl accepts: listed, and paused when due."""
    await clocked.add_schedule(_spec())
    await _raw(
        store_url,
        backend,
        "INSERT INTO schedules (name, command, queue, cron, every, tz, next_run, created_at,"
        " last_job) VALUES ('odd', 'x', '', 'not a cron', NULL, 'No/Where', 1, 1, 'gone')",
    )
    odd = await clocked.get_schedule("odd")
    assert odd is not None and odd.last_job == "gone" and odd.last_state is None
    assert len(await clocked.list_schedules()) == 2
    assert await clocked.fire_due_schedules() == []
    odd = await clocked.get_schedule("odd")
    assert odd is not None and odd.paused
    with pytest.raises(BrokenSchedule, match="'odd' cannot resume"):
        await clocked.pause_schedule("odd", False)
    assert await clocked.next_schedule_fire() == clock() + 30
