"""The process view's costs: one worker sample, and ``top`` / ``metrics --prometheus`` on the
million-job store (30,000 of its jobs are processing, spread over 50 workers with published
samples). Run: ``python -m bench.procs [--jobs N]``. Not a timed test; prints medians.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from bench.bigstore import cli_ms, seeded_store
from queuectl_core.processes import ProcessSample
from queuectl_core.sampling import Sampler
from queuectl_core.store.open import open_store

WORKERS = 50


def sample_cost(jobs: int, calls: int = 200) -> float:
    """Microseconds per ``Sampler.sample`` over ``jobs`` running process groups (3 processes
    each: a shell and two sleeps), as one worker does at each heartbeat."""
    groups = [
        subprocess.Popen(["sh", "-c", "sleep 60 & sleep 60 & wait"], start_new_session=True)
        for _ in range(jobs)
    ]
    try:
        time.sleep(0.3)
        sampler = Sampler(time.time)
        running = {f"j{i}": (1, p.pid) for i, p in enumerate(groups)}
        sampler.sample(running)
        start = time.perf_counter()
        for _ in range(calls):
            sampler.sample(running)
        return (time.perf_counter() - start) / calls * 1e6
    finally:
        for proc in groups:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


async def _publish(url: str) -> int:
    """Spread the processing jobs over WORKERS workers, each publishing a sample per job."""
    import sqlite3

    conn = sqlite3.connect(url)
    rows = conn.execute("SELECT seq, id, runs FROM jobs WHERE state = 'processing'").fetchall()
    conn.close()
    store = await open_store(url)
    try:
        now = time.time()
        for w in range(WORKERS):
            mine = rows[w::WORKERS]
            worker = f"bench-{w}"
            conn = sqlite3.connect(url)
            conn.executemany(
                "UPDATE jobs SET worker_id = ? WHERE seq = ?", [(worker, r[0]) for r in mine]
            )
            conn.execute(
                "INSERT OR REPLACE INTO workers (id, host, pid, slots, queues, started_at,"
                " heartbeat_at, current_jobs, stop_requested) VALUES (?, 'h', 1, 1, '[]', ?, ?,"
                " '[]', 0)",
                (worker, now, now + 3600),
            )
            conn.commit()
            conn.close()
            samples = [
                ProcessSample(r[1], r[2], 1000 + i, 3, 1.5, 10_000_000, now)
                for i, r in enumerate(mine)
            ]
            await store.publish_processes(worker, samples)
    finally:
        await store.close()
    return len(rows)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    for jobs in (1, 4, 16):
        print(f"sample, {jobs:2d} running job(s) x 3 processes: {sample_cost(jobs):8.0f} us")
    with tempfile.TemporaryDirectory() as tmp:
        path = seeded_store(args.jobs, Path(tmp))
        running = asyncio.run(_publish(str(path)))
        rows = json.loads(
            subprocess.run(
                ["queuectl", "--db", str(path), "top", "--json"], capture_output=True, check=True
            ).stdout
        )
        assert len(rows) == running and rows[0]["pid"] is not None
        print(f"store: {args.jobs:,} jobs, {running:,} processing on {WORKERS} workers")
        for label, argv in [
            ("top --json", ["top", "--json"]),
            ("top (table)", ["top"]),
            ("metrics --prometheus", ["metrics", "--prometheus"]),
            ("status --json (reference)", ["status", "--json"]),
        ]:
            print(f"{label:28s} {cli_ms(path, argv, args.runs):8.0f} ms (median of {args.runs})")


if __name__ == "__main__":
    main()
