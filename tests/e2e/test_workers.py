"""Worker processes: exactly-once under concurrency, graceful stop, signals, cancel, live logs."""

from __future__ import annotations

import json
import queue
import random
import signal
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import partial
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
    status_or_empty,
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


def test_concurrent_enqueue_and_reads_while_workers_claim(db: Path, tmp_path: Path) -> None:
    marks = tmp_path / "marks"
    marks.mkdir()
    workers = [start_workers(db, 4) for _ in range(2)]
    # Reads never create a store: they start once a worker has made it (it appears whole).
    wait_until(db.exists, 30, 0.05, "the workers create the store")

    def batch(n: int) -> list[str]:
        ids = [f"c{n}-{k:02d}" for k in range(25)]
        text = "".join(
            json.dumps({"id": i, "command": f"echo {i} >> {marks / i}"}) + "\n" for i in ids
        )
        return run_cli("enqueue", "-", input=text, db=db).stdout.split()

    with ThreadPoolExecutor(6) as pool:
        readers = [pool.submit(cli_json, "status", db=db) for _ in range(4)]
        enqueued = [i for ids in pool.map(batch, range(12)) for i in ids]
        assert all(r.result()["counts"] is not None for r in readers)
    assert len(enqueued) == 300
    wait_until(lambda: cli_json("status", db=db)["counts"]["completed"] == 300, 90, 0.5, "all done")
    bad = {i: lines(marks / i) for i in enqueued if lines(marks / i) != [i]}
    assert not bad, f"{len(bad)} jobs did not run exactly once: {dict(list(bad.items())[:5])}"
    run_cli("worker", "stop", db=db)
    assert [w.wait(15) for w in workers] == [0, 0]


def test_cancel_pending_job(db: Path) -> None:
    jid = enqueue(db, command="true", delay="1h")
    run_cli("cancel", jid, db=db)
    assert job(db, jid)["state"] == "cancelled"
    other = enqueue(db, command="true")
    assert start_workers(db, 1, "--drain").wait(30) == 0
    assert job(db, other)["state"] == "completed"
    assert (job(db, jid)["state"], job(db, jid)["attempts"]) == ("cancelled", 0)
    assert run_cli("dlq", "retry", jid, db=db, check=False).returncode == 1
    assert run_cli("cancel", jid, db=db, check=False).returncode == 1


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
    wait_until(lambda: status_or_empty(db)["workers"], 10, message="worker registered")
    delays = []
    for _ in range(5):
        jid = enqueue(db, command="true")
        wait_until(partial(_state_is, db, jid, "completed"), 10, message="job ran")
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


def _state_is(db: Path, jid: str, state: str) -> bool:
    return bool(job(db, jid)["state"] == state)


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
        # output is flushed at least every second while the job runs
        assert received.get(timeout=4) == "line-1"
        running = job(db, jid)
        assert running["state"] == "processing" and running["finished_at"] is None
        utc_ts(running["started_at"])
        assert run_cli("logs", jid, db=db).stdout.splitlines() == ["line-1"]
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
    finished = run_cli("logs", jid, "--follow", db=db, timeout=10).stdout
    assert finished.splitlines() == ["line-1", "line-2"]
