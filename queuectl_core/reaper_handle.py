"""The worker's handle on its reaper process (``queuectl_core.reaper``): start it, close it."""

from __future__ import annotations

import contextlib
import os
import select
import subprocess
import sys

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

    def release(self) -> None:
        """EOF to the reaper: it starts its last scan (the worker has nothing left running)."""
        if self._process.stdin is not None:
            with contextlib.suppress(OSError):
                self._process.stdin.close()

    def close(self) -> None:
        """``release``, then wait (5 s at most) for the last scan to finish."""
        self.release()
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
