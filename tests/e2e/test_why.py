"""``queuectl why``: each reason code, set up through the CLI with real workers, on both stores."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import (
    WorkerProcess,
    assert_one_line_error,
    cli_env,
    cli_json,
    run_cli,
    start_workers,
    wait_until,
)
from store.conftest import admin, pg_database_url, require_postgres


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield str(tmp_path / "q.db")
        return
    asyncio.run(require_postgres())
    name = f"queuectl_why_{uuid.uuid4().hex[:12]}"
    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield pg_database_url(name)
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def why(url: str, job_id: str) -> dict[str, Any]:
    data = cli_json("why", job_id, db=url)
    assert data["id"] == job_id and isinstance(data["reasons"], list), data
    return data  # type: ignore[no-any-return]


def codes(url: str, job_id: str) -> list[str]:
    return [r["code"] for r in why(url, job_id)["reasons"]]


def add(url: str, **fields: Any) -> str:
    return run_cli("enqueue", json.dumps(fields), db=url).stdout.strip()


def state(url: str, job_id: str) -> str:
    return str(cli_json("show", job_id, db=url)["state"])


def running_ids(url: str) -> list[str]:
    """The jobs the live workers said they run at their last heartbeat."""
    return [j for w in cli_json("status", db=url)["workers"] for j in w["current_jobs"]]


def worker(url: str, tmp_path: Path, *extra: str) -> WorkerProcess:
    """``worker start --count 1 EXTRA`` on ``url``, its log in ``tmp_path``."""
    return start_workers(None, 1, "-q", *extra, env=cli_env(url), cwd=tmp_path)


def test_waiting_reasons_without_a_worker(url: str) -> None:
    run_cli("enqueue", "--command", "true", "--id", "a", db=url)
    assert codes(url, "a") == ["no_worker"]
    add(url, id="later", command="true", delay="1h")
    assert codes(url, "later") == ["scheduled", "no_worker"]
    message = why(url, "later")["reasons"][0]["message"]
    assert "scheduled for" in message and ("in 59m" in message or "in 1h" in message)


def test_unknown_id_is_one_line_and_exit_1(url: str) -> None:
    run_cli("enqueue", "--command", "true", db=url)
    assert_one_line_error(run_cli("why", "nope", db=url, check=False), 1)


def test_final_states_say_how_they_ended(url: str, tmp_path: Path) -> None:
    add(url, id="ok", command="true")
    add(url, id="bad", command="exit 3", max_retries=0)
    add(url, id="gone", command="true", delay="1h")
    run_cli("cancel", "gone", db=url)
    run_cli("worker", "start", "--count", "2", "--drain", "-q", db=url, timeout=60)
    assert codes(url, "ok") == ["completed"]
    assert codes(url, "bad") == ["dead"]
    dead = why(url, "bad")["reasons"][0]["message"]
    assert "exit 3" in dead and "queuectl retry bad" in dead
    assert codes(url, "gone") == ["cancelled"]


def test_backoff_names_the_failed_attempt(url: str, tmp_path: Path) -> None:
    run_cli("config", "set", "backoff-base", "100", db=url)
    add(url, id="flaky", command="exit 4", max_retries=2)
    busy_worker = worker(url, tmp_path)
    wait_until(lambda: state(url, "flaky") == "failed", 30, message="first attempt failed")
    busy_worker.signal_group(signal.SIGTERM)
    assert busy_worker.wait(30) == 0
    reasons = why(url, "flaky")["reasons"]
    assert reasons[0]["code"] == "backoff", reasons
    assert "attempt 1 of 3 failed" in reasons[0]["message"]


def test_running_busy_and_ready(url: str, tmp_path: Path) -> None:
    run_cli("config", "set", "heartbeat-interval", "0.5", db=url)
    add(url, id="long", command="sleep 60")
    busy_worker = worker(url, tmp_path)
    wait_until(lambda: state(url, "long") == "processing", 30, message="long runs")
    wait_until(lambda: running_ids(url) == ["long"], 30, message="heartbeat names long")
    add(url, id="next", command="true")
    add(url, id="last", command="true")
    # The worker publishes the job's pid with its next heartbeat.
    running = wait_until(
        lambda: [r for r in why(url, "long")["reasons"] if "pid" in r["message"]],
        30,
        message="pid published",
    )
    assert running[0]["code"] == "running"
    busy = why(url, "last")["reasons"]
    assert [r["code"] for r in busy] == ["busy"], busy
    assert "1 job(s) ahead" in busy[0]["message"]
    # A frozen worker still holds its lease, so its free slots count: "ready".
    run_cli("cancel", "long", db=url)
    wait_until(lambda: state(url, "last") == "completed", 30, message="last ran")
    wait_until(lambda: running_ids(url) == [], 30, message="heartbeat names no job")
    frozen = busy_worker.worker_pid()
    os.kill(frozen, signal.SIGSTOP)
    try:
        add(url, id="fresh", command="true")
        assert codes(url, "fresh") == ["ready"]
    finally:
        os.kill(frozen, signal.SIGCONT)
    busy_worker.signal_group(signal.SIGTERM)
    assert busy_worker.wait(30) == 0


def test_no_worker_names_the_queues_served(url: str, tmp_path: Path) -> None:
    add(url, id="here", command="true")
    other = worker(url, tmp_path, "--queue", "other")
    wait_until(lambda: cli_json("status", db=url)["workers"], 30, message="worker registered")
    reasons = why(url, "here")["reasons"]
    assert [r["code"] for r in reasons] == ["no_worker"]
    assert "other" in reasons[0]["message"]
    other.signal_group(signal.SIGTERM)
    assert other.wait(30) == 0


def test_paused_queue_and_dependencies(url: str) -> None:
    add(url, id="first", command="true", queue="etl")
    add(url, id="then", command="true", queue="etl", after=["first"])
    run_cli("queue", "pause", "etl", db=url)
    assert codes(url, "first") == ["queue_paused", "no_worker"]
    reasons = why(url, "then")["reasons"]
    assert [r["code"] for r in reasons] == ["dependencies", "queue_paused", "no_worker"]
    assert "first (pending)" in reasons[0]["message"]
    assert "queuectl queue resume etl" in reasons[1]["message"]


def test_concurrency_limit_names_what_runs(url: str, tmp_path: Path) -> None:
    run_cli("queue", "set", "slow", "--concurrency", "1", db=url)
    add(url, id="holder", command="sleep 60", queue="slow")
    add(url, id="queued", command="true", queue="slow")
    busy_worker = start_workers(None, 2, "-q", env=cli_env(url), cwd=tmp_path)
    wait_until(lambda: state(url, "holder") == "processing", 30, message="holder runs")
    reasons = why(url, "queued")["reasons"]
    assert [r["code"] for r in reasons] == ["concurrency_limit"], reasons
    assert "limit of 1" in reasons[0]["message"] and "holder" in reasons[0]["message"]
    run_cli("cancel", "holder", db=url)
    wait_until(lambda: state(url, "queued") == "completed", 30, message="queued ran")
    busy_worker.signal_group(signal.SIGTERM)
    assert busy_worker.wait(30) == 0
