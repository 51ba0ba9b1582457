"""Fencing: a worker frozen past its lease loses its jobs and, once thawed, neither records over
the new owner nor keeps running the job it no longer owns.

SIGSTOP keeps the process alive, so the same-host dead-pid recovery cannot apply: the job is
taken back only through its expired lease.
"""

from __future__ import annotations

import os
import re
import signal
import time
from pathlib import Path

import psutil
from helpers import WorkerProcess, lines, run_cli, start_workers, wait_until

from .support import configure, read_rows

STARTED = re.compile(r"worker (\S+) started")


def _command(marker: Path, first_sleep: int) -> str:
    return (
        f'echo "start $QUEUECTL_ATTEMPT $$" >> {marker}; '
        f'if [ "$QUEUECTL_ATTEMPT" = 1 ]; then sleep {first_sleep}; else sleep 4; fi; '
        f'echo "end $QUEUECTL_ATTEMPT" >> {marker}'
    )


def _worker_id(worker: WorkerProcess) -> str:
    found = wait_until(lambda: STARTED.findall(worker.output()), 15, message="worker started")
    return str(found[0])


def _jobs(db: Path) -> dict[str, tuple[object, ...]]:
    rows = read_rows(db, "SELECT id, state, worker_id, runs FROM jobs")
    return {str(r[0]): r[1:] for r in rows}


def _gone(pid: int) -> bool:
    try:
        return bool(psutil.Process(pid).status() == psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return True


def test_stopped_worker_is_fenced_and_kills_its_lost_job(db: Path, tmp_path: Path) -> None:
    configure(
        db,
        heartbeat_interval=0.5,
        lease_timeout=3,
        backoff_base=1,
        backoff_max=1,
        poll_interval_ms=100,
    )
    long_marker, short_marker = tmp_path / "long", tmp_path / "short"
    # Attempt 1 of "long" outlives the freeze; attempt 1 of "short" ends while frozen.
    run_cli("enqueue", "--id", "long", "--command", _command(long_marker, 60), db=db)
    run_cli("enqueue", "--id", "short", "--command", _command(short_marker, 1), db=db)
    first = start_workers(db, 2)
    first_id = _worker_id(first)
    wait_until(
        lambda: all(j[:2] == ("processing", first_id) for j in _jobs(db).values()),
        15,
        message="both jobs running on the first worker",
    )
    long_pid = int(wait_until(lambda: lines(long_marker), 10)[0].split()[2])

    frozen = first.worker_pid()  # SIGSTOP cannot be forwarded by the supervisor
    os.kill(frozen, signal.SIGSTOP)
    try:
        second = start_workers(db, 2)
        second_id = _worker_id(second)
        wait_until(
            lambda: all(j == ("processing", second_id, 2) for j in _jobs(db).values()),
            20,
            message="both jobs taken over by the second worker after the lease expired",
        )
        assert not _gone(long_pid), "attempt 1 of 'long' must still run while its worker is frozen"
        assert lines(short_marker)[:2] == ["start 1 " + lines(short_marker)[0].split()[2], "end 1"]
    finally:
        os.kill(frozen, signal.SIGCONT)

    # Thawed: its results are refused, and the job it lost is killed (heartbeat, then TERM).
    wait_until(
        lambda: first.output().count("no longer ours") >= 2,
        10,
        message="the thawed worker's results refused",
    )
    assert all(j == ("processing", second_id, 2) for j in _jobs(db).values()), _jobs(db)
    wait_until(lambda: _gone(long_pid), 10, message="attempt 1 of 'long' killed")

    wait_until(
        lambda: all(j[0] == "completed" for j in _jobs(db).values()), 20, message="completed"
    )
    # The old owner may add its exit code to its own attempt's record (coalesce), never more.
    late_codes = {"long": (None, -signal.SIGTERM, -signal.SIGKILL), "short": (None, 0)}
    for job_id in ("long", "short"):
        assert _jobs(db)[job_id] == ("completed", second_id, 2)
        assert read_rows(db, "SELECT exit_code, last_error FROM jobs WHERE id = ?", (job_id,)) == [
            (0, None)
        ]
        first_run, second_run = read_rows(
            db,
            "SELECT attempt, worker_id, exit_code, error FROM attempts WHERE job_id = ? "
            "ORDER BY attempt",
            (job_id,),
        )
        assert first_run[:2] == (1, first_id) and first_run[2] in late_codes[job_id], first_run
        assert first_run[3] == "worker lost (no heartbeat for 3s)", first_run
        assert second_run == (2, second_id, 0, None)
    assert [m.split()[:2] for m in lines(long_marker)] == [
        ["start", "1"],
        ["start", "2"],
        ["end", "2"],
    ]
    assert [m.split()[:2] for m in lines(short_marker)] == [
        ["start", "1"],
        ["end", "1"],
        ["start", "2"],
        ["end", "2"],
    ]
    time.sleep(0.5)
    run_cli("worker", "stop", "--timeout", "20", db=db)
    assert first.wait(20) == 0 and second.wait(20) == 0
    for worker in (first, second):
        assert "Traceback" not in worker.output()
