"""A worker SIGKILLed between a command's exit and its record: the result is recorded anyway,
the command does not run again; a command killed mid-run is retried, and can tell."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

from helpers import cli_env, cli_json, job, lines, run_cli, start_workers, wait_until

from .support import configure, read_rows


def test_exited_command_is_recorded_when_its_worker_dies_before_recording(
    db: Path, tmp_path: Path
) -> None:
    marker = tmp_path / "ran"
    command = f"echo out; echo err >&2; echo once >> {marker}; exit 3"
    run_cli("enqueue", json.dumps({"id": "doomed", "command": command, "max_retries": 2}), db=db)
    env = cli_env(db, {"QUEUECTL_TEST_DIE_AT_RECORD": "doomed"})
    supervisor = start_workers(db, 1, env=env)
    # The hook SIGKILLs the worker right after the command exited; the supervisor records it.
    assert supervisor.wait(30) == 128 + signal.SIGKILL, supervisor.output()
    data = job(db, "doomed")
    assert (data["state"], data["exit_code"], data["attempts"]) == ("failed", 3, 1), data
    assert data["last_error"] == "exit 3"
    history = read_rows(
        db, "SELECT attempt, exit_code, error FROM attempts WHERE job_id = ?", ("doomed",)
    )
    assert history == [(1, 3, "exit 3")]
    assert lines(marker) == ["once"]
    assert cli_json("status", db=db)["workers"] == []


def test_successful_command_is_not_run_again_after_its_worker_died(
    db: Path, tmp_path: Path
) -> None:
    marker = tmp_path / "ran"
    run_cli("enqueue", json.dumps({"id": "done", "command": f"echo once >> {marker}"}), db=db)
    env = cli_env(db, {"QUEUECTL_TEST_DIE_AT_RECORD": "done"})
    assert start_workers(db, 1, env=env).wait(30) == 128 + signal.SIGKILL
    assert job(db, "done")["state"] == "completed"
    assert start_workers(db, 1, "--drain").wait(30) == 0
    assert lines(marker) == ["once"]


def test_command_killed_mid_run_is_retried_and_knows_it(db: Path, tmp_path: Path) -> None:
    configure(db, backoff_base=1, backoff_max=1)
    marker = tmp_path / "runs"
    command = (
        f'echo "$QUEUECTL_ATTEMPT ${{QUEUECTL_PREVIOUS_OUTCOME:-none}}" >> {marker}; '
        '[ "$QUEUECTL_ATTEMPT" = 1 ] && sleep 300; true'
    )
    run_cli("enqueue", json.dumps({"id": "long", "command": command}), db=db)
    supervisor = start_workers(db, 1)
    wait_until(lambda: lines(marker) == ["1 none"], 15, message="first attempt running")
    os.kill(supervisor.worker_pid(), signal.SIGKILL)
    assert supervisor.wait(30) == 128 + signal.SIGKILL
    errors = read_rows(db, "SELECT error FROM attempts WHERE job_id = 'long'")
    assert len(errors) == 1 and str(errors[0][0]).startswith("worker lost"), errors
    assert start_workers(db, 1, "--drain").wait(30) == 0
    assert lines(marker) == ["1 none", "2 lost"]
    assert job(db, "long")["state"] == "completed"
