"""``list`` order (newest first, --sort, --reverse, --limit), one spelling of config keys, and
the small things of messages and input: JSON spellings, a BOM, epoch milliseconds, durations,
bare ``queuectl``."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import assert_one_line_error, cli_json, enqueue, job, run_cli


def _ids(db: Path, *args: str) -> list[str]:
    return [j["id"] for j in cli_json("list", *args, db=db)]


def test_list_is_newest_first_with_sort_reverse_and_limit(db: Path) -> None:
    for job_id, priority, queue in [
        ("b", 1, "q2"),
        ("a", 5, "q1"),
        ("d", 1, "q1"),
        ("c", -2, "q3"),
    ]:
        enqueue(db, id=job_id, command="true", priority=priority, queue=queue)
    assert _ids(db) == ["c", "d", "a", "b"]  # newest first, as the console shows them
    assert _ids(db, "--limit", "2") == ["c", "d"]  # the 2 newest, not the 2 oldest
    assert _ids(db, "--reverse") == ["b", "a", "d", "c"]
    assert _ids(db, "--sort", "id") == ["a", "b", "c", "d"]
    assert _ids(db, "--sort", "id", "-r", "--limit", "1") == ["d"]
    assert _ids(db, "--sort", "priority") == ["a", "d", "b", "c"]  # highest first, newest tie first
    assert _ids(db, "--sort", "queue") == ["a", "d", "b", "c"]
    human = run_cli("list", db=db).stdout.splitlines()
    assert [line.split()[0] for line in human[2:]] == ["c", "d", "a", "b"]
    assert_one_line_error(run_cli("list", "--sort", "colour", db=db, check=False), 2)


def test_config_keys_have_one_spelling_and_take_both(db: Path) -> None:
    assert run_cli("config", "set", "max-retries", "5", db=db).stdout == "max_retries = 5\n"
    assert run_cli("config", "get", "max_retries", db=db).stdout == "5\n"
    assert run_cli("config", "get", "MAX-RETRIES", db=db).stdout == "5\n"
    table = run_cli("config", "list", db=db).stdout
    assert "max_retries" in table and "max-retries" not in table
    assert "heartbeat_interval" in table and "heartbeat-interval" not in table
    assert set(cli_json("config", "list", db=db)) >= {"max_retries", "lease_timeout"}
    unknown = run_cli("config", "get", "retries", db=db, check=False)
    assert_one_line_error(unknown, 2)
    assert "known: max_retries, backoff_base" in unknown.stderr and "max-" not in unknown.stderr


@pytest.mark.parametrize(
    ("args", "wanted", "unwanted"),
    [
        (["enqueue", '{"command": "true", "max_retries": true}'], "got true", "True"),
        (["enqueue", '{"command": "true", "priority": null, "timeout": false}'], "false", "False"),
        (["enqueue", '{"command": "true", "priority": 1e300}'], "1e+300", "inf"),
        (["config", "set", "max_retries", "1e10"], "<= 1000000000", "1e+09"),
        (["config", "set", "backoff_base", "0.5"], ">= 1,", "1.0"),
    ],
)
def test_errors_spell_values_as_json(db: Path, args: list[str], wanted: str, unwanted: str) -> None:
    result = run_cli(*args, db=db, check=False)
    assert_one_line_error(result, 2)
    assert wanted in result.stderr and unwanted not in result.stderr, result.stderr


def test_a_bom_starts_a_jobs_file_or_stdin(db: Path, tmp_path: Path) -> None:
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_bytes(
        b'\xef\xbb\xbf{"id": "f1", "command": "true"}\n{"id": "f2", "command": "true"}\n'
    )
    assert run_cli("enqueue", "--file", str(jobs), db=db).stdout.split() == ["f1", "f2"]
    piped = '\ufeff{"id": "s1", "command": "true"}\n'
    assert run_cli("enqueue", "-", input=piped, db=db).stdout.split() == ["s1"]
    assert run_cli(
        "enqueue", "--file", "-", input=piped.replace("s1", "s2"), db=db
    ).stdout.split() == ["s2"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("5000", "1970-01-01T00:00:05.000Z"),
        ("0", "1970-01-01T00:00:00.000Z"),
        ("1700000000000", "2023-11-14T22:13:20.000Z"),
        ("253402300799000", "9999-12-31T23:59:59.000Z"),
    ],
)
def test_run_at_epoch_milliseconds_of_any_length(db: Path, value: str, expected: str) -> None:
    job_id = run_cli("enqueue", "--command", "true", "--run-at", value, db=db).stdout.strip()
    assert job(db, job_id)["run_at"] == expected


def test_durations_wherever_seconds_are_taken(db: Path) -> None:
    flagged = run_cli("enqueue", "--command", "true", "--timeout", "5m", db=db).stdout.strip()
    assert job(db, flagged)["timeout"] == 300
    given = enqueue(db, command="true", timeout="2h")
    assert job(db, given)["timeout"] == 7200
    assert run_cli("config", "set", "lease_timeout", "2m", db=db).stdout == "lease_timeout = 120\n"
    assert run_cli("config", "set", "default_timeout", "1h", db=db).stdout == (
        "default_timeout = 3600\n"
    )
    assert_one_line_error(run_cli("config", "set", "max_retries", "5m", db=db, check=False), 2)
    assert_one_line_error(
        run_cli("enqueue", "-c", "true", "--timeout", "0s", db=db, check=False), 2
    )
    assert run_cli("purge", "--older-than", "1d", db=db).returncode == 0


def test_bare_queuectl_prints_help_and_exits_0() -> None:
    result = run_cli()
    assert result.returncode == 0 and result.stderr == ""
    assert "Usage: queuectl" in result.stdout and "retry" in result.stdout
