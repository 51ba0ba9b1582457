"""Queues end to end on PostgreSQL (DESIGN §8): a limit held across worker processes on three
hosts, pause/resume reaching every host, retention."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
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


def _age(url: str, ids: list[str], seconds: float) -> None:
    """Move jobs' finish into the past, as if they had finished ``seconds`` earlier."""

    async def run() -> None:
        conn = await asyncpg.connect(url, server_settings={"search_path": "queuectl"})
        try:
            sql = "UPDATE jobs SET finished_at = finished_at - $1 WHERE id = ANY($2::text[])"
            await conn.execute(sql, seconds, ids)
        finally:
            await conn.close()

    asyncio.run(run())


def test_retention_sweeps_on_postgres(pg_url: str, pg_workers: PgWorkers) -> None:
    for name in ("old1", "old2", "new"):
        enqueue(pg_url, command="true", id=name)
    enqueue(pg_url, command="exit 3", id="dead-old", max_retries=0)
    assert pg_workers(2, "--drain").wait(30) == 0
    _age(pg_url, ["old1", "old2", "dead-old"], 7200)
    run_cli("config", "set", "retention_completed", "1h", db=pg_url)
    worker = pg_workers(1)  # sweeps at start, then every ~10 s

    def ids() -> set[str]:
        return {j["id"] for j in cli_json("list", db=pg_url)}

    wait_until(lambda: ids() == {"new", "dead-old"}, 30, 0.2, "old completed jobs swept")
    run_cli("worker", "stop", db=pg_url)
    assert worker.wait(30) == 0, worker.output()
    assert cli_json("status", db=pg_url)["counts"]["completed"] == 1
