"""Cancel and timeout reach every process of the job, even those that left its process group."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from helpers import job, lines, run_cli, start_workers, wait_until

# Two escapees: one in a new session, one in a new session that also ignores SIGTERM.
ESCAPE = (
    "setsid sleep 300 & "
    "setsid sh -c 'trap \"\" TERM; sleep 300' & "
    "echo start >> {marker}; sleep 300"
)


def _job_processes(jid: str) -> list[int]:
    """Live (non-zombie) processes whose environment says they belong to job ``jid``."""
    needle = f"\0QUEUECTL_JOB_ID={jid}\0".encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as handle:
                environ = b"\0" + handle.read() + b"\0"
            with open(f"/proc/{entry}/stat", "rb") as handle:
                state = handle.read().rsplit(b")", 1)[1].split()[0]
        except OSError:
            continue
        if needle in environ and state != b"Z":
            found.append(int(entry))
    return found


def _escaped(jid: str) -> bool:
    """Some process of the job runs in a session other than the job shell's."""
    sessions = set()
    for pid in _job_processes(jid):
        try:
            sessions.add(os.getsid(pid))
        except ProcessLookupError:
            continue
    return len(sessions) >= 3


def test_cancel_kills_processes_that_left_the_group(db: Path, tmp_path: Path) -> None:
    marker = tmp_path / "m"
    jid = run_cli("enqueue", "--command", ESCAPE.format(marker=marker), db=db).stdout.strip()
    worker = start_workers(db, 1)
    wait_until(lambda: lines(marker) == ["start"], 15, message="job started")
    wait_until(lambda: _escaped(jid), 10, message="escapees running in their own sessions")
    run_cli("cancel", jid, db=db)
    wait_until(lambda: job(db, jid)["state"] == "cancelled", 10, message="cancelled")
    wait_until(lambda: not _job_processes(jid), 10, message="nothing of the job survives")
    assert worker.alive()
    worker.signal_group(signal.SIGTERM)
    assert worker.wait(15) == 0


def test_timeout_kills_processes_that_left_the_group(db: Path, tmp_path: Path) -> None:
    marker = tmp_path / "m"
    command = ESCAPE.format(marker=marker)
    jid = run_cli("enqueue", "--command", command, "--timeout", "3", db=db).stdout.strip()
    worker = start_workers(db, 1)
    wait_until(lambda: lines(marker) == ["start"], 15, message="job started")
    wait_until(lambda: _escaped(jid), 10, message="escapees running in their own sessions")
    wait_until(lambda: job(db, jid)["state"] in ("failed", "dead"), 20, message="timed out")
    assert "timed out" in job(db, jid)["last_error"]
    wait_until(lambda: not _job_processes(jid), 10, message="nothing of the job survives")
    worker.signal_group(signal.SIGTERM)
    assert worker.wait(15) == 0
