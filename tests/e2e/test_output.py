"""What a job sees and prints: env, cwd, exit codes, non-UTF-8 output, 200 MB of output."""

from __future__ import annotations

import json
import random
import re
import time
from pathlib import Path

import psutil
from helpers import cli_env, enqueue, job, run_cli, start_workers, utc_ts

MB = 1024 * 1024


def test_env_cwd_and_exit_statuses(db: Path, tmp_path: Path) -> None:
    here = tmp_path / "workdir"
    here.mkdir()
    command = 'echo "$GREETING"; echo "$FROM_WORKER"; pwd'
    env_job = enqueue(db, command=command, env={"GREETING": "hi there"}, cwd=str(here))
    missing = enqueue(db, command="no-such-command-qctl", max_retries=0)
    exit3 = enqueue(db, command="exit 3", max_retries=0)
    killed = enqueue(db, command="kill -9 $$", max_retries=0)
    binary = enqueue(db, command=r"printf 'ok\377\376done\n'")
    default_cwd = enqueue(db, command="pwd")
    worker_dir = tmp_path / "worker-cwd"
    worker_dir.mkdir()
    worker_env = cli_env(db, {"FROM_WORKER": "inherited"})
    worker = start_workers(db, 2, "--drain", env=worker_env, cwd=worker_dir)
    assert worker.wait(30) == 0
    logs = run_cli("logs", env_job, db=db).stdout.splitlines()
    assert logs == ["hi there", "inherited", str(here)]
    assert run_cli("logs", default_cwd, db=db).stdout.splitlines() == [str(worker_dir)]
    data = job(db, missing)
    assert (data["state"], data["exit_code"]) == ("dead", 127)
    assert data["last_error"] == "command not found"
    assert (job(db, exit3)["exit_code"], job(db, exit3)["last_error"]) == (3, "exit 3")
    assert job(db, killed)["state"] == "dead"
    out = run_cli("logs", binary, db=db).stdout
    assert out.splitlines() == ["ok\ufffd\ufffddone"]


def test_200mb_of_output_keeps_store_and_worker_small(db: Path) -> None:
    command = "head -c 200000000 /dev/zero | tr '\\0' 'x'; echo TAIL-MARKER"
    run_cli("enqueue", json.dumps({"id": "big", "command": command}), db=db)
    worker = start_workers(db, 1, "--drain")
    proc = psutil.Process(worker.pid)
    peak = 0
    deadline = time.monotonic() + 120
    while worker.alive() and time.monotonic() < deadline:
        try:
            peak = max(peak, proc.memory_info().rss)
        except psutil.NoSuchProcess:
            break
        time.sleep(0.05)
    assert worker.wait(5) == 0, worker.output()
    assert peak < 150 * MB, f"worker RSS peaked at {peak / MB:.0f} MB"
    store = sum(p.stat().st_size for p in db.parent.iterdir() if p.name.startswith(db.name))
    assert store < 10 * MB, f"store files total {store / MB:.1f} MB"
    assert job(db, "big")["state"] == "completed"
    out = run_cli("logs", "big", db=db).stdout
    assert len(out) < 10 * MB
    assert out.rstrip("\n").endswith("TAIL-MARKER")
    assert re.search("truncat", out, re.IGNORECASE), out[:300]
    assert out.startswith("xxxx")


def test_output_limit_keeps_head_and_tail(db: Path) -> None:
    run_cli("config", "set", "output-limit", "2048", db=db)
    jid = enqueue(
        db, command="echo HEAD-MARKER; head -c 100000 /dev/zero | tr '\\0' 'y'; echo; echo TAIL"
    )
    assert start_workers(db, 1, "--drain").wait(30) == 0
    out = run_cli("logs", jid, db=db).stdout
    assert out.startswith("HEAD-MARKER\n")
    assert out.rstrip("\n").endswith("TAIL")
    assert re.search("truncat", out, re.IGNORECASE)
    assert len(out) < 2048 + 300, len(out)


def test_bad_cwd_fails_the_job_not_the_worker(db: Path, tmp_path: Path) -> None:
    bad = enqueue(db, command="true", cwd=str(tmp_path / "missing"), max_retries=0)
    good = enqueue(db, command="true")
    assert start_workers(db, 1, "--drain").wait(30) == 0
    data = job(db, bad)
    assert data["state"] == "dead" and data["last_error"], data
    assert job(db, good)["state"] == "completed"


def test_grandchild_holding_the_pipe_does_not_block_completion(db: Path) -> None:
    arg = f"31.{random.randrange(10**6):06d}"
    jid = enqueue(db, command=f"sleep {arg} & echo hi")
    started = time.monotonic()
    assert start_workers(db, 1, "--drain").wait(20) == 0
    assert time.monotonic() - started < 10
    data = job(db, jid)
    assert data["state"] == "completed"
    assert utc_ts(data["finished_at"]) - utc_ts(data["started_at"]) < 3
    assert run_cli("logs", jid, db=db).stdout.splitlines() == ["hi"]


def test_closing_output_early_does_not_end_the_job(db: Path, tmp_path: Path) -> None:
    marker = tmp_path / "m"
    jid = enqueue(db, command=f"echo early; exec >&- 2>&-; sleep 1.5; touch {marker}")
    assert start_workers(db, 1, "--drain").wait(20) == 0
    data = job(db, jid)
    assert data["state"] == "completed" and marker.exists()
    assert utc_ts(data["finished_at"]) - utc_ts(data["started_at"]) >= 1.4
    assert run_cli("logs", jid, db=db).stdout.splitlines() == ["early"]
