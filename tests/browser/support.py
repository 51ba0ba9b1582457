"""Helpers for the ``--serve`` tests: the server process and a store with a dead job."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import psutil
from helpers import run_cli, wait_until

SESSION = "queuectl_tui.serve_session"


def console_binary() -> str:
    return str(Path(sys.executable).parent / "queuectl-tui")


@dataclass
class Served:
    """A running ``queuectl-tui --serve``, its output files, and the URL it printed."""

    proc: subprocess.Popen[bytes]
    stdout: Path
    stderr: Path
    url: str = ""

    @property
    def origin(self) -> str:
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def token(self) -> str:
        return self.url.split("token=", 1)[1]

    def wait_for_url(self, timeout: float) -> str:
        """The first line on stdout (it must come before anything else)."""

        def line() -> str:
            text = self.stdout.read_text()
            if self.proc.poll() is not None and "\n" not in text:
                raise AssertionError(f"server exited {self.proc.returncode}: {self.output()}")
            return text.split("\n", 1)[0] if "\n" in text else ""

        self.url = wait_until(line, timeout, message="the URL on stdout")
        return self.url

    def output(self) -> str:
        return f"stdout: {self.stdout.read_text()!r} stderr: {self.stderr.read_text()!r}"

    def consoles(self) -> list[psutil.Process]:
        """The live console processes this server started, one per open session."""
        found = []
        for child in psutil.Process(self.proc.pid).children(recursive=True):
            try:
                if child.status() != psutil.STATUS_ZOMBIE and SESSION in child.cmdline():
                    found.append(child)
            except psutil.NoSuchProcess:
                continue
        return found

    def stop(self) -> int:
        """SIGTERM, as a service manager would; returns the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
            raise AssertionError("the server did not stop within 30s of SIGTERM") from None


def start_server(args: list[str], env: dict[str, str], logs: Path) -> Served:
    """Start ``queuectl-tui ARGS`` in its own session, output to files under ``logs``."""
    logs.mkdir(parents=True, exist_ok=True)
    index = len(list(logs.glob("*.out")))
    stdout, stderr = logs / f"serve-{index}.out", logs / f"serve-{index}.err"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        proc = subprocess.Popen(
            [console_binary(), *args],
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            env=env,
            start_new_session=True,
        )
    return Served(proc, stdout, stderr)


def state(db: Path, job_id: str) -> str:
    return str(json.loads(run_cli("show", job_id, "--json", db=db).stdout)["state"])


def dead_job(db: Path, job_id: str) -> None:
    """Put one job in the DLQ: it fails with no retries left, run by a draining worker."""
    spec = {"id": job_id, "command": "echo boom >&2; exit 3", "max_retries": 0}
    run_cli("enqueue", json.dumps(spec), db=db)
    run_cli("worker", "start", "--drain", db=db, timeout=60)
    assert state(db, job_id) == "dead"
