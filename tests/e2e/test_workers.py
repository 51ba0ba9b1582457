"""Worker processes: exactly-once under concurrency, graceful stop, signals, cancel, live logs."""

from __future__ import annotations

import json
import queue
import random
import signal
import subprocess
import threading
import time
from pathlib import Path

from helpers import (
    QUEUECTL,
    cli_env,
    cli_json,
    enqueue,
    job,
    lines,
    procs_matching,
    run_cli,
    start_workers,
    utc_ts,
    wait_until,
)


def test_300_jobs_on_3_processes_run_exactly_once(db: Path, tmp_path: Path) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()
    ids = [f"j-{n:03d}" for n in range(300)]
    bulk = "".join(json.dumps({"id": i, "command": f"echo {i} >> {marks / i}"}) + "\n" for i in ids)
    assert run_cli("enqueue", "-", input=bulk, db=db).stdout.split() == ids
    workers = [start_workers(db, 4, "--drain") for _ in range(3)]
    for worker in workers:
        assert worker.wait(120) == 0, worker.output()
    bad = {i: lines(marks / i) for i in ids if lines(marks / i) != [i]}
    assert not bad, f"{len(bad)} jobs did not run exactly once: {dict(list(bad.items())[:5])}"
    listed = cli_json("list", db=db)
    assert len(listed) == 300
    assert {(j["state"], j["attempts"]) for j in listed} == {("completed", 1)}


def _in_flight_setup(
    db: Path | None,
    marker: Path,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    seconds: float = 2,
) -> None:
    command = f"echo start >> {marker}; sleep {seconds}; echo end >> {marker}"
    run_cli("enqueue", json.dumps({"id": "inflight", "command": command}), db=db, cwd=cwd, env=env)


def test_worker_stop_from_another_directory(tmp_path: Path) -> None:
    env = cli_env()
    env.pop("QUEUECTL_DB", None)  # the per-user default store, the same from every directory
    here, there = tmp_path / "a", tmp_path / "b"
    here.mkdir()
    there.mkdir()
    marker = tmp_path / "inflight.m"
    _in_flight_setup(None, marker, cwd=here, env=env, seconds=6)
    worker = start_workers(None, 1, env=env, cwd=here)
    wait_until(lambda: lines(marker) == ["start"], 15, message="job started")
    run_cli("enqueue", '{"id": "queued", "command": "true"}', cwd=there, env=env)

    def registered() -> list[dict[str, object]]:
        status = cli_json("status", cwd=there, env=env)
        return [w for w in status["workers"] if w["pid"] == worker.pid]

    mine = wait_until(registered, 5, message="worker registered")
    assert len(mine) == 1 and mine[0]["slots"] == 1, mine
    # current jobs may lag by one heartbeat (2 s at defaults)
    wait_until(lambda: "inflight" in json.dumps(registered()), 5, message="current job shown")
    run_cli("worker", "stop", cwd=there, env=env)
    wait_until(lambda: not worker.alive(), 2, message="worker gone once stop returns")
    assert worker.wait(1) == 0
    assert lines(marker) == ["start", "end"]
    assert cli_json("show", "inflight", cwd=there, env=env)["state"] == "completed"
    assert cli_json("show", "queued", cwd=there, env=env)["state"] == "pending"
    assert cli_json("status", cwd=there, env=env)["workers"] == []


def test_sigint_to_worker_group_finishes_in_flight_job(db: Path, tmp_path: Path) -> None:
    marker = tmp_path / "inflight.m"
    _in_flight_setup(db, marker)
    worker = start_workers(db, 1)
    wait_until(lambda: lines(marker) == ["start"], 15, message="job started")
    enqueue(db, id="queued", command="true")
    worker.signal_group(signal.SIGINT)
    assert worker.wait(30) == 0, worker.output()
    assert lines(marker) == ["start", "end"]
    data = job(db, "inflight")
    assert (data["state"], data["attempts"]) == ("completed", 1)
    assert job(db, "queued")["state"] == "pending"


def test_second_signal_returns_job_to_pending_without_spending_an_attempt(
    db: Path, tmp_path: Path
) -> None:
    marker = tmp_path / "m"
    arg = f"30.{random.randrange(10**6):06d}"
    jid = enqueue(db, command=f"echo start >> {marker}; sleep {arg}; echo end >> {marker}")
    worker = start_workers(db, 1)
    wait_until(lambda: lines(marker) == ["start"], 15, message="job started")
    worker.signal_group(signal.SIGTERM)
    time.sleep(0.5)  # two separate signals, not one coalesced delivery
    worker.signal_group(signal.SIGTERM)
    worker.wait(15)
    wait_until(lambda: not procs_matching(f"sleep {arg}"), 5, message="command terminated")
    data = job(db, jid)
    assert (data["state"], data["attempts"]) == ("pending", 0), data
    assert lines(marker) == ["start"]


def test_worker_stop_with_no_workers_exits_0(db: Path) -> None:
    started = time.monotonic()
    run_cli("worker", "stop", db=db)
    run_cli("worker", "stop", "--timeout", "5", db=db)
    assert time.monotonic() - started < 10


def test_cancel_pending_job(db: Path) -> None:
    jid = enqueue(db, command="true", delay="1h")
    run_cli("cancel", jid, db=db)
    assert job(db, jid)["state"] == "cancelled"
    other = enqueue(db, command="true")
    assert start_workers(db, 1, "--drain").wait(30) == 0
    assert job(db, other)["state"] == "completed"
    assert (job(db, jid)["state"], job(db, jid)["attempts"]) == ("cancelled", 0)


def test_cancel_backing_off_job_but_not_a_finished_one(db: Path) -> None:
    run_cli("config", "set", "backoff-base", "100", db=db)
    failing = enqueue(db, command="exit 1", max_retries=2)
    done = enqueue(db, command="true")
    worker = start_workers(db, 1)
    wait_until(lambda: job(db, failing)["state"] == "failed", 15, message="backing off")
    wait_until(lambda: job(db, done)["state"] == "completed", 15, message="done")
    run_cli("cancel", failing, db=db)
    assert job(db, failing)["state"] == "cancelled"
    result = run_cli("cancel", done, db=db, check=False)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result
    assert job(db, done)["state"] == "completed"
    worker.signal_group(signal.SIGTERM)
    assert worker.wait(15) == 0


def test_idle_worker_starts_new_job_promptly(db: Path) -> None:
    worker = start_workers(db, 1)
    wait_until(lambda: cli_json("status", db=db)["workers"], 10, message="worker registered")
    delays = []
    for _ in range(5):
        jid = enqueue(db, command="true")
        wait_until(lambda j=jid: job(db, j)["state"] == "completed", 10, message="job ran")
        data = job(db, jid)
        delays.append(utc_ts(data["started_at"]) - utc_ts(data["created_at"]))
    # the default poll interval is 500 ms: a median well under it means the worker is woken
    assert sorted(delays)[2] < 0.25, delays
    worker.signal_group(signal.SIGTERM)
    assert worker.wait(15) == 0


def test_cancel_running_job_kills_its_tree(db: Path, tmp_path: Path) -> None:
    marker = tmp_path / "m"
    arg = f"30.{random.randrange(10**6):06d}"
    command = f"echo start >> {marker}; sleep {arg} & sleep {arg}; echo end >> {marker}"
    jid = enqueue(db, command=command)
    worker = start_workers(db, 1)
    wait_until(lambda: lines(marker) == ["start"], 15, message="job started")
    assert [p.name() for p in procs_matching(f"sleep {arg}")].count("sleep") == 2
    run_cli("cancel", jid, db=db)
    wait_until(lambda: job(db, jid)["state"] == "cancelled", 10, message="cancelled")
    wait_until(lambda: not procs_matching(f"sleep {arg}"), 10, message="tree killed")
    assert worker.alive()
    run_cli("worker", "stop", db=db)
    assert worker.wait(15) == 0
    assert job(db, jid)["state"] == "cancelled"
    assert lines(marker) == ["start"]


def _reader(stream: subprocess.Popen[str]) -> queue.Queue[str | None]:
    out: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert stream.stdout is not None
        for line in stream.stdout:
            out.put(line.rstrip("\n"))
        out.put(None)

    threading.Thread(target=pump, daemon=True).start()
    return out


def test_logs_follow_streams_a_running_job(db: Path, tmp_path: Path) -> None:
    gate = tmp_path / "gate"
    command = (
        f"echo line-1; i=0; while [ ! -e {gate} ] && [ $i -lt 600 ]; do sleep 0.05; "
        "i=$((i+1)); done; echo line-2"
    )
    jid = enqueue(db, command=command)
    worker = start_workers(db, 1, "--drain")
    wait_until(lambda: job(db, jid)["state"] == "processing", 15, message="job running")
    follow = subprocess.Popen(
        [*QUEUECTL, "--db", str(db), "logs", jid, "--follow"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(),
    )
    try:
        received = _reader(follow)
        assert received.get(timeout=10) == "line-1"
        assert job(db, jid)["state"] == "processing"
        gate.touch()
        rest = []
        while (line := received.get(timeout=15)) is not None:
            rest.append(line)
        assert "line-2" in rest
        assert follow.wait(10) == 0
    finally:
        follow.kill()
        follow.communicate()
    assert worker.wait(15) == 0
    assert job(db, jid)["state"] == "completed"
