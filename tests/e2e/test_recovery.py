"""Crashes: SIGKILLed workers, lease recovery while busy, long jobs under short leases, restarts."""

from __future__ import annotations

import os
import random
import signal
import time
from functools import partial
from pathlib import Path

import pytest
from helpers import (
    cli_json,
    enqueue,
    job,
    lines,
    procs_matching,
    run_cli,
    start_workers,
    status_or_empty,
    wait_until,
)


def short_lease(db: Path) -> None:
    """Heartbeat every 0.5 s, lease 3 s (heartbeat first: a lease must outlive heartbeats)."""
    run_cli("config", "set", "heartbeat-interval", "0.5", db=db)
    run_cli("config", "set", "lease-timeout", "3", db=db)


def crashable(marker: Path, seconds: str) -> str:
    return f"echo start >> {marker}; sleep {seconds}; echo end >> {marker}"


def unique_seconds(whole: int) -> str:
    return f"{whole}.{random.randrange(10**6):06d}"


def _has_starts(marker: Path, count: int) -> bool:
    return lines(marker) == ["start"] * count


def test_sigkill_mid_job_is_recovered_at_defaults(db: Path, tmp_path: Path) -> None:
    marker = tmp_path / "m"
    seconds = unique_seconds(3)
    jid = enqueue(db, command=crashable(marker, seconds))
    first = start_workers(db, 1)
    wait_until(lambda: lines(marker) == ["start"], 15, message="job started")
    assert job(db, jid)["state"] == "processing"
    os.kill(first.pid, signal.SIGKILL)
    killed_at = time.monotonic()
    assert first.wait(5) == -signal.SIGKILL
    wait_until(lambda: not procs_matching(f"sleep {seconds}"), 3, message="command died too")
    second = start_workers(db, 1, "--drain")
    wait_until(lambda: job(db, jid)["state"] == "completed", 60, 0.25, "job recovered and rerun")
    assert time.monotonic() - killed_at < 60
    assert lines(marker) == ["start", "start", "end"], job(db, jid)
    data = job(db, jid)
    assert data["attempts"] == 2
    history = sorted(data["history"], key=lambda h: h["attempt"])
    assert "worker lost" in history[0]["error"], history
    assert history[1]["exit_code"] == 0
    assert second.wait(15) == 0
    assert cli_json("status", db=db)["counts"]["processing"] == 0


def test_sigkilled_worker_takes_every_slot_s_command_with_it(db: Path, tmp_path: Path) -> None:
    seconds = unique_seconds(30)
    for n in range(3):
        enqueue(db, command=f"echo start >> {tmp_path / str(n)}; sleep {seconds}")
    worker = start_workers(db, 4)
    wait_until(
        lambda: all(lines(tmp_path / str(n)) == ["start"] for n in range(3)), 15, message="started"
    )
    # let the executor's threads come and go: the commands must survive that, not the worker
    enqueue(db, command="true")
    wait_until(lambda: cli_json("status", db=db)["counts"]["completed"] == 1, 10, message="probe")
    sleeps = [p for p in procs_matching(f"sleep {seconds}") if p.name() == "sleep"]
    assert len(sleeps) == 3
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(5)
    wait_until(lambda: not procs_matching(f"sleep {seconds}"), 3, message="commands died too")


@pytest.mark.slow
def test_hung_worker_is_recovered_within_60s_at_defaults(db: Path, tmp_path: Path) -> None:
    # a frozen (SIGSTOPped) worker is alive but silent: only the lease can expose it
    marker = tmp_path / "m"
    jid = enqueue(db, command=f"echo start >> {marker}; sleep 2; echo end >> {marker}")
    frozen = start_workers(db, 1)
    wait_until(lambda: lines(marker) == ["start"], 15, message="job started")
    worker = frozen.worker_pid()  # SIGSTOP cannot be forwarded by the supervisor
    os.kill(worker, signal.SIGSTOP)
    stopped_at = time.monotonic()
    try:
        rescuer = start_workers(db, 1)
        wait_until(lambda: job(db, jid)["state"] == "completed", 60, 0.5, "job rerun")
        assert time.monotonic() - stopped_at < 60
        data = job(db, jid)
        assert data["attempts"] == 2 and "worker lost" in data["history"][0]["error"], data
    finally:
        os.kill(worker, signal.SIGCONT)
    run_cli("worker", "stop", "--timeout", "20", db=db, timeout=30)
    frozen.wait(10)
    assert rescuer.wait(10) == 0
    assert job(db, jid)["attempts"] == 2


def test_recovery_runs_while_the_survivor_is_busy(db: Path, tmp_path: Path) -> None:
    short_lease(db)
    long_marker, victim_marker = tmp_path / "long.m", tmp_path / "victim.m"
    gate = tmp_path / "gate"
    hold = f"i=0; while [ ! -e {gate} ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done"
    enqueue(
        db, id="long", command=f"echo start >> {long_marker}; {hold}; echo end >> {long_marker}"
    )
    busy = start_workers(db, 1)
    wait_until(lambda: lines(long_marker) == ["start"], 15, message="long job started")
    seconds = unique_seconds(3)
    enqueue(db, id="victim", command=crashable(victim_marker, seconds))
    doomed = start_workers(db, 1)
    wait_until(lambda: lines(victim_marker) == ["start"], 15, message="victim started")
    os.kill(doomed.pid, signal.SIGKILL)
    doomed.wait(5)
    wait_until(lambda: job(db, "victim")["state"] != "processing", 10, 0.1, "victim recovered")
    assert job(db, "long")["state"] == "processing", "recovery waited for a free slot"
    data = job(db, "victim")
    assert data["state"] == "failed", data
    assert "worker lost" in data["last_error"]
    gate.touch()
    wait_until(lambda: job(db, "victim")["state"] == "completed", 30, 0.25, "victim rerun")
    assert lines(victim_marker) == ["start", "start", "end"], job(db, "victim")
    assert lines(long_marker) == ["start", "end"]
    run_cli("worker", "stop", db=db)
    assert busy.wait(15) == 0


def test_job_whose_every_attempt_is_lost_ends_dead(db: Path, tmp_path: Path) -> None:
    # attempts are counted at claim: a job that takes its worker down cannot loop forever
    short_lease(db)
    run_cli("config", "set", "backoff-base", "1", db=db)
    marker = tmp_path / "m"
    jid = enqueue(db, command=crashable(marker, unique_seconds(20)), max_retries=1)
    for n in (1, 2):
        worker = start_workers(db, 1)
        wait_until(partial(_has_starts, marker, n), 20, 0.1, f"attempt {n} started")
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(5)
    last = start_workers(db, 1, "--drain")
    assert last.wait(30) == 0
    data = job(db, jid)
    assert (data["state"], data["attempts"]) == ("dead", 2), data
    assert "worker lost" in data["last_error"]
    assert lines(marker) == ["start", "start"]
    assert [j["id"] for j in cli_json("dlq", "list", db=db)] == [jid]


def test_long_job_with_short_lease_is_not_stolen(db: Path, tmp_path: Path) -> None:
    short_lease(db)
    marker = tmp_path / "m"
    jid = enqueue(db, command=crashable(marker, "8"))
    first = start_workers(db, 1, "--drain")
    wait_until(lambda: lines(marker) == ["start"], 15, message="job started")
    second = start_workers(db, 2, "--drain")
    assert first.wait(30) == 0
    assert second.wait(30) == 0
    assert lines(marker) == ["start", "end"]
    data = job(db, jid)
    assert (data["state"], data["attempts"], len(data["history"])) == ("completed", 1, 1)


def test_full_restart_keeps_every_state_and_config(db: Path) -> None:
    run_cli("config", "set", "backoff-base", "100", db=db)
    run_cli("config", "set", "output_limit", "4096", db=db)
    ids = {
        "done": enqueue(db, command="echo done-output"),
        "dead": enqueue(db, command="exit 5", max_retries=0),
        "backing-off": enqueue(db, command="exit 6", max_retries=2),
        "scheduled": enqueue(db, command="true", delay="1h"),
    }
    expected = {"done": "completed", "dead": "dead", "backing-off": "failed"}
    workers = start_workers(db, 2)

    def settled() -> bool:
        return all(job(db, ids[k])["state"] == state for k, state in expected.items())

    wait_until(settled, 20, 0.1, "jobs settled")
    before = {k: job(db, jid) for k, jid in ids.items()}
    os.killpg(workers.pid, signal.SIGKILL)
    workers.wait(5)
    after = {k: job(db, jid) for k, jid in ids.items()}
    assert after == before
    assert after["backing-off"]["attempts"] == 1
    assert after["scheduled"]["state"] == "pending"
    assert run_cli("config", "get", "backoff_base", db=db).stdout.strip() == "100"
    assert run_cli("config", "get", "output-limit", db=db).stdout.strip() == "4096"
    assert run_cli("logs", ids["done"], db=db).stdout.strip() == "done-output"
    assert [j["id"] for j in cli_json("dlq", "list", db=db)] == [ids["dead"]]
    restarted = start_workers(db, 2)
    probe = enqueue(db, command="true")
    wait_until(lambda: job(db, probe)["state"] == "completed", 15, message="probe ran")
    assert {k: job(db, jid) for k, jid in ids.items()} == before
    restarted.signal_group(signal.SIGTERM)
    assert restarted.wait(15) == 0


def test_dead_worker_is_not_listed_or_waited_for(db: Path) -> None:
    doomed = start_workers(db, 1)
    survivor = start_workers(db, 1)

    def pids() -> set[int]:
        return {w["pid"] for w in status_or_empty(db)["workers"]}

    wait_until(lambda: pids() == {doomed.pid, survivor.pid}, 10, message="both registered")
    os.kill(doomed.pid, signal.SIGKILL)
    doomed.wait(5)
    # status lists live worker processes; a SIGKILLed one on this very host is not live
    wait_until(lambda: pids() == {survivor.pid}, 5, 0.2, "dead worker dropped from status")
    started = time.monotonic()
    run_cli("worker", "stop", db=db)
    assert time.monotonic() - started < 10, "worker stop waited on a dead worker"
    assert survivor.wait(5) == 0
