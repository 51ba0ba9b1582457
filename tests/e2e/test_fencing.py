"""Completion is fenced: a worker that lost its lease cannot overwrite the job's newer result."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from helpers import enqueue, job, lines, run_cli, start_workers, wait_until


def test_frozen_worker_cannot_overwrite_a_reclaimed_job(db: Path, tmp_path: Path) -> None:
    run_cli("config", "set", "heartbeat-interval", "0.5", db=db)
    run_cli("config", "set", "lease-timeout", "3", db=db)
    run_cli("config", "set", "backoff-base", "1", db=db)
    flag, marker = tmp_path / "flag", tmp_path / "m"
    # attempt 1 (the frozen worker's) fails with 7 after a while; any later attempt succeeds
    command = (
        f"if [ -e {flag} ]; then echo second >> {marker}; exit 0; fi; "
        f"touch {flag}; echo first >> {marker}; sleep 4; exit 7"
    )
    jid = enqueue(db, command=command)
    frozen = start_workers(db, 1)
    wait_until(lambda: lines(marker) == ["first"], 15, message="attempt 1 started")
    worker = frozen.worker_pid()  # SIGSTOP cannot be forwarded by the supervisor
    os.kill(worker, signal.SIGSTOP)
    try:
        rescuer = start_workers(db, 1)
        wait_until(lambda: job(db, jid)["state"] == "completed", 30, 0.2, "job reclaimed and rerun")
        assert lines(marker) == ["first", "second"]
    finally:
        os.kill(worker, signal.SIGCONT)
    before = job(db, jid)
    assert (before["attempts"], before["exit_code"]) == (2, 0), before
    # let the thawed worker notice its command ended and try to record it, then stop everyone
    run_cli("worker", "stop", "--timeout", "20", db=db, timeout=30)
    frozen.wait(10)
    assert rescuer.wait(10) == 0
    after = job(db, jid)
    assert (after["state"], after["attempts"], after["exit_code"]) == ("completed", 2, 0), after
    history = sorted(after["history"], key=lambda h: h["attempt"])
    assert len(history) == 2 and "worker lost" in history[0]["error"], history
    assert history[1]["exit_code"] == 0
