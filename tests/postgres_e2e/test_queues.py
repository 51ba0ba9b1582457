"""Queues end to end on PostgreSQL (DESIGN §8): a limit held across worker processes on three
hosts, and pause/resume reaching every host."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import cli_json, enqueue, lines, run_cli, wait_until
from queue_support import enqueue_limited, most_at_once, watch_limit

from .conftest import PgWorkers

pytestmark = pytest.mark.postgres


def test_limit_holds_across_three_hosts(pg_url: str, pg_workers: PgWorkers, tmp_path: Path) -> None:
    log = tmp_path / "runs.log"
    enqueue_limited(pg_url, log, "render", 30, 2)
    workers = [pg_workers(3, "--drain", host=f"host-{name}") for name in "abc"]
    samples = watch_limit(pg_url, "render", 30, 2, lambda: any(w.alive() for w in workers))
    for worker in workers:
        assert worker.wait(30) == 0, worker.output()
    assert len(lines(log)) == 60 and samples > 5
    assert most_at_once(log) == 2


def test_pause_and_resume_reach_every_host(
    pg_url: str, pg_workers: PgWorkers, tmp_path: Path
) -> None:
    marks = tmp_path / "marks"
    run_cli("queue", "pause", "mail", db=pg_url)
    held = [enqueue(pg_url, command=f"echo {i} >> {marks}", queue="mail") for i in range(4)]
    fleet = [pg_workers(2, host=f"host-{name}") for name in "ab"]
    other = enqueue(pg_url, command="true", queue="web")

    def state(job_id: str) -> str:
        return str(cli_json("show", job_id, db=pg_url)["state"])

    wait_until(lambda: state(other) == "completed", 30, 0.1, "other queues run")
    assert [state(j) for j in held] == ["pending"] * 4
    run_cli("queue", "resume", "mail", db=pg_url)
    wait_until(lambda: len(lines(marks)) == 4, 30, 0.1, "resumed jobs ran")
    run_cli("worker", "stop", db=pg_url)
    for worker in fleet:
        assert worker.wait(30) == 0, worker.output()
