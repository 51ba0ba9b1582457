"""W1 for huey, the best peer measured here: SQLite storage, process workers, the same shell work.

Each task runs ``/bin/sh -c true`` in a new session with both pipes captured (what a queuectl job
does). The figure counts from the consumer's start to the last result read back from huey's
store, as W1 counts queuectl's whole ``worker start --drain`` process. Run as a module by the
consumer (``BENCH_HUEY_DB`` names the store); huey is installed by the ``bench`` extra.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from huey import SqliteHuey
from huey.storage import SqliteStorage

#: Process workers polling every millisecond (at most 10 ms when idle), quiet; then ``-w N``.
CONSUMER = ("-k", "process", "-d", "0.001", "-m", "0.01", "-b", "1.0", "-q", "-w")
huey = SqliteHuey(filename=os.environ.get("BENCH_HUEY_DB", "/tmp/bench-huey.db"))


@huey.task()
def shell(command: str) -> int:
    done = subprocess.run(
        ["/bin/sh", "-c", command], capture_output=True, start_new_session=True, check=False
    )
    return done.returncode


def version() -> str:
    from importlib.metadata import version as installed

    return installed("huey")


def drain(path: Path, count: int, command: str, workers: int) -> float:
    """Seconds for a huey consumer with ``workers`` processes to run ``count`` tasks."""
    huey.storage = SqliteStorage(name=huey.name, filename=str(path))
    for _ in range(count):
        shell(command)
    store = huey
    env = {**os.environ, "BENCH_HUEY_DB": str(path)}
    start = time.perf_counter()
    consumer = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "huey.bin.huey_consumer",
            "bench.huey_peer.huey",
            *CONSUMER,
            str(workers),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = start + 600
        while store.result_count() < count:
            if time.perf_counter() > deadline or consumer.poll() is not None:
                raise RuntimeError(f"huey ran {store.result_count()} of {count} tasks")
            time.sleep(0.005)
        elapsed = time.perf_counter() - start
    finally:
        os.killpg(consumer.pid, signal.SIGINT)
        try:
            consumer.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(consumer.pid, signal.SIGKILL)
            consumer.wait()
    return elapsed
