"""Failure groups, bulk actions by filter and list filters through the real binary (SQLite)."""

from __future__ import annotations

import signal
from pathlib import Path

from helpers import (
    cli_env,
    cli_json,
    enqueue,
    job,
    procs_matching,
    run_cli,
    start_workers,
    wait_until,
)

from .insight_flow import run_scenario


def test_failures_bulk_actions_and_list_filters(db: Path) -> None:
    def drain() -> None:
        worker = start_workers(db, 2, "--drain")
        assert worker.wait(60) == 0, worker.output()

    run_scenario(db, drain)


def test_bulk_cancel_by_state_kills_running_trees(db: Path) -> None:
    marker = "sleep 3217"
    ids = [enqueue(db, command=f"{marker} & {marker} & wait", queue="long") for _ in range(2)]
    waiting = enqueue(db, command="true", queue="other", delay="1h")
    worker = start_workers(db, 2, "--queue", "long")
    wait_until(lambda: len(procs_matching(marker)) >= 4, 20, 0.1, "both jobs running")
    dry = run_cli("cancel", "--state", "running", "--dry-run", db=db).stdout.strip()
    assert dry == "would cancel 2 jobs"
    assert run_cli("cancel", "--state", "running", db=db).stdout.strip() == "cancelled 2 jobs"
    wait_until(lambda: not procs_matching(marker), 20, 0.1, "the trees are gone")
    assert {job(db, i)["state"] for i in ids} == {"cancelled"}
    assert job(db, waiting)["state"] == "pending"
    worker.signal_group(signal.SIGTERM)
    assert worker.wait(30) == 0, worker.output()


def test_completion_offers_failure_groups(db: Path) -> None:
    enqueue(db, command="echo 'HTTP 503 Service Unavailable' >&2; exit 1", max_retries=0)
    worker = start_workers(db, 1, "--drain")
    assert worker.wait(60) == 0, worker.output()
    (group,) = cli_json("failures", db=db)
    env = cli_env(
        db,
        {
            "_QUEUECTL_COMPLETE": "bash_complete",
            "COMP_WORDS": "queuectl retry --group " + group["fingerprint"][:3],
            "COMP_CWORD": "3",
        },
    )
    words = [line.split(",", 1)[1] for line in run_cli(env=env).stdout.splitlines()]
    assert words == [group["fingerprint"]]
