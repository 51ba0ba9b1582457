"""End to end: the real ``queuectl-tui`` in tmux, on a store that separate workers are using.

Launch, open the DLQ, retry a job, watch it leave the DLQ and complete, quit, and check the
terminal is restored. Every wait polls ``tmux capture-pane`` with a deadline.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import cli_json, run_cli, start_workers, wait_until

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")


def _console() -> str:
    beside = Path(sys.executable).parent / "queuectl-tui"
    return str(beside) if beside.exists() else shutil.which("queuectl-tui") or "queuectl-tui"


class Tmux:
    """One tmux server on a private socket, one window running a shell."""

    def __init__(self, socket: str) -> None:
        self.socket = socket

    def run(self, *args: str) -> str:
        result = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=10
        )
        return result.stdout

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "tui")

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", "tui", *keys)

    def wait_for(self, text: str, timeout: float = 20) -> str:
        """Poll the pane until ``text`` shows; fail with the last screen after ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if text in screen:
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} not on screen after {timeout}s:\n{screen}")
            time.sleep(0.05)


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    mux = Tmux(f"queuectl-test-{uuid.uuid4().hex[:8]}")
    mux.run("-f", "/dev/null", "new-session", "-d", "-s", "tui", "-x", "100", "-y", "30",
            "sh")  # fmt: skip
    try:
        yield mux
    finally:
        mux.run("kill-server")


def _state(db: Path, job_id: str) -> str:
    return str(cli_json("show", job_id, db=db)["state"])


def test_retry_from_the_dlq_in_the_real_console(tmp_path: Path, tmux: Tmux) -> None:
    db = tmp_path / "queue.db"
    marker = tmp_path / "failed-once"
    command = f"test -f {marker} || {{ touch {marker}; echo 'first run fails' >&2; exit 3; }}"
    spec = {"command": command, "id": "e2e-flaky", "max_retries": 0}
    run_cli("enqueue", json.dumps(spec), db=db)
    workers = [start_workers(db, 2), start_workers(db, 1)]
    try:
        wait_until(lambda: _state(db, "e2e-flaky") == "dead", 30, message="job dead")
        tmux.keys(f"TERM=xterm-256color {_console()} --db {db}; echo TUI-EXIT=$?", "Enter")
        tmux.wait_for("e2e-flaky")
        tmux.wait_for("workers 2")
        tmux.keys("6")
        screen = tmux.wait_for("1-1 of 1")
        assert "dead" in screen
        tmux.keys("r")
        tmux.wait_for("0 of 0")  # gone from the DLQ view
        wait_until(lambda: _state(db, "e2e-flaky") == "completed", 30, message="completed")
        tmux.keys("1")
        tmux.wait_for("completed 1")
        tmux.keys("q")
        after = tmux.wait_for("TUI-EXIT=0")
        assert "Retry DLQ" not in after  # the alternate screen is gone: terminal restored
        assert tmux.run("display", "-p", "-t", "tui", "#{alternate_on}").strip() == "0"
    finally:
        for worker in workers:
            if worker.alive():
                worker.signal_group(signal.SIGTERM)
        for worker in workers:
            assert worker.wait(30) == 0, worker.output()


def test_at_80x24_an_empty_store_hints_and_the_footer_keeps_help_and_quit(
    tmp_path: Path, tmux: Tmux
) -> None:
    db = tmp_path / "queue.db"
    tmux.run("resize-window", "-t", "tui", "-x", "80", "-y", "24")
    tmux.keys(f"TERM=xterm-256color {_console()} --db {db}; echo TUI-EXIT=$?", "Enter")
    screen = tmux.wait_for("No jobs yet")
    assert "queuectl-tui --demo" in screen
    footer = screen.rstrip("\n").splitlines()[-1]
    for key in ("? Help", "q Quit", "w Workers"):
        assert key in footer, footer
    run_cli("enqueue", "--command", "echo hi", "--id", "first-job", db=db)
    screen = tmux.wait_for("first-job")
    assert "No jobs yet" not in screen
    tmux.keys("q")
    tmux.wait_for("TUI-EXIT=0")
