"""The chaos run: marker-file jobs over 3 worker processes that are SIGKILLed and restarted.

Each job sleeps a little, then appends ``<id> <attempt>`` to its own marker file as its last act,
so a marker line means the command ran to completion. Afterwards every job must be completed,
its attempt history consistent, and every completed run accounted for; a job with two marker
lines ran twice. The process killed is the worker itself (the child of ``queuectl worker start``,
which supervises it), as the OOM killer would pick it: a command that had exited before the kill
is recorded by the supervisor, so no job may run twice.
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

from helpers import WorkerProcess, cli_json, lines, run_cli, start_workers, wait_until

from .support import configure, read_rows, state_counts

WORKERS = 3
SLOTS = 4
STARTED = re.compile(r"worker (\S+) started")
RECORDED = re.compile(r"recorded (\d+) results of commands that had exited")


@dataclass
class ChaosResult:
    """Figures of one run, and every inconsistency found."""

    jobs: int
    kills: int = 0
    seconds: float = 0.0
    completed: int = 0
    lost: int = 0
    ran_twice: int = 0
    lost_attempts: int = 0
    #: Results of commands that had exited when their worker was killed, recorded by the
    #: supervisor (each one a run twice before the supervisor existed).
    recorded_after_kill: int = 0
    #: Jobs not yet completed when the last kill landed (the kills hit a busy queue).
    unfinished_at_last_kill: int = 0
    killed: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)

    def figures(self) -> dict[str, object]:
        return {
            "jobs": self.jobs,
            "kills": self.kills,
            "seconds": round(self.seconds, 1),
            "completed": self.completed,
            "lost": self.lost,
            "ran_twice": self.ran_twice,
            "attempts_lost_to_kills": self.lost_attempts,
            "unfinished_at_last_kill": self.unfinished_at_last_kill,
            "recorded_after_kill": self.recorded_after_kill,
        }


def _write_jobs(path: Path, markers: Path, count: int, rng: random.Random) -> list[str]:
    ids = [f"chaos-{n:05d}" for n in range(count)]
    with path.open("w") as handle:
        for job_id in ids:
            pause = rng.choice(("0.05", "0.1", "0.2", "0.3", "0.4"))
            command = (
                f"sleep {pause}; "
                f'echo "$QUEUECTL_JOB_ID $QUEUECTL_ATTEMPT" >> {markers}/$QUEUECTL_JOB_ID'
            )
            handle.write(json.dumps({"id": job_id, "command": command}) + "\n")
    return ids


def _kill_and_restart(
    db: Path,
    workers: list[WorkerProcess],
    result: ChaosResult,
    kills: int,
    rng: random.Random,
    deadline: float,
    pace: tuple[float, float],
    slots: int,
) -> None:
    done = 0
    while done < kills:
        assert time.monotonic() < deadline, f"only {done} kills before the deadline"
        time.sleep(rng.uniform(*pace))
        index = rng.randrange(len(workers))
        victim = workers[index]
        os.kill(victim.worker_pid(), signal.SIGKILL)
        victim.proc.wait(20)
        result.killed.update(STARTED.findall(victim.output()))
        result.recorded_after_kill += sum(int(n) for n in RECORDED.findall(victim.output()))
        done += 1
        time.sleep(rng.uniform(0.0, pace[1] / 2))
        workers[index] = start_workers(db, slots)
    result.kills = done


def _check_history(
    result: ChaosResult, job_id: str, attempts: int, history: list[tuple[object, ...]]
) -> None:
    """Attempts 1..n, all closed; the last succeeded, each earlier one lost with a killed worker."""
    problems = result.problems
    numbers = [int(str(h[0])) for h in history]
    if numbers != list(range(1, attempts + 1)):
        problems.append(f"{job_id}: attempts {attempts}, history {numbers}")
    for number, _started, finished, error, exit_code, worker in history:
        last = number == attempts
        if finished is None:
            problems.append(f"{job_id}: attempt {number} never closed")
        if last and (exit_code != 0 or error is not None):
            problems.append(f"{job_id}: completed but last attempt says {exit_code} {error}")
        if not last and not str(error).startswith("worker lost"):
            problems.append(f"{job_id}: attempt {number} failed with {error!r}")
        if not last and worker not in result.killed:
            problems.append(f"{job_id}: attempt {number} lost by {worker}, never killed")


def _check_markers(
    result: ChaosResult, job_id: str, attempts: int, errors: dict[int, object], marks: list[str]
) -> None:
    """The recorded attempt ran; any other run belongs to an attempt lost with its worker."""
    ran = [int(m.split()[1]) for m in marks]
    if attempts not in ran:
        result.problems.append(f"{job_id}: recorded attempt {attempts} never ran ({ran})")
        result.lost += 1
    if len(set(ran)) != len(ran):
        result.problems.append(f"{job_id}: one attempt ran twice: {ran}")
    for number in ran:
        if number != attempts and not str(errors.get(number)).startswith("worker lost"):
            result.problems.append(f"{job_id}: attempt {number} ran, history: {errors.get(number)}")
    if len(ran) > 1:
        result.ran_twice += 1


def _check_job(
    result: ChaosResult,
    job: tuple[object, ...],
    history: list[tuple[object, ...]],
    marks: list[str],
) -> None:
    job_id, state, attempts, runs = str(job[0]), job[1], int(str(job[2])), int(str(job[3]))
    if state != "completed":
        result.problems.append(f"{job_id}: {state}")
        result.lost += 1
        return
    if attempts != runs:
        result.problems.append(f"{job_id}: attempts {attempts} != runs {runs}")
    _check_history(result, job_id, attempts, history)
    _check_markers(result, job_id, attempts, {int(str(h[0])): h[3] for h in history}, marks)
    result.lost_attempts += attempts - 1


def verify(db: Path, markers: Path, ids: list[str], result: ChaosResult) -> None:
    """Check every job against its history and its marker file."""
    jobs = {r[0]: r for r in read_rows(db, "SELECT id, state, attempts, runs FROM jobs")}
    history: dict[str, list[tuple[object, ...]]] = {}
    for row in read_rows(
        db,
        "SELECT job_id, attempt, started_at, finished_at, error, exit_code, worker_id "
        "FROM attempts ORDER BY job_id, attempt",
    ):
        history.setdefault(row[0], []).append(row[1:])
    for job_id in ids:
        job = jobs.get(job_id)
        if job is None:
            result.problems.append(f"{job_id}: missing from the store")
            result.lost += 1
            continue
        _check_job(result, job, history.get(job_id, []), lines(markers / job_id))
    result.completed = sum(1 for r in jobs.values() if r[1] == "completed")


def run_chaos(
    db: Path,
    tmp: Path,
    jobs: int,
    kills: int,
    seed: int,
    pace: tuple[float, float] = (0.2, 0.6),
    slots: int = SLOTS,
) -> ChaosResult:
    """Enqueue ``jobs``, run them across 3 workers while killing ``kills`` times, and verify."""
    rng = random.Random(seed)
    markers = tmp / "markers"
    markers.mkdir()
    configure(
        db,
        heartbeat_interval=0.5,
        lease_timeout=3,
        backoff_base=1,
        backoff_max=1,
        max_retries=25,
        poll_interval_ms=100,
    )
    ids = _write_jobs(tmp / "jobs.jsonl", markers, jobs, rng)
    run_cli("enqueue", "--file", str(tmp / "jobs.jsonl"), db=db)
    result = ChaosResult(jobs)
    started = time.monotonic()
    workers = [start_workers(db, slots) for _ in range(WORKERS)]
    _kill_and_restart(db, workers, result, kills, rng, started + 60 + jobs * 0.1, pace, slots)
    result.unfinished_at_last_kill = jobs - state_counts(db).get("completed", 0)
    wait_until(
        lambda: state_counts(db).get("completed", 0) == jobs,
        timeout=60 + jobs * 0.05,
        interval=0.25,
        message=f"all {jobs} jobs completed (now {state_counts(db)})",
    )
    result.seconds = time.monotonic() - started
    # A worker restarted just now may not have registered yet; `worker stop` only asks registered
    # ones, so wait until all are (otherwise the late one would run on forever).
    wait_until(
        lambda: (
            {w.pid for w in workers} <= {w["pid"] for w in cli_json("status", db=db)["workers"]}
        ),
        timeout=30,
        message="every worker registered",
    )
    run_cli("worker", "stop", "--timeout", "30", db=db)
    for worker in workers:
        assert worker.wait(30) == 0, worker.output()[-2000:]
        for bad in ("Traceback", "database is locked", "internal error"):
            assert bad not in worker.output(), worker.output()[-3000:]
    verify(db, markers, ids, result)
    return result
