"""On PostgreSQL: ``top`` and ``signal`` for a worker on another "host", and the Prometheus
figures, through real processes."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import psutil
import pytest
from helpers import cli_json, enqueue, job, run_cli, wait_until
from prometheus_client.parser import text_string_to_metric_families

from .conftest import PgWorkers

pytestmark = pytest.mark.postgres


def _sampled(url: str, job_id: str) -> dict[str, Any] | None:
    for row in cli_json("top", db=url):
        if row["id"] == job_id and row["pid"] is not None and row["rss_bytes"]:
            return dict(row)
    return None


def _state(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]


def test_top_and_signal_reach_a_job_on_another_host(pg_url: str, pg_workers: PgWorkers) -> None:
    enqueue(pg_url, id="far", command="sleep 300 & wait", max_retries=0, timeout=900)
    worker = pg_workers(1, host="host-far")
    row = wait_until(lambda: _sampled(pg_url, "far"), 30, 0.2, "a sample of far")
    assert row["host"] == "host-far" and row["processes"] == 2 and row["rss_bytes"] > 0
    assert 0 < row["timeout_left"] <= 900
    members = [p for p in psutil.pids() if _pgid(p) == row["pid"]]
    assert len(members) == 2
    run_cli("signal", "far", "STOP", db=pg_url)
    wait_until(lambda: all(_state(p) == "T" for p in members), 10, message="stopped")
    run_cli("signal", "far", "CONT", db=pg_url)
    wait_until(lambda: all(_state(p) in "SR" for p in members), 10, message="continued")
    run_cli("signal", "far", "KILL", db=pg_url)
    wait_until(lambda: job(pg_url, "far")["state"] == "dead", 20)
    assert not any(psutil.pid_exists(p) for p in members)
    assert job(pg_url, "far")["history"][0]["error"] == "killed by SIGKILL"
    run_cli("worker", "stop", db=pg_url, timeout=60)
    assert worker.wait(30) == 0, worker.output()


def _pgid(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except OSError:
        return None


def test_prometheus_figures_match_status(pg_url: str, pg_workers: PgWorkers) -> None:
    for i in range(4):
        enqueue(pg_url, id=f"ok{i}", command="true", queue="mail")
    enqueue(pg_url, id="bad", command="exit 1", max_retries=0)
    worker = pg_workers(2)
    wait_until(lambda: cli_json("status", db=pg_url)["counts"]["completed"] == 4, 60, 0.2)
    wait_until(lambda: cli_json("status", db=pg_url)["counts"]["dead"] == 1, 60, 0.2)
    text = run_cli("metrics", "--prometheus", db=pg_url).stdout
    status = cli_json("status", db=pg_url)
    values: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            values[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    for state, count in status["counts"].items():
        found = sum(
            v for (n, k), v in values.items() if n == "queuectl_jobs" and ("state", state) in k
        )
        assert found == count, state
    assert values[("queuectl_workers", ())] == len(status["workers"])
    finished = ("queuectl_jobs_finished_total", (("outcome", "completed"), ("queue", "mail")))
    assert values[finished] == 4
    run_cli("worker", "stop", db=pg_url, timeout=60)
    assert worker.wait(30) == 0, worker.output()
    run_cli("purge", "--state", "completed", "--older-than", "0s", db=pg_url)
    again = run_cli("metrics", "--prometheus", db=pg_url).stdout
    assert 'queuectl_jobs_finished_total{outcome="completed",queue="mail"} 4.0' in again
