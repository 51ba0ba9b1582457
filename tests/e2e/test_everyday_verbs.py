"""``retry``, ``wait``, ``logs --follow`` across retries and ``--state running``, via the binary."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

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


def _dead_completed_cancelled(db: Path) -> None:
    enqueue(db, id="dead", command="echo no; exit 3", max_retries=0)
    enqueue(db, id="done", command="echo yes")
    assert start_workers(db, 1, "--drain").wait(60) == 0
    enqueue(db, id="gone", command="true", delay="1h")
    run_cli("cancel", "gone", db=db)


def test_retry_restarts_final_jobs_with_their_history(db: Path) -> None:
    _dead_completed_cancelled(db)
    result = run_cli("retry", "dead", "done", "gone", db=db)
    assert result.stdout.split() == ["dead", "done", "gone"]
    for job_id in ("dead", "done", "gone"):
        data = job(db, job_id)
        assert (data["state"], data["attempts"]) == ("pending", 0), data
    assert start_workers(db, 1, "--drain").wait(60) == 0
    done = job(db, "done")
    assert done["state"] == "completed"
    assert [h["attempt"] for h in done["history"]] == [1, 2]
    assert [h["attempt"] for h in job(db, "dead")["history"]] == [1, 2]
    assert [h["attempt"] for h in job(db, "gone")["history"]] == [1]


def test_retry_refuses_pending_jobs_and_changes_nothing(db: Path) -> None:
    _dead_completed_cancelled(db)
    enqueue(db, id="later", command="true", delay="1h")
    before = cli_json("list", db=db)
    result = run_cli("retry", "dead", "later", db=db, check=False)
    assert_one_line_error(result, 1)
    assert "'later' is pending" in result.stderr
    assert_one_line_error(run_cli("retry", "nope", db=db, check=False), 1)
    assert cli_json("list", db=db) == before


def test_retry_runs_a_failed_job_now_and_wait_reports_it(db: Path, tmp_path: Path) -> None:
    marker = tmp_path / "second-time"
    command = f"test -e {marker} && exit 0; touch {marker}; exit 1"
    run_cli("config", "set", "backoff_base", "1000", db=db)
    enqueue(db, id="flaky", command=command, max_retries=3)
    worker = start_workers(db, 1)
    try:
        wait_until(lambda: job(db, "flaky")["state"] == "failed", 30, message="first failure")
        run_cli("retry", "flaky", db=db)
        done = run_cli("wait", "flaky", "--timeout", "1m", "--json", db=db)
        (final,) = json.loads(done.stdout)
        assert (final["state"], final["attempts"]) == ("completed", 2)
    finally:
        run_cli("worker", "stop", "--timeout", "30s", db=db)
    assert worker.wait(30) == 0


def test_wait_exit_status(db: Path) -> None:
    _dead_completed_cancelled(db)
    assert run_cli("wait", "done", db=db).returncode == 0
    failed = run_cli("wait", "done", "dead", db=db, check=False)
    assert failed.returncode == 1 and "dead" in failed.stderr and "exit 3" in failed.stderr
    cancelled = run_cli("wait", "gone", "--json", db=db, check=False)
    assert cancelled.returncode == 1
    assert [j["state"] for j in json.loads(cancelled.stdout)] == ["cancelled"]
    unknown = run_cli("wait", "done", "nope", db=db, check=False)
    assert_one_line_error(unknown, 1)
    assert "'nope'" in unknown.stderr
    enqueue(db, id="later", command="true", delay="1h")
    timed_out = run_cli("wait", "later", "--timeout", "0.5s", "--json", db=db, check=False)
    assert timed_out.returncode == 124, timed_out.stderr
    assert "later" in timed_out.stderr
    assert [j["state"] for j in json.loads(timed_out.stdout)] == ["pending"]
    bad = run_cli("wait", "later", "--timeout", "soon", db=db, check=False)
    assert_one_line_error(bad, 2)


def test_logs_follow_spans_retries_until_final(db: Path, tmp_path: Path) -> None:
    marker = tmp_path / "second-time"
    command = f"if test -e {marker}; then echo try-2; else touch {marker}; echo try-1; exit 1; fi"
    run_cli("config", "set", "backoff_base", "1", db=db)
    enqueue(db, id="flaky", command=command, max_retries=2)
    follow = subprocess.Popen(
        [*QUEUECTL, "logs", "flaky", "--follow"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(db),
    )
    try:
        assert start_workers(db, 1, "--drain").wait(60) == 0
        out, err = follow.communicate(timeout=30)
    finally:
        follow.kill()
    assert follow.returncode == 0, err
    assert out.splitlines() == ["try-1", "try-2"]
    assert "--- attempt 2 ---" in err
    first = run_cli("logs", "flaky", "--follow", "--attempt", "1", db=db, check=False)
    assert (first.returncode, first.stdout) == (1, "try-1\n")
    second = run_cli("logs", "flaky", "--follow", "--attempt", "2", db=db)
    assert second.stdout == "try-2\n"


def test_logs_follow_of_a_dead_job_exits_1(db: Path) -> None:
    _dead_completed_cancelled(db)
    dead = run_cli("logs", "dead", "--follow", db=db, check=False)
    assert (dead.returncode, dead.stdout) == (1, "no\n")
    assert run_cli("logs", "done", "--follow", db=db).stdout == "yes\n"


def test_state_running_is_processing(db: Path) -> None:
    _dead_completed_cancelled(db)
    assert cli_json("list", "--state", "running", db=db) == cli_json(
        "list", "--state", "processing", db=db
    )
    assert [j["id"] for j in cli_json("list", "--state", "DEAD", db=db)] == ["dead"]
    assert_one_line_error(run_cli("list", "--state", "walking", db=db, check=False), 2)
