"""``top``, ``signal`` and ``metrics --prometheus/--serve`` through the real binary, with a real
worker running real commands: what other processes see and what reaches the job's processes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import urllib.request
from pathlib import Path
from typing import Any

import psutil
import pytest
from helpers import (
    QUEUECTL,
    assert_one_line_error,
    cli_env,
    cli_json,
    enqueue,
    job,
    run_cli,
    start_workers,
    wait_until,
)
from prometheus_client.parser import text_string_to_metric_families


def _sampled(db: Path, job_id: str) -> dict[str, Any] | None:
    for row in cli_json("top", db=db):
        if row["id"] == job_id and row["pid"] is not None and row["rss_bytes"]:
            return dict(row)
    return None


def _state(pid: int) -> str:
    """The one-letter state in /proc/PID/stat (after the parenthesised command name)."""
    text = Path(f"/proc/{pid}/stat").read_text()
    return text.rsplit(")", 1)[1].split()[0]


def _group(pid: int) -> list[int]:
    return [p for p in psutil.pids() if _pgid(p) == pid]


def _pgid(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except OSError:
        return None


def test_top_shows_a_running_jobs_process_group(db: Path) -> None:
    enqueue(db, id="busy", command="sleep 300 & sleep 300 & wait", timeout=600)
    worker = start_workers(db, 1)
    row = wait_until(lambda: _sampled(db, "busy"), 20, message="a sample of busy")
    assert row["worker"] and row["host"]
    assert psutil.Process(row["pid"]).cmdline()[:2] == ["/bin/sh", "-c"]
    assert row["processes"] == 3  # the shell and its two sleeps
    assert row["rss_bytes"] > 0 and row["cpu_percent"] >= 0
    assert 0 <= row["elapsed"] < 600 and 0 < row["timeout_left"] <= 600
    assert row["elapsed"] + row["timeout_left"] == pytest.approx(600, abs=0.01)
    table = run_cli("top", db=db).stdout
    assert "busy" in table and str(row["pid"]) in table
    run_cli("cancel", "busy", db=db)
    run_cli("worker", "stop", db=db)
    assert worker.wait(20) == 0
    assert cli_json("top", db=db) == []


def test_signals_reach_the_whole_process_group(db: Path) -> None:
    enqueue(db, id="victim", command="sleep 300 & wait", max_retries=0)
    worker = start_workers(db, 1)
    shell = wait_until(lambda: _sampled(db, "victim"), 20, message="sampled")["pid"]
    members = wait_until(lambda: len(_group(shell)) == 2 and _group(shell), 10)
    out = run_cli("signal", "victim", "STOP", db=db).stdout
    assert out.strip() == "SIGSTOP delivered to job victim"
    wait_until(lambda: all(_state(p) == "T" for p in members), 10, message="stopped")
    run_cli("signal", "victim", "sigcont", db=db)
    wait_until(lambda: all(_state(p) in "SR" for p in members), 10, message="continued")
    run_cli("signal", "victim", "SIGKILL", db=db)
    wait_until(lambda: not any(psutil.pid_exists(p) for p in members), 10, message="killed")
    wait_until(lambda: job(db, "victim")["state"] == "dead", 10)
    (attempt,) = job(db, "victim")["history"]
    assert (attempt["exit_code"], attempt["error"]) == (-9, "killed by SIGKILL")
    run_cli("worker", "stop", db=db)
    assert worker.wait(20) == 0


def test_signal_refusals(db: Path) -> None:
    enqueue(db, id="idle", command="true")
    assert_one_line_error(run_cli("signal", "idle", "TERM", db=db, check=False), 1)
    assert_one_line_error(run_cli("signal", "nope", "TERM", db=db, check=False), 1)
    for bad in ("TERMINATE", "9", "SIGSEGV", ""):
        assert_one_line_error(run_cli("signal", "idle", bad, db=db, check=False), 2)
    assert_one_line_error(run_cli("top", "--json", "--watch", "1", db=db, check=False), 2)
    remote = run_cli("metrics", "--serve", "--host", "0.0.0.0", db=db, check=False)
    assert_one_line_error(remote, 2)
    assert_one_line_error(run_cli("metrics", "--json", "--prometheus", db=db, check=False), 2)


def _families(text: str) -> dict[str, Any]:
    return {family.name: family for family in text_string_to_metric_families(text)}


def _samples(families: dict[str, Any], name: str) -> dict[tuple[tuple[str, str], ...], float]:
    found = {}
    for family in families.values():
        for sample in family.samples:
            if sample.name == name:
                found[tuple(sorted(sample.labels.items()))] = sample.value
    return found


def test_prometheus_figures_match_status_and_survive_purge(db: Path) -> None:
    for i in range(3):
        enqueue(db, id=f"ok{i}", command="true", queue="mail")
    enqueue(db, id="bad", command="exit 3", max_retries=0)
    enqueue(db, id="later", command="true", delay="1h")
    worker = start_workers(db, 2)
    wait_until(lambda: cli_json("status", db=db)["counts"]["completed"] == 3, 30)
    wait_until(lambda: cli_json("status", db=db)["counts"]["dead"] == 1, 30)
    families = _families(run_cli("metrics", "--prometheus", db=db).stdout)
    status = cli_json("status", db=db)
    jobs = _samples(families, "queuectl_jobs")
    for state, count in status["counts"].items():
        assert sum(v for k, v in jobs.items() if ("state", state) in k) == count, state
    assert _samples(families, "queuectl_workers") == {(): len(status["workers"])}
    finished = _samples(families, "queuectl_jobs_finished_total")
    assert finished[(("outcome", "completed"), ("queue", "mail"))] == 3
    assert finished[(("outcome", "dead"), ("queue", "default"))] == 1
    counts = _samples(families, "queuectl_attempt_duration_seconds_count")
    assert counts == {(("queue", "default"),): 1, (("queue", "mail"),): 3}
    assert _samples(families, "queuectl_oldest_pending_seconds")[(("queue", "default"),)] == 0
    run_cli("worker", "stop", db=db)
    assert worker.wait(20) == 0
    run_cli("purge", "--state", "completed", "--state", "dead", "--older-than", "0s", db=db)
    after = _families(run_cli("metrics", "--prometheus", db=db).stdout)
    assert _samples(after, "queuectl_jobs_finished_total") == finished
    assert _samples(after, "queuectl_attempt_duration_seconds_count") == counts


def test_metrics_serve_answers_over_http(db: Path) -> None:
    enqueue(db, id="one", command="true")
    server = subprocess.Popen(
        [*QUEUECTL, "metrics", "--serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(db),
    )
    try:
        assert server.stdout is not None
        first = server.stdout.readline().strip()
        match = re.fullmatch(r"serving (http://127\.0\.0\.1:\d+/metrics)", first)
        assert match, first
        with urllib.request.urlopen(match.group(1), timeout=10) as response:
            assert response.status == 200
            body = response.read().decode()
        jobs = _samples(_families(body), "queuectl_jobs")
        assert jobs[(("queue", "default"), ("state", "pending"))] == 1
    finally:
        server.terminate()
        _, errors = server.communicate(timeout=10)
    assert server.returncode == 0, errors
    assert json.loads(run_cli("status", "--json", db=db).stdout)["counts"]["pending"] == 1
