"""Queues end to end on SQLite (DESIGN §8): pause and resume under running workers, a limit
across worker processes, drain with paused queues, retention, bad input."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from helpers import (
    assert_one_line_error,
    cli_json,
    enqueue,
    job,
    lines,
    run_cli,
    start_workers,
    wait_until,
)
from queue_support import enqueue_limited, most_at_once, watch_limit


def _state(db: Path, job_id: str) -> str:
    return str(job(db, job_id)["state"])


def test_limit_holds_across_three_worker_processes(db: Path, tmp_path: Path) -> None:
    log = tmp_path / "runs.log"
    enqueue_limited(str(db), log, "render", 30, 2)
    workers = [start_workers(db, 3, "--drain") for _ in range(3)]
    samples = watch_limit(str(db), "render", 30, 2, lambda: any(w.alive() for w in workers))
    for worker in workers:
        assert worker.wait(30) == 0, worker.output()
    assert len(lines(log)) == 60 and samples > 5
    assert most_at_once(log) == 2  # never more, and the limit was reached


def test_pause_stops_new_claims_and_resume_continues(db: Path, tmp_path: Path) -> None:
    marks = tmp_path / "marks"
    slow = [
        enqueue(db, command=f"sleep 1; echo slow{i} >> {marks}", queue="mail", id=f"slow{i}")
        for i in range(2)
    ]
    worker = start_workers(db, 4)
    wait_until(lambda: all(_state(db, j) == "processing" for j in slow), 20, 0.1, "both run")
    run_cli("queue", "pause", "mail", db=db)
    held = [enqueue(db, command=f"echo held{i} >> {marks}", queue="mail") for i in range(3)]
    other = enqueue(db, command=f"echo web >> {marks}", queue="web")
    wait_until(lambda: _state(db, other) == "completed", 20, 0.1, "other queues still run")
    # Running jobs of the paused queue finish; its waiting ones stay put.
    wait_until(lambda: all(_state(db, j) == "completed" for j in slow), 20, 0.1, "slow finish")
    later = enqueue(db, command=f"echo later >> {marks}", queue="web")
    wait_until(lambda: _state(db, later) == "completed", 20, 0.1, "a later job runs")
    assert [_state(db, j) for j in held] == ["pending"] * 3
    assert cli_json("status", db=db)["paused"] == ["mail"]
    run_cli("queue", "resume", "mail", db=db)
    wait_until(lambda: all(_state(db, j) == "completed" for j in held), 20, 0.1, "resumed")
    assert sorted(lines(marks)) == ["held0", "held1", "held2", "later", "slow0", "slow1", "web"]
    run_cli("worker", "stop", db=db)
    assert worker.wait(30) == 0, worker.output()


def test_drain_exits_when_only_paused_queues_have_jobs(db: Path) -> None:
    run_cli("queue", "pause", "mail", db=db)
    held = enqueue(db, command="true", queue="mail")
    done = enqueue(db, command="true", queue="web")
    worker = start_workers(db, 2, "--drain")
    assert worker.wait(30) == 0, worker.output()
    assert (_state(db, held), _state(db, done)) == ("pending", "completed")
    assert "paused queues: mail" in run_cli("status", db=db).stdout


def _age(db: Path, ids: list[str], seconds: float) -> None:
    """Move jobs' finish into the past, as if they had finished ``seconds`` earlier."""
    conn = sqlite3.connect(db)
    with conn:
        marks = ", ".join("?" * len(ids))
        conn.execute(
            f"UPDATE jobs SET finished_at = finished_at - ? WHERE id IN ({marks})", [seconds, *ids]
        )
    conn.close()


def test_retention_deletes_exactly_the_old_finished_jobs(db: Path) -> None:
    for name in ("old1", "old2", "new"):
        enqueue(db, command="echo hi", id=name)
    enqueue(db, command="exit 3", id="dead-old", max_retries=0)
    enqueue(db, command="true", id="cancel-old", run_at="2999-01-01T00:00:00Z")
    run_cli("cancel", "cancel-old", db=db)
    assert start_workers(db, 2, "--drain").wait(30) == 0
    enqueue(db, command="true", id="waiting", run_at="2999-01-01T00:00:00Z")
    _age(db, ["old1", "old2", "dead-old", "cancel-old"], 7200)
    run_cli("config", "set", "retention_completed", "1h", db=db)
    run_cli("config", "set", "retention_cancelled", "3600", db=db)
    run_cli("config", "set", "retention_dead", "0", db=db)  # keep forever
    worker = start_workers(db, 1)  # sweeps at start, then every ~10 s

    def ids() -> set[str]:
        return {j["id"] for j in cli_json("list", db=db)}

    wait_until(lambda: ids() == {"new", "dead-old", "waiting"}, 30, 0.1, "old jobs swept")
    missing = run_cli("logs", "old1", db=db, check=False)
    assert_one_line_error(missing, 1)
    run_cli("worker", "stop", db=db)
    assert worker.wait(30) == 0, worker.output()
    assert "retention: deleted 3 finished jobs" in worker.output()


@pytest.mark.parametrize(
    "args",
    [
        ("queue", "set", "mail", "--concurrency", "-1"),
        ("queue", "set", "mail", "--concurrency", "two"),
        ("queue", "set", "mail", "--concurrency", "1.5"),
        ("queue", "set", "mail"),
        ("queue", "set", "no such queue!", "--concurrency", "1"),
        ("queue", "pause"),
        ("queue", "pause", "ok", "b@d"),
        ("queue", "resume", ""),
        ("queue", "list", "--bogus"),
        ("queue", "frobnicate"),
        ("config", "set", "retention_completed", "-5"),
        ("config", "set", "retention_dead", "7 days"),
        ("config", "set", "retention_cancelled", "soon"),
    ],
)
def test_bad_input_is_one_line_and_changes_nothing(db: Path, args: tuple[str, ...]) -> None:
    enqueue(db, command="true", queue="mail")
    before = (cli_json("queue", "list", db=db), cli_json("config", "list", db=db))
    assert_one_line_error(run_cli(*args, db=db, check=False), 2)
    assert (cli_json("queue", "list", db=db), cli_json("config", "list", db=db)) == before


def test_queue_list_shows_settings_without_jobs(db: Path) -> None:
    run_cli("queue", "pause", "later", db=db)
    run_cli("queue", "set", "mail", "-c", "4", db=db)
    listed = cli_json("queue", "list", db=db)
    assert [(q["name"], q["paused"], q["concurrency"]) for q in listed] == [
        ("later", True, 0),
        ("mail", False, 4),
    ]
    text = run_cli("queue", "list", db=db).stdout.splitlines()
    assert text[0].split()[:3] == ["queue", "state", "limit"]
    assert text[2].split()[:3] == ["later", "paused", "-"]
    assert json.loads(run_cli("queue", "list", "--json", db=db).stdout) == listed
