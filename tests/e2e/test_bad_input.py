"""Bad input is a one-line error with exit 2 and changes nothing; failed operations exit 1."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from helpers import assert_one_line_error, cli_json, enqueue, job, run_cli, start_workers

BAD_JOBS = {
    "malformed-json": '{"command": "true"',
    "not-json": "echo hello",
    "not-an-object": '["true"]',
    "unknown-field": '{"command": "true", "retries": 2}',
    "missing-command": '{"priority": 1}',
    "command-not-a-string": '{"command": 5}',
    "empty-command": '{"command": ""}',
    "priority-string": '{"command": "true", "priority": "high"}',
    "priority-fraction": '{"command": "true", "priority": 1.5}',
    "max-retries-negative": '{"command": "true", "max_retries": -1}',
    "max-retries-string": '{"command": "true", "max_retries": "3"}',
    "timeout-zero": '{"command": "true", "timeout": 0}',
    "timeout-negative": '{"command": "true", "timeout_seconds": -5}',
    "timeout-string": '{"command": "true", "timeout": "soon"}',
    "run-at-bad-date": '{"command": "true", "run_at": "2024-13-45T25:00:00"}',
    "run-at-words": '{"command": "true", "run_at": "tomorrow"}',
    "delay-bad-unit": '{"command": "true", "delay": "5 parsecs"}',
    "delay-negative": '{"command": "true", "delay": -3}',
    "queue-space": '{"command": "true", "queue": "bad queue"}',
    "queue-slash": '{"command": "true", "queue": "a/b"}',
    "queue-too-long": json.dumps({"command": "true", "queue": "q" * 65}),
    "queue-empty": '{"command": "true", "queue": ""}',
    "id-with-space": '{"command": "true", "id": "has space"}',
    "id-with-newline": '{"command": "true", "id": "a\\nb"}',
    "id-empty": '{"command": "true", "id": ""}',
    "id-too-long": json.dumps({"command": "true", "id": "x" * 201}),
    "id-number": '{"command": "true", "id": 7}',
    "env-not-strings": '{"command": "true", "env": {"A": 1}}',
    "env-not-object": '{"command": "true", "env": ["A=1"]}',
    "cwd-number": '{"command": "true", "cwd": 3}',
    "max-retries-bool": '{"command": "true", "max_retries": true}',
    "priority-bool": '{"command": "true", "priority": false}',
    "timeout-bool": '{"command": "true", "timeout": true}',
    "delay-bool": '{"command": "true", "delay": true}',
    "run-at-bool": '{"command": "true", "run_at": true}',
    "timeout-nan": '{"command": "true", "timeout": NaN}',
    "priority-infinite": '{"command": "true", "priority": 1e400}',
    "command-list": '{"command": ["ls", "-l"]}',
    "id-control-char": json.dumps({"command": "true", "id": "a\u0007b"}),
    "null-command": '{"command": null}',
    "trailing-garbage": '{"command": "true"} {"command": "true"}',
}

# JSON Lines input goes through the same validation; a sample keeps the suite fast.
STDIN_SAMPLE = [
    "malformed-json",
    "unknown-field",
    "empty-command",
    "run-at-bad-date",
    "id-with-space",
]

BAD_COMMANDS = {
    "flag-empty-command": ["enqueue", "--command", ""],
    "flag-negative-retries": ["enqueue", "--command", "true", "--max-retries", "-1"],
    "flag-bad-id": ["enqueue", "--command", "true", "--id", "two words"],
    "flag-bad-queue": ["enqueue", "--command", "true", "--queue", "no such/queue"],
    "flag-bad-delay": ["enqueue", "--command", "true", "--delay", "soonish"],
    "flag-bad-run-at": ["enqueue", "--command", "true", "--run-at", "31/02/2024"],
    "config-unknown-key": ["config", "set", "no-such-key", "1"],
    "config-get-unknown-key": ["config", "get", "no-such-key"],
    "config-negative-retries": ["config", "set", "max-retries", "-1"],
    "config-negative-after-dashdash": ["config", "set", "max-retries", "--", "-1"],
    "config-not-a-number": ["config", "set", "max-retries", "lots"],
    "config-fraction-retries": ["config", "set", "max_retries", "1.5"],
    "config-bad-backoff": ["config", "set", "backoff-base", "fast"],
    "config-zero-heartbeat": ["config", "set", "heartbeat-interval", "0"],
    "purge-bad-age": ["purge", "--state", "completed", "--older-than", "yesterday"],
    "retry-ids-and-filters": ["retry", "existing", "--state", "pending"],
    "cancel-ids-and-filters": ["cancel", "existing", "--queue", "default"],
    "cancel-dry-run-with-ids": ["cancel", "existing", "--dry-run"],
    "retry-nothing-named": ["retry"],
    "purge-nothing-named": ["purge"],
}


# Usage errors from the CLI parser: exit 2 and no traceback (the one-line rule is for input).
BAD_USAGE = {
    "worker-count-zero": ["worker", "start", "--count", "0"],
    "worker-count-word": ["worker", "start", "--count", "many"],
    "worker-bad-queue": ["worker", "start", "--count", "1", "--queue", "bad queue", "--drain"],
    "enqueue-missing-file": ["enqueue", "--file", "/nonexistent/jobs.jsonl"],
    "enqueue-nothing": ["enqueue"],
    "unknown-command": ["frobnicate"],
    "list-bad-state": ["list", "--state", "sleeping"],
    "list-bad-limit": ["list", "--limit", "-3"],
    "list-bad-since": ["list", "--since", "yesterday"],
    "list-bad-until": ["list", "--until", "99999-01-01"],
    "list-bad-exit-code": ["list", "--exit-code", "zero"],
    "retry-bad-state": ["retry", "--state", "sleeping"],
    "purge-bad-state": ["purge", "--state", "pending"],
}


def snapshot(db: Path, with_config: bool = True) -> tuple[object, str]:
    """Everything a bad command must leave alone: the jobs and the config."""
    config = run_cli("config", "list", db=db).stdout if with_config else ""
    return cli_json("list", db=db), config


@pytest.fixture
def seeded(db: Path) -> Path:
    enqueue(db, id="existing", command="echo existing")
    return db


def check_rejected(result: subprocess.CompletedProcess[str], code: int) -> str | None:
    """None when ``result`` is a one-line error with exit ``code``, else why not."""
    try:
        assert_one_line_error(result, code)
    except AssertionError as exc:
        return str(exc)
    return None


def test_bad_job_json_is_rejected(seeded: Path) -> None:
    # One test for the whole corpus (each CLI start costs ~0.25 s); every failure is listed.
    before = snapshot(seeded, with_config=False)
    failures = []
    for name, text in BAD_JOBS.items():
        if problem := check_rejected(run_cli("enqueue", text, db=seeded, check=False), 2):
            failures.append(f"{name} (arg): {problem}")
    for name in STDIN_SAMPLE:
        result = run_cli("enqueue", "-", db=seeded, input=BAD_JOBS[name] + "\n", check=False)
        if problem := check_rejected(result, 2):
            failures.append(f"{name} (stdin): {problem}")
    assert not failures, "\n".join(failures)
    assert snapshot(seeded, with_config=False) == before


def test_bad_command_is_rejected(seeded: Path) -> None:
    before = snapshot(seeded)
    failures = []
    for name, args in BAD_COMMANDS.items():
        if problem := check_rejected(run_cli(*args, db=seeded, check=False), 2):
            failures.append(f"{name}: {problem}")
    assert not failures, "\n".join(failures)
    assert snapshot(seeded) == before


def test_bad_usage_exits_2_without_traceback(seeded: Path) -> None:
    before = snapshot(seeded)
    failures = []
    for name, args in BAD_USAGE.items():
        try:
            result = run_cli(*args, db=seeded, check=False, timeout=5)
        except subprocess.TimeoutExpired:
            failures.append(f"{name}: accepted, still running after 5 s")
            continue
        if result.returncode != 2 or "Traceback" in result.stderr or not result.stderr.strip():
            failures.append(f"{name}: rc={result.returncode} stderr={result.stderr[-500:]!r}")
    assert not failures, "\n".join(failures)
    assert snapshot(seeded) == before


def test_boundary_values_are_accepted(seeded: Path) -> None:
    long_id, long_queue = "i" * 200, "q" * 64
    for fields in (
        {"id": long_id, "queue": long_queue},
        {"id": "ジョブ-1", "priority": -(2**31), "max_retries": 0},
        {"id": "float-timeout", "timeout": 0.5, "delay": 0, "env": {}},
        {"id": "null-timeout", "timeout": None, "queue": "a.b-c_D9"},
    ):
        run_cli("enqueue", json.dumps({"command": "true", **fields}), db=seeded)
    assert job(seeded, long_id)["queue"] == long_queue
    assert job(seeded, "ジョブ-1")["priority"] == -(2**31)
    assert job(seeded, "float-timeout")["timeout"] == 0.5


@pytest.mark.parametrize("source", ["file", "stdin"])
def test_bulk_with_bad_line_3_enqueues_nothing(seeded: Path, tmp_path: Path, source: str) -> None:
    text = (
        '{"id": "bulk-1", "command": "true"}\n'
        '{"id": "bulk-2", "command": "true"}\n'
        '{"id": "bulk-3", "command": "true", "priority": "urgent"}\n'
        '{"id": "bulk-4", "command": "true"}\n'
    )
    before = snapshot(seeded)
    if source == "file":
        path = tmp_path / "jobs.jsonl"
        path.write_text(text)
        result = run_cli("enqueue", "--file", str(path), db=seeded, check=False)
    else:
        result = run_cli("enqueue", "-", db=seeded, input=text, check=False)
    assert_one_line_error(result, 2)
    assert re.search(r"\bline 3\b", result.stderr), result.stderr
    assert result.stdout == "", "ids printed for a batch that was not enqueued"
    assert snapshot(seeded) == before


def test_duplicate_id_leaves_first_job_untouched(seeded: Path, tmp_path: Path) -> None:
    first = job(seeded, "existing")
    result = run_cli(
        "enqueue", '{"id": "existing", "command": "echo second"}', db=seeded, check=False
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr and result.stderr.strip()
    assert job(seeded, "existing") == first
    bulk = tmp_path / "dup.jsonl"
    bulk.write_text('{"id": "fresh", "command": "true"}\n{"id": "existing", "command": "true"}\n')
    assert run_cli("enqueue", "--file", str(bulk), db=seeded, check=False).returncode != 0
    assert run_cli("show", "fresh", db=seeded, check=False).returncode == 1
    assert job(seeded, "existing") == first


@pytest.mark.parametrize(
    "args",
    [
        ["show", "nope"],
        ["show", "nope", "--json"],
        ["logs", "nope"],
        ["logs", "nope", "--follow"],
        ["cancel", "nope"],
        ["cancel", "existing", "nope"],
    ],
    ids=["show", "show-json", "logs", "logs-follow", "cancel", "cancel-mixed"],
)
def test_unknown_id_exits_1(seeded: Path, args: list[str]) -> None:
    assert_one_line_error(run_cli(*args, db=seeded, check=False), 1)


def test_dlq_retry_of_unknown_or_live_jobs_exits_1(seeded: Path) -> None:
    assert_one_line_error(run_cli("dlq", "retry", "nope", db=seeded, check=False), 1)
    assert_one_line_error(run_cli("dlq", "retry", "existing", db=seeded, check=False), 1)
    assert job(seeded, "existing")["state"] == "pending"
    worker = start_workers(seeded, 1, "--drain")
    assert worker.wait(30) == 0
    before = job(seeded, "existing")
    assert before["state"] == "completed"
    assert_one_line_error(run_cli("dlq", "retry", "existing", db=seeded, check=False), 1)
    assert job(seeded, "existing") == before
