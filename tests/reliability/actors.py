"""Actors for the contention test: shell loops over the real CLI, and a console on a pty."""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import os
import pty
import shlex
import signal
import struct
import subprocess
import sys
import termios
import threading
from dataclasses import dataclass, field
from pathlib import Path

from helpers import QUEUECTL, cli_env

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Loop:
    """``queuectl ARGS`` run again and again until ``stop`` exists; logs stdout, stderr, codes."""

    name: str
    folder: Path
    proc: subprocess.Popen[bytes] | None = None

    @property
    def out(self) -> Path:
        return self.folder / f"{self.name}.out"

    @property
    def err(self) -> Path:
        return self.folder / f"{self.name}.err"

    @property
    def codes(self) -> list[int]:
        path = self.folder / f"{self.name}.rc"
        return [int(x) for x in path.read_text().split()] if path.exists() else []

    def start(self, db: Path, stop: Path, args: list[str], stdin: Path | None = None) -> None:
        command = shlex.join([*QUEUECTL, "--db", str(db), *args])
        if stdin is not None:
            command += f" < {shlex.quote(str(stdin))}"
        script = (
            f"while [ ! -e {shlex.quote(str(stop))} ]; do {command} "
            f">> {shlex.quote(str(self.out))} 2>> {shlex.quote(str(self.err))}; "
            f"echo $? >> {shlex.quote(str(self.folder / (self.name + '.rc')))}; done"
        )
        self.proc = subprocess.Popen(
            ["/bin/sh", "-c", script], env=cli_env(db), start_new_session=True
        )

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait(10)


def console_available() -> bool:
    return importlib.util.find_spec("queuectl_tui") is not None


@dataclass
class Console:
    """``python -m queuectl_tui`` on a pseudo-terminal of 80x24, its screen output drained."""

    proc: subprocess.Popen[bytes] | None = None
    master: int = -1
    screen: bytearray = field(default_factory=bytearray)
    reader: threading.Thread | None = None

    def start(self, db: Path) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        env = cli_env(db, {"TERM": "xterm-256color", "PYTHONPATH": str(REPO)})
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "queuectl_tui", "--db", str(db)],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            env=env,
            start_new_session=True,
        )
        os.close(slave)
        self.reader = threading.Thread(target=self._drain, daemon=True)
        self.reader.start()

    def _drain(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                return
            if not chunk:
                return
            self.screen += chunk
            del self.screen[:-200_000]

    def type(self, keys: bytes) -> None:
        os.write(self.master, keys)

    def quit(self, timeout: float = 15) -> int | None:
        """Press q; the exit code, or None if it did not exit in time."""
        assert self.proc is not None
        with contextlib.suppress(OSError):
            self.type(b"q")
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        if self.master >= 0:
            with contextlib.suppress(OSError):
                os.close(self.master)
            self.master = -1
        if self.reader is not None:
            self.reader.join(5)
