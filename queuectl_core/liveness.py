"""Is a registered worker's process still there? Only answerable for workers on this host."""

from __future__ import annotations

import os
import socket

from queuectl_core.models import WorkerInfo


def process_gone(worker: WorkerInfo) -> bool:
    """True only when ``worker`` ran on this host and its process no longer exists."""
    if worker.host != socket.gethostname():
        return False
    try:
        os.kill(worker.pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def live_workers(workers: list[WorkerInfo]) -> list[WorkerInfo]:
    """Drop workers of this host whose process is gone (SIGKILLed) before their lease says so."""
    return [w for w in workers if not process_gone(w)]
