"""One browser tab's console: ``queuectl-tui`` that also quits when its server is gone.

textual-serve talks to each console over pipes. A server that stops normally asks every console
to quit; one that is killed (SIGKILL, OOM) cannot, and Textual's web driver carries on after its
input closes. So a thread watches the parent: once the console has been orphaned it sends itself
SIGTERM (the driver's clean exit), and exits outright if that does not finish.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

from queuectl_tui.cli import run

CHECK_EVERY = 0.5
GRACE = 5.0


def watch_parent(parent: int) -> None:
    """Block until the parent process is gone; then ask this process to stop, then make it."""
    while os.getppid() == parent:
        time.sleep(CHECK_EVERY)
    # Nobody reads the pipes any more: a write that fails mid-exit can wedge Textual's shutdown.
    devnull = os.open(os.devnull, os.O_WRONLY)
    for fd in (1, 2):
        os.dup2(devnull, fd)
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(GRACE)
    os._exit(1)


def main() -> None:
    """Entry point of ``python -m queuectl_tui.serve_session [queuectl-tui flags]``."""
    threading.Thread(target=watch_parent, args=(os.getppid(),), daemon=True).start()
    raise SystemExit(run(sys.argv[1:]))


if __name__ == "__main__":
    main()
