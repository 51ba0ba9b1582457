"""Measure what an idle console writes to its terminal: bytes per second at 80x24 through a pty.

    python scripts/idle_bytes.py [--seconds 30] [--jobs 36]

Seeds a temporary store with ``--jobs`` jobs that finished between 20 s and 90 s ago (through the
store's own enqueue/claim/finish, so their "54s ago" cells tick while we watch), starts
``queuectl-tui --db STORE`` in an 80x24 pseudo-terminal, waits for the first paint to settle, then
counts the bytes the console writes over ``--seconds`` while nobody touches it.
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import os
import pty
import select
import signal
import struct
import sys
import tempfile
import termios
import time
from pathlib import Path

from queuectl_core.models import Finish, JobSpec, Outcome
from queuectl_core.store.open import open_store

WARMUP = 5.0


async def seed(url: str, jobs: int) -> None:
    now = time.time()
    moment = [now]
    store = await open_store(url, clock=lambda: moment[0])
    try:
        for n in range(jobs):
            finished = now - 90 + 70 * n / max(1, jobs - 1)
            moment[0] = finished - 2
            await store.enqueue([JobSpec(f"echo job {n}", id=f"idle-{n:03d}")])
            (job,) = await store.claim("idle-worker", None, 1, 60)
            moment[0] = finished
            await store.finish([Finish(job.id, "idle-worker", job.runs, Outcome(0, None, "ok\n"))])
    finally:
        await store.close()


def count(url: str, seconds: float) -> tuple[int, float]:
    """Bytes written by the console over ``seconds`` after the warm-up, and the time measured."""
    binary = str(Path(sys.executable).with_name("queuectl-tui"))
    pid, fd = pty.fork()
    if pid == 0:
        os.environ.update(TERM="xterm-256color", COLUMNS="80", LINES="24")
        os.execv(binary, [binary, "--db", url])
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    total, start = 0, time.monotonic()
    measuring_from: float | None = None
    try:
        while True:
            elapsed = time.monotonic() - start
            if measuring_from is None and elapsed >= WARMUP:
                measuring_from, total = time.monotonic(), 0
            if measuring_from is not None and time.monotonic() - measuring_from >= seconds:
                return total, time.monotonic() - measuring_from
            ready, _, _ = select.select([fd], [], [], 0.1)
            if ready:
                try:
                    total += len(os.read(fd, 65536))
                except OSError:
                    raise SystemExit("the console exited early") from None
    finally:
        os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, 0)
        os.close(fd)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--jobs", type=int, default=36)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="queuectl-idle-") as workdir:
        url = str(Path(workdir) / "idle.db")
        asyncio.run(seed(url, args.jobs))
        written, took = count(url, args.seconds)
    print(f"{written} bytes in {took:.1f}s: {written / took:.0f} bytes/s at 80x24")


if __name__ == "__main__":
    main()
