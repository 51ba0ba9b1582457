"""Shared by the SQLite and PostgreSQL end-to-end tests of queues (DESIGN §8): a limited queue
drained by several worker processes, checked two ways."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from helpers import cli_json, run_cli, wait_until

#: Each job writes when it starts and ends (O_APPEND lines are atomic), then the test replays them.
SCRIPT = 'echo "start $(date +%s.%N)" >> {log}; sleep 0.2; echo "end $(date +%s.%N)" >> {log}'


def enqueue_limited(db: str, log: Path, queue: str, count: int, limit: int) -> None:
    run_cli("queue", "set", queue, "--concurrency", str(limit), db=db)
    body = "".join(
        json.dumps({"command": SCRIPT.format(log=log), "queue": queue}) + "\n" for _ in range(count)
    )
    run_cli("enqueue", "-", db=db, input=body)


def most_at_once(log: Path) -> int:
    """The largest number of jobs whose commands ran at the same moment."""
    events = []
    for line in log.read_text().splitlines():
        kind, moment = line.split()
        events.append((float(moment), 0 if kind == "end" else 1))
    running = peak = 0
    for _, delta in sorted(events):  # an end before a start at the same instant
        running += 1 if delta else -1
        peak = max(peak, running)
    return peak


def watch_limit(db: str, queue: str, count: int, limit: int, alive: Callable[[], bool]) -> int:
    """Poll ``queue list --json`` until every job completed; fail if the queue ever had more
    than ``limit`` jobs processing. Returns how many samples were taken."""
    samples = 0

    def done() -> bool:
        nonlocal samples
        (info,) = [q for q in cli_json("queue", "list", db=db) if q["name"] == queue]
        samples += 1
        assert info["counts"]["processing"] <= limit, info
        assert info["concurrency"] == limit
        return bool(info["counts"]["completed"] == count or not alive())

    wait_until(done, 120, 0.02, f"{count} jobs of {queue} completed")
    return samples
