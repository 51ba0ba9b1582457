"""C1: the console (``queuectl-tui``) on the big store, in a real terminal (a private tmux).

First paint is the time from launching the process to the job table showing seeded rows in
the terminal; RSS and idle CPU are read with psutil from the console process.
"""

from __future__ import annotations

import importlib.util
import shlex
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from bench.stores import cli_env, queuectl_bin

SOCKET = "qbench"
SESSION = "qbench-c1"
MARKER = "seed-"  # the seeded job ids


@dataclass(frozen=True, slots=True)
class ConsoleFigures:
    first_paint_s: float
    rss_mb: float
    idle_cpu_percent: float


def unavailable_reason() -> str | None:
    """Why C1 cannot run here, or None."""
    if shutil.which("tmux") is None:
        return "tmux is not installed"
    if importlib.util.find_spec("queuectl_tui") is None:
        return "queuectl_tui is not installed"
    return None


def _tmux(*args: str) -> str:
    out = subprocess.run(
        ["tmux", "-L", SOCKET, *args], capture_output=True, text=True, timeout=10, check=False
    )
    return out.stdout


def measure(path: Path, idle_seconds: float, timeout: float = 30.0) -> ConsoleFigures:
    """Launch the console on ``path`` at 120x40, wait for rows, then sample it while idle."""
    env = cli_env(str(path))
    env_args = [f"{k}={v}" for k, v in env.items() if k.startswith(("PYTHON", "QUEUECTL"))]
    command = shlex.join(["exec", "env", *env_args, *queuectl_bin("queuectl-tui")])
    _tmux("kill-session", "-t", SESSION)
    start = time.perf_counter()
    subprocess.run(
        [
            "tmux",
            "-L",
            SOCKET,
            "new-session",
            "-d",
            "-s",
            SESSION,
            "-x",
            "120",
            "-y",
            "40",
            command,
        ],
        check=True,
        env=env,
        timeout=10,
    )
    try:
        pid = int(_tmux("display-message", "-p", "-t", SESSION, "#{pane_pid}").strip())
        while MARKER not in _tmux("capture-pane", "-p", "-t", SESSION):
            if time.perf_counter() - start > timeout:
                raise RuntimeError("console did not show the job table: " + _screen())
            time.sleep(0.01)
        first_paint = time.perf_counter() - start
        process = psutil.Process(pid)
        time.sleep(2.0)  # let start-up work settle before sampling idle
        before = process.cpu_times()
        began = time.perf_counter()
        time.sleep(idle_seconds)
        after = process.cpu_times()
        wall = time.perf_counter() - began
        busy = (after.user - before.user) + (after.system - before.system)
        rss = process.memory_info().rss / 2**20
        return ConsoleFigures(first_paint, rss, 100 * busy / wall)
    finally:
        _tmux("kill-session", "-t", SESSION)
        _tmux("kill-server")


def _screen() -> str:
    return _tmux("capture-pane", "-p", "-t", SESSION)[-2000:]
