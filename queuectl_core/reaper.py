"""A tiny watchdog process: when its worker dies, it SIGKILLs whatever the worker's jobs left.

Every job runs with ``QUEUECTL_WORKER_ID=<worker id>`` in its environment, which its children
inherit. The reaper holds the read end of a pipe whose write end only the worker holds; when the
worker exits, however it died, the pipe reaches EOF and the reaper kills the process group of every
process carrying that tag, children and grandchildren alike. No message per job: the cost is one
/proc scan when the worker exits. Started in its own session so signals aimed at the worker's
process group do not reach it. Run as ``python -I -S .../queuectl_core/reaper.py WORKER_ID``
(standard library only, so it starts without site or the package).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys

TAG_NAME = "QUEUECTL_WORKER_ID"


def tag(name: str, value: str) -> bytes:
    """One environment entry, ``NAME=value``, as it appears in /proc/PID/environ."""
    return os.fsencode(f"{name}={value}")


def tagged_pids(*tags: bytes) -> list[int]:
    """Processes (other than this one) whose environment carries every one of ``tags``."""
    needles = [b"\0" + entry + b"\0" for entry in tags]
    me = os.getpid()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == me:
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as handle:
                environ = b"\0" + handle.read() + b"\0"
        except OSError:
            continue
        if all(needle in environ for needle in needles):
            found.append(int(entry))
    return found


def kill_tagged(*tags: bytes, signum: int = signal.SIGKILL) -> int:
    """Signal every tagged process and its process group; returns how many were found."""
    pids = tagged_pids(*tags)
    own_group = os.getpgid(0)
    for pid in pids:
        with contextlib.suppress(OSError):
            group = os.getpgid(pid)
            if group != own_group:
                os.killpg(group, signum)
        with contextlib.suppress(OSError):
            os.kill(pid, signum)
    return len(pids)


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    worker_id = sys.argv[1]
    sys.stdin.buffer.read()  # returns at EOF: the worker is gone
    # A second pass catches anything forked while the first one was killing.
    for _ in range(2):
        if not kill_tagged(tag(TAG_NAME, worker_id)):
            break
    os._exit(0)  # nothing to flush or clean up; the worker waits for this exit


if __name__ == "__main__":
    main()
