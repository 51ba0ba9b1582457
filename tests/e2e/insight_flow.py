"""The insight scenario through the real binary, shared by the SQLite and PostgreSQL e2e tests:
jobs fail three ways with varying numbers and paths; ``failures`` groups them; bulk verbs act on
exactly what their filters match."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from helpers import cli_json, enqueue, run_cli

REFUSED = (
    "echo 'curl: (7) Failed to connect to 10.0.{n}.1 port 80{n}: Connection refused' >&2; exit 7"
)
MISSING = "cat /nonexistent/dir{n}/file-{n}.txt"
TRACEBACK = 'python3 -c \'import sys; sys.path.insert(0, "/tmp/x{n}"); int("v{n}x")\''


def seed(db: Path | str) -> dict[str, list[str]]:
    """Five refused connections (queue net), three missing files, two tracebacks (queue py), and
    two jobs that complete."""
    ids: dict[str, list[str]] = {"refused": [], "missing": [], "traceback": [], "ok": []}
    for n in range(5):
        ids["refused"].append(enqueue(db, command=REFUSED.format(n=n), max_retries=0, queue="net"))
    for n in range(3):
        ids["missing"].append(enqueue(db, command=MISSING.format(n=n * 17), max_retries=0))
    for n in range(2):
        ids["traceback"].append(
            enqueue(db, command=TRACEBACK.format(n=n * 31), max_retries=0, queue="py")
        )
    ids["ok"] = [enqueue(db, command="true", queue="net") for _ in range(2)]
    return ids


def states(db: Path | str) -> dict[str, str]:
    return {j["id"]: j["state"] for j in cli_json("list", db=db)}


def check_groups(db: Path | str, ids: dict[str, list[str]]) -> list[dict[str, Any]]:
    groups = cli_json("failures", db=db)
    assert [(g["count"], sorted(g["jobs"])) for g in groups] == [
        (5, sorted(ids["refused"])),
        (3, sorted(ids["missing"])),
        (2, sorted(ids["traceback"])),
    ], groups
    assert [g["queues"] for g in groups] == [["net"], ["default"], ["py"]]
    assert "ValueError" in groups[2]["example"] and "exit 7" in groups[0]["example"]
    for group in groups:
        assert group["first_seen"].endswith("Z") and group["last_seen"] >= group["first_seen"]
        assert len(group["fingerprint"]) == 12
    only_py = cli_json("failures", "--queue", "py", db=db)
    assert [g["fingerprint"] for g in only_py] == [groups[2]["fingerprint"]]
    return list(groups)


def run_scenario(db: Path | str, drain: Callable[[], None]) -> None:
    ids = seed(db)
    drain()
    groups = check_groups(db, ids)
    refused = groups[0]["fingerprint"]
    before = states(db)

    dry = run_cli("retry", "--group", refused, "--dry-run", db=db)
    assert dry.stdout.strip() == "would retry 5 jobs"
    assert states(db) == before
    assert run_cli("retry", "--group", refused, db=db).stdout.strip() == "retried 5 jobs"
    after = states(db)
    for job_id, state in after.items():
        expected = "pending" if job_id in ids["refused"] else before[job_id]
        assert state == expected, (job_id, state)

    # Bulk cancel by queue reports what it changed; completed jobs in the queue are skipped.
    assert run_cli("cancel", "--queue", "net", db=db).stdout.strip() == "cancelled 5 jobs"
    assert run_cli("cancel", "--queue", "net", db=db).stdout.strip() == "cancelled 0 jobs"
    assert run_cli("list", "--state", "cancelled", "--json", db=db).stdout.count('"id"') == 5

    # list filters: error text, exit code, a created window.
    by_error = cli_json("list", "--error", "exit 1", db=db)
    assert sorted(j["id"] for j in by_error) == sorted(ids["missing"] + ids["traceback"])
    by_code = cli_json("list", "--exit-code", "7", db=db)  # cancelled jobs keep their last exit
    assert sorted(j["id"] for j in by_code) == sorted(ids["refused"])
    assert len(cli_json("list", "--since", "1h", db=db)) == 12
    assert cli_json("list", "--until", "1h", db=db) == []
    assert len(cli_json("list", "--since", "2000-01-01T00:00:00Z", "--queue", "py", db=db)) == 2

    # Bulk purge by state: only final jobs, counted first.
    assert run_cli("purge", "--state", "dead", "--dry-run", db=db).stdout.strip() == (
        "would purge 5 jobs"
    )
    assert run_cli("purge", "--state", "dead", db=db).stdout.strip() == "purged 5 jobs"
    assert sorted(states(db).values()) == ["cancelled"] * 5 + ["completed"] * 2
    assert cli_json("failures", db=db) == []

    # Ids and filters together: usage error, nothing changed.
    mixed = run_cli("retry", ids["ok"][0], "--queue", "net", db=db, check=False)
    assert mixed.returncode == 2 and mixed.stdout == ""
    assert run_cli("retry", "--group", "000000000000", db=db).stdout.strip() == "retried 0 jobs"
