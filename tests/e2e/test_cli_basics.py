"""The everyday commands: enqueue forms, a job's life, --json shapes, config, purge, metrics."""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path
from typing import Any

from helpers import cli_env, cli_json, enqueue, job, lines, run_cli, start_workers, utc_ts

STATES = ("pending", "processing", "completed", "failed", "dead", "cancelled")
JOB_FIELDS = {
    "id", "command", "state", "attempts", "max_retries", "priority", "timeout", "run_at",
    "queue", "env", "cwd", "exit_code", "last_error", "created_at", "started_at",
    "finished_at", "history",
}  # fmt: skip
HELP_PAGES = [
    [], ["enqueue"], ["worker", "start"], ["worker", "stop"], ["status"], ["list"], ["show"],
    ["logs"], ["dlq", "list"], ["dlq", "retry"], ["cancel"], ["config", "set"], ["metrics"],
    ["purge"], ["retry"], ["wait"],
]  # fmt: skip


def drain(db: Path, count: int = 1, timeout: float = 60) -> None:
    """Run workers until nothing is left to do; they must exit 0."""
    worker = start_workers(db, count, "--drain")
    assert worker.wait(timeout) == 0, worker.output()


def test_basic_job_completes(db: Path, tmp_path: Path) -> None:
    marker = tmp_path / "basic.m"
    jid = enqueue(db, command=f"echo hello; echo ran >> {marker}")
    assert job(db, jid)["state"] == "pending"
    drain(db)
    data = job(db, jid)
    assert data["state"] == "completed"
    assert data["attempts"] == 1
    assert data["exit_code"] == 0
    assert lines(marker) == ["ran"]
    assert [h["attempt"] for h in data["history"]] == [1]
    entry = data["history"][0]
    assert set(entry) >= {"attempt", "worker", "started_at", "finished_at", "exit_code", "error"}
    assert entry["exit_code"] == 0 and entry["worker"]
    assert utc_ts(entry["started_at"]) <= utc_ts(entry["finished_at"])
    assert utc_ts(data["started_at"]) <= utc_ts(data["finished_at"])
    out = run_cli("logs", jid, db=db).stdout
    assert out.splitlines() == ["hello"]
    human = run_cli("show", jid, db=db).stdout
    assert jid in human and "completed" in human


def test_run_workers_alias(db: Path) -> None:
    jid = enqueue(db, command="true")
    worker = start_workers(db, 1, "--drain", verb=("run-workers",))
    assert worker.wait(30) == 0
    assert job(db, jid)["state"] == "completed"


def test_logs_show_stdout_then_stderr(db: Path) -> None:
    jid = enqueue(db, command="echo to-out; echo to-err >&2; echo more-out")
    drain(db)
    out = run_cli("logs", jid, db=db).stdout
    assert out.splitlines() == ["to-out", "more-out", "--- stderr ---", "to-err"]


def test_enqueue_forms_print_ids(db: Path, tmp_path: Path) -> None:
    one = run_cli("enqueue", '{"id": "arg-1", "command": "true"}', db=db).stdout
    assert one.splitlines() == ["arg-1"]
    jobs_file = tmp_path / "jobs.jsonl"
    jobs_file.write_text(
        '{"id": "file-1", "command": "true"}\n{"id": "file-2", "command": "true"}\n'
    )
    assert run_cli("enqueue", "--file", str(jobs_file), db=db).stdout.split() == [
        "file-1",
        "file-2",
    ]
    stdin = '{"id": "in-1", "command": "true"}\n\n{"id": "in-2", "command": "true"}\n'
    assert run_cli("enqueue", "-", db=db, input=stdin).stdout.split() == ["in-1", "in-2"]
    flags = ["--command", "echo x", "--id", "flag-1", "--priority", "3", "--max-retries", "1"]
    flags += ["--timeout", "5", "--queue", "q1"]
    assert run_cli("enqueue", *flags, db=db).stdout.split() == ["flag-1"]
    data = job(db, "flag-1")
    assert (data["command"], data["priority"], data["max_retries"]) == ("echo x", 3, 1)
    assert (data["timeout"], data["queue"]) == (5, "q1")
    generated = run_cli("enqueue", '{"command": "true"}', db=db).stdout.split()
    assert len(generated) == 1 and job(db, generated[0])["state"] == "pending"
    bulk = run_cli("enqueue", "-", input='{"command": "true"}\n' * 20, db=db).stdout.split()
    later = run_cli("enqueue", "--command", "true", db=db).stdout.split()
    ordered = [*generated, *bulk, *later]
    assert len(set(ordered)) == 22 and ordered == sorted(ordered), "ids are not time-ordered"


def test_json_outputs_are_single_documents(db: Path) -> None:
    # Reads never create a store: before anything was written there is no queue at all.
    missing = run_cli("list", "--json", db=db, check=False)
    assert (missing.returncode, missing.stdout) == (1, "")
    run_cli("config", "set", "max_retries", "3", db=db)  # a write creates an empty queue
    assert run_cli("list", "--json", db=db).stdout.strip() == "[]"
    assert json.loads(run_cli("dlq", "list", "--json", db=db).stdout) == []
    status = cli_json("status", db=db)
    assert set(status) >= {"counts", "workers"}
    assert all(status["counts"][s] == 0 for s in STATES), status
    assert status["workers"] == []
    jid = enqueue(db, command="true", env={"A": "b"}, cwd="/tmp")
    listed = cli_json("list", db=db)
    assert [j["id"] for j in listed] == [jid]
    assert listed[0]["state"] == "pending"
    utc_ts(listed[0]["created_at"])
    data = job(db, jid)
    assert set(data) >= JOB_FIELDS, JOB_FIELDS - set(data)
    for key in ("created_at", "run_at"):
        utc_ts(data[key])
    # timestamps are UTC whatever the caller's zone
    assert cli_json("show", jid, db=db, env=cli_env(extra={"TZ": "IST-5:30"})) == data
    assert data["started_at"] is None and data["finished_at"] is None
    assert (data["env"], data["cwd"]) == ({"A": "b"}, "/tmp")
    assert (data["queue"], data["priority"]) == ("default", 0)
    assert data["history"] == []
    assert cli_json("status", db=db)["counts"]["pending"] == 1


def test_list_has_no_hidden_limit(db: Path, tmp_path: Path) -> None:
    ids = [f"l-{n:03d}" for n in range(150)]
    jobs_file = tmp_path / "many.jsonl"
    jobs_file.write_text("".join(json.dumps({"id": i, "command": "true"}) + "\n" for i in ids))
    run_cli("enqueue", "--file", str(jobs_file), db=db)
    assert sorted(j["id"] for j in cli_json("list", db=db)) == ids
    assert len(cli_json("list", "--state", "pending", db=db)) == 150
    human = run_cli("list", db=db, env=cli_env(extra={"COLUMNS": "200"})).stdout
    assert all(i in human for i in ids)
    assert len(cli_json("list", "--limit", "7", db=db)) == 7
    other = enqueue(db, command="true", queue="elsewhere")
    assert [j["id"] for j in cli_json("list", "--queue", "elsewhere", db=db)] == [other]


def test_version() -> None:
    result = run_cli("--version")
    assert version("queuectl") in result.stdout


def test_config_max_retries_applies_to_later_jobs(db: Path) -> None:
    before = enqueue(db, command="true")
    run_cli("config", "set", "max-retries", "1", db=db)
    assert run_cli("config", "get", "max-retries", db=db).stdout.strip() == "1"
    assert run_cli("config", "get", "max_retries", db=db).stdout.strip() == "1"
    after = enqueue(db, command="true")
    explicit = enqueue(db, command="true", max_retries=5)
    assert job(db, before)["max_retries"] == 3
    assert job(db, after)["max_retries"] == 1
    assert job(db, explicit)["max_retries"] == 5
    listing = run_cli("config", "list", db=db).stdout.replace("-", "_")
    for key in ("max_retries", "backoff_base", "backoff_max", "default_timeout", "output_limit"):
        assert key in listing, listing
    for key in ("poll_interval_ms", "heartbeat_interval", "lease_timeout"):
        assert key in listing, listing
    assert run_cli("config", "get", "heartbeat-interval", db=db).stdout.strip() in ("2", "2.0")
    assert run_cli("config", "get", "lease_timeout", db=db).stdout.strip() in ("30", "30.0")


def test_purge_completed(db: Path) -> None:
    done = [enqueue(db, command="true") for _ in range(2)]
    dead = enqueue(db, command="exit 4", max_retries=0)
    drain(db)
    waiting = enqueue(db, command="true", delay="1h")
    run_cli("purge", "--state", "completed", "--older-than", "7d", db=db)
    assert all(job(db, jid)["state"] == "completed" for jid in done)
    run_cli("purge", "--state", "completed", "--older-than", "0s", db=db)
    for jid in done:
        assert run_cli("show", jid, db=db, check=False).returncode == 1
    assert job(db, dead)["state"] == "dead"
    assert job(db, waiting)["state"] == "pending"
    assert sorted(j["id"] for j in cli_json("list", db=db)) == sorted([dead, waiting])


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, inner in value.items():
            out.update(_flatten(inner, f"{prefix}{key}."))
        return out
    return {prefix.rstrip("."): value}


def test_metrics_json(db: Path) -> None:
    for _ in range(3):
        enqueue(db, command="sleep 0.05")
    enqueue(db, command="exit 1", max_retries=0)
    drain(db, 2)
    metrics = cli_json("metrics", db=db)
    assert isinstance(metrics, dict)
    flat = {k.lower(): v for k, v in _flatten(metrics).items()}
    for needle in ("success", "mean", "p50", "p95", "throughput"):
        assert any(needle in key for key in flat), f"no {needle!r} in metrics: {sorted(flat)}"
    numbers = [v for k, v in flat.items() if any(n in k for n in ("mean", "p50", "p95"))]
    assert all(isinstance(v, int | float) for v in numbers), flat
    rate = [v for k, v in flat.items() if "success" in k]
    assert any(v in (0.75, 75, 75.0) for v in rate), rate
    assert any(v == 3 for k, v in flat.items() if "completed" in k), flat
    assert any(v == 1 for k, v in flat.items() if "dead" in k), flat


def test_human_output_is_plain_when_piped_and_completion_exists(db: Path) -> None:
    jid = enqueue(db, command="true")
    for args in (["list"], ["status"], ["show", jid], ["config", "list"]):
        out = run_cli(*args, db=db).stdout
        assert out.strip() and "\x1b[" not in out, (args, out)
    assert "\x1b[" not in run_cli("list", db=db, env=cli_env(extra={"NO_COLOR": "1"})).stdout
    completion = run_cli(env=cli_env(extra={"_QUEUECTL_COMPLETE": "bash_source"})).stdout
    assert "complete" in completion and "queuectl" in completion


def test_help_pages_have_examples() -> None:
    missing = [
        " ".join(args) or "(top level)"
        for args in HELP_PAGES
        if "example" not in run_cli(*args, "--help").stdout.lower()
    ]
    assert not missing, f"--help without examples: {missing}"
