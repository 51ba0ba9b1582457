"""A tiny watchdog process: when its worker dies, it SIGKILLs the worker's job process groups.

The worker writes ``+PGID`` when a command starts and ``-PGID`` once it is reaped. When the pipe
reaches EOF (the worker exited, however it died) every group still listed is killed, children and
grandchildren alike. Started in its own session so signals aimed at the worker's process group do
not reach it. Run as ``python -m queuectl_core.reaper``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    groups: set[int] = set()
    for line in sys.stdin.buffer:
        text = line.strip()
        if text[:1] == b"+":
            groups.add(int(text[1:]))
        elif text[:1] == b"-":
            groups.discard(int(text[1:]))
    for pgid in groups:
        with contextlib.suppress(OSError):
            os.killpg(pgid, signal.SIGKILL)


if __name__ == "__main__":
    main()
