"""Schedules end to end with the real binary, on a SQLite file and on PostgreSQL: one job per
fire time with three worker processes, one catch-up job after missed fires, the verbs, and bad
input (one line on stderr, store unchanged)."""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from helpers import (
    WorkerProcess,
    assert_one_line_error,
    cli_env,
    cli_json,
    run_cli,
    start_workers,
    utc_ts,
    wait_until,
)
from store.conftest import admin, pg_database_url, require_postgres


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def target(request: pytest.FixtureRequest, db: Path) -> Iterator[str]:
    """The store under test: the ``db`` file, or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield str(db)
        return
    asyncio.run(require_postgres())
    name = f"queuectl_e2e_{uuid.uuid4().hex[:12]}"
    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield pg_database_url(name)
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _fired(target: str, name: str) -> list[dict[str, Any]]:
    return [j for j in cli_json("list", db=target) if j["schedule"] == name]


def _raw(target: str, statement: str) -> None:
    """Change the store behind queuectl's back (to age a schedule, as time would)."""
    if not target.startswith("postgresql://"):
        with sqlite3.connect(target) as conn:
            conn.execute(statement)
        return

    async def run() -> None:
        conn = await asyncpg.connect(target)
        try:
            await conn.execute("SET search_path = queuectl; " + statement)
        finally:
            await conn.close()

    asyncio.run(run())


def _worker(target: str, tmp_path: Path, *extra: str) -> WorkerProcess:
    """``queuectl worker start --count 1 EXTRA`` on ``target`` (its log in ``tmp_path``)."""
    return start_workers(None, 1, *extra, env=cli_env(target), cwd=tmp_path)


def test_three_workers_make_one_job_per_fire_time(target: str, tmp_path: Path) -> None:
    run_cli("schedule", "add", "tick", "--every", "2s", "--command", "true", db=target)
    run_cli("schedule", "add", "idle", "--every", "1s", "--command", "true", db=target)
    run_cli("schedule", "pause", "idle", db=target)
    workers = [_worker(target, tmp_path) for _ in range(3)]
    wait_until(lambda: len(_fired(target, "tick")) >= 4, 30, 0.2, "four fires")
    assert _fired(target, "idle") == []  # paused: no fires, while tick fired four times
    resumed = time.time()
    run_cli("schedule", "resume", "idle", db=target)
    wait_until(lambda: len(_fired(target, "idle")) >= 2, 30, 0.2, "fires after resume")
    run_cli("worker", "stop", "--timeout", "30", db=target, timeout=40)
    for worker in workers:
        assert worker.wait(30) == 0, worker.output()
    for name, period in (("tick", 2.0), ("idle", 1.0)):
        jobs = _fired(target, name)
        fire_times = sorted(utc_ts(j["run_at"]) for j in jobs)
        assert len(set(fire_times)) == len(jobs), fire_times  # never two jobs for one fire time
        gaps = [round(b - a, 3) for a, b in itertools.pairwise(fire_times)]
        assert set(gaps) <= {period}, gaps  # and none skipped while workers ran
        for item in jobs:
            late = utc_ts(item["created_at"]) - utc_ts(item["run_at"])
            assert 0 <= late < 1.5, item
    # Resumed: fires counted from the resume, nothing of what it missed while paused.
    assert min(utc_ts(j["run_at"]) for j in _fired(target, "idle")) > resumed
    listed = {s["name"]: s for s in cli_json("schedule", "list", db=target)}
    assert listed["tick"]["last_job"] in {j["id"] for j in _fired(target, "tick")}


def test_missed_fire_times_catch_up_once_and_drain_does_not_wait(
    target: str, tmp_path: Path
) -> None:
    run_cli("schedule", "add", "tick", "--every", "2s", "--command", "true", db=target)
    _raw(target, "UPDATE schedules SET next_run = next_run - 20 WHERE name = 'tick'")
    started = time.time()
    worker = _worker(target, tmp_path, "--drain")
    assert worker.wait(30) == 0, worker.output()  # drained: it does not wait for the next fire
    jobs = _fired(target, "tick")
    missed = [j for j in jobs if utc_ts(j["run_at"]) < started - 1]
    assert len(missed) == 1, jobs  # ten missed fire times, one job
    assert missed[0]["state"] == "completed"
    (listed,) = cli_json("schedule", "list", db=target)
    assert utc_ts(listed["next_run"]) > started


def test_pause_run_resume_remove(target: str) -> None:
    run_cli("schedule", "add", "nightly", "--cron", "0 3 * * *", "--command", "echo hi", db=target)
    (before,) = cli_json("schedule", "list", db=target)
    assert before["paused"] is False and before["last_run"] is None and before["last_job"] is None
    assert run_cli("schedule", "pause", "nightly", db=target).stdout == "paused schedule nightly\n"
    job_id = run_cli("schedule", "run", "nightly", db=target).stdout.strip()
    (after,) = cli_json("schedule", "list", db=target)
    assert after["paused"] is True and after["last_job"] == job_id
    assert after["next_run"] == before["next_run"]  # run now does not move the next run
    utc_ts(after["last_run"])
    assert cli_json("show", job_id, db=target)["schedule"] == "nightly"
    run_cli("schedule", "resume", "nightly", db=target)
    (resumed,) = cli_json("schedule", "list", db=target)
    assert resumed["paused"] is False and utc_ts(resumed["next_run"]) > time.time()
    run_cli("schedule", "remove", "nightly", db=target)
    assert cli_json("schedule", "list", db=target) == []
    assert cli_json("show", job_id, db=target)["schedule"] == "nightly"  # its job stays
    for verb in ("pause", "resume", "run", "remove"):
        assert_one_line_error(run_cli("schedule", verb, "nightly", db=target, check=False), 1)


BAD = [
    (["--cron", "61 * * * *"], "bad cron expression"),
    (["--cron", "* * *"], "bad cron expression"),
    (["--cron", "0 0 30 2 *"], "never fires"),
    (["--cron", "* * * * *", "--tz", "Mars/Olympus"], "unknown time zone"),
    (["--every", "soon"], "--every"),
    (["--every", "0"], "at least 1s"),
    (["--every", "5s", "--cron", "* * * * *"], "exactly one of"),
    (["--every", "5s", "--queue", "no spaces"], "queue must match"),
]


def test_bad_input_is_one_line_and_changes_nothing(target: str) -> None:
    run_cli("schedule", "add", "tick", "--every", "1m", "--command", "true", db=target)
    before = cli_json("schedule", "list", db=target)
    for flags, message in BAD:
        result = run_cli("schedule", "add", "new", *flags, "--command", "x", db=target, check=False)
        assert_one_line_error(result, 2)
        assert message in result.stderr, (flags, result.stderr)
    duplicate = run_cli(
        "schedule", "add", "tick", "--every", "5s", "--command", "other", db=target, check=False
    )
    assert_one_line_error(duplicate, 1)
    assert "already exists" in duplicate.stderr
    assert cli_json("schedule", "list", db=target) == before
