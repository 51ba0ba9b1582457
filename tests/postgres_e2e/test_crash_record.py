"""On PostgreSQL too: a worker SIGKILLed between a command's exit and its record loses nothing."""

from __future__ import annotations

import json
import signal
from pathlib import Path

from helpers import cli_env, cli_json, lines, run_cli, start_workers


def test_exited_command_is_recorded_when_its_worker_dies(pg_url: str, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    command = f"echo out; echo once >> {marker}"
    run_cli("enqueue", json.dumps({"id": "doomed", "command": command}), db=pg_url)
    env = cli_env(pg_url, {"QUEUECTL_TEST_DIE_AT_RECORD": "doomed"})
    supervisor = start_workers(None, 1, env=env, cwd=tmp_path)
    assert supervisor.wait(30) == 128 + signal.SIGKILL, supervisor.output()
    data = cli_json("show", "doomed", db=pg_url)
    assert (data["state"], data["exit_code"], data["attempts"]) == ("completed", 0, 1), data
    assert start_workers(None, 1, "--drain", env=cli_env(pg_url), cwd=tmp_path).wait(30) == 0
    assert lines(marker) == ["once"]
