"""The worker's handle on its reaper process (``queuectl_core.reaper``): start it, close it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import select
import subprocess
import sys
import threading

from queuectl_core import reaper


class Reaper:
    """Starts the reaper process (``queuectl_core.reaper``) that outlives this worker."""

    def __init__(self, worker_id: str) -> None:
        self.tag = worker_id
        # The file itself, isolated and without site: it needs only the standard library, and
        # starts in ~15 ms instead of ~50 (site's .pth files, the package import).
        self._process = subprocess.Popen(
            [sys.executable, "-I", "-S", reaper.__file__, worker_id],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    @classmethod
    def start_soon(cls, worker_id: str) -> asyncio.Future[Reaper]:
        """Start one on a thread: ``Popen`` releases the GIL while the reaper's interpreter
        execs (~8 ms here), so the event loop goes on meanwhile. (A plain thread: the loop's
        default executor would import ``concurrent.futures.thread`` for this one call.)"""
        loop = asyncio.get_running_loop()
        started: asyncio.Future[Reaper] = loop.create_future()

        def start() -> None:
            try:
                reaper = cls(worker_id)
            except BaseException as exc:  # reported to the awaiting task, not lost in the thread
                loop.call_soon_threadsafe(_settle_future, started, None, exc)
            else:
                loop.call_soon_threadsafe(_settle_future, started, reaper, None)

        threading.Thread(target=start, name="queuectl-reaper-start", daemon=True).start()
        return started

    def close(self) -> None:
        """EOF to the reaper, then wait (5 s at most) for its last scan to finish."""
        if self._process.stdin is not None:
            with contextlib.suppress(OSError):
                self._process.stdin.close()
        # A pidfd wakes us the moment it exits; ``Popen.wait(timeout)`` polls with sleeps of
        # up to 50 ms, which every ``worker start --drain`` paid on its way out.
        left = 5.0
        with contextlib.suppress(OSError):
            pidfd = os.pidfd_open(self._process.pid)
            try:
                select.select([pidfd], [], [], left)
                left = 0.1  # exited (or 5 s are up): the wait below only reaps it
            finally:
                os.close(pidfd)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._process.wait(timeout=left)


def _settle_future(
    future: asyncio.Future[Reaper], value: Reaper | None, error: BaseException | None
) -> None:
    # A cancelled start (the worker stopping during set-up) leaves the reaper to exit with it.
    if future.cancelled():
        return
    if error is not None:
        future.set_exception(error)
    elif value is not None:
        future.set_result(value)
