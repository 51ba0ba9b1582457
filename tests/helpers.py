"""Helpers for tests that drive the real ``queuectl`` binary in subprocesses.

Import from test modules as ``from helpers import ...`` (``tests/`` is on ``sys.path`` through the
top-level conftest). The fixtures ``db`` and ``no_leaks`` are registered by importing them into a
conftest.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import psutil
import pytest

T = TypeVar("T")
TOKEN_VAR = "QUEUECTL_TEST_TOKEN"
ISO_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")


def _queuectl() -> list[str]:
    beside = Path(sys.executable).parent / "queuectl"
    if beside.is_file() and os.access(beside, os.X_OK):
        return [str(beside)]
    found = shutil.which("queuectl")
    if found:
        return [found]
    return [sys.executable, "-m", "queuectl_core.cli.main"]


QUEUECTL: list[str] = _queuectl()


def cli_env(db: Path | str | None = None, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a ``queuectl`` subprocess: ours, plus the store and ``extra``."""
    env = dict(os.environ)
    if db is not None:
        env["QUEUECTL_DB"] = str(db)
    env.update(extra or {})
    return env


def run_cli(
    *args: str,
    db: Path | str | None = None,
    input: str | None = None,
    cwd: Path | str | None = None,
    check: bool = True,
    env: Mapping[str, str] | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """Run ``queuectl [--db DB] ARGS``; with ``check``, fail the test on a non-zero exit."""
    cmd = [*QUEUECTL, *(["--db", str(db)] if db is not None else []), *args]
    result = subprocess.run(
        cmd,
        input=input,
        cwd=cwd,
        env=dict(env) if env is not None else cli_env(),
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=timeout,
        check=False,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"{cmd} exited {result.returncode}\n"
            f"stdout: {result.stdout[-2000:]!r}\nstderr: {result.stderr[-2000:]!r}"
        )
    return result


def cli_json(*args: str, db: Path | str | None = None, **kwargs: Any) -> Any:
    """Run a ``--json`` command and parse its stdout as exactly one JSON document."""
    return json.loads(run_cli(*args, "--json", db=db, **kwargs).stdout)


def job(db: Path | str, job_id: str) -> dict[str, Any]:
    """The job object (with ``history``) from ``show ID --json``."""
    data = cli_json("show", job_id, db=db)
    assert isinstance(data, dict), data
    return data


def enqueue(db: Path | str, **fields: Any) -> str:
    """Enqueue one job given as keyword fields; return its id."""
    out = run_cli("enqueue", json.dumps(fields), db=db).stdout.split()
    assert len(out) == 1, out
    return out[0]


def wait_until(
    predicate: Callable[[], T], timeout: float, interval: float = 0.05, message: str = ""
) -> T:
    """Poll ``predicate`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for: {message or predicate}")
        time.sleep(interval)


def lines(path: Path) -> list[str]:
    """The lines of a marker file; [] when it does not exist yet."""
    try:
        return path.read_text().splitlines()
    except FileNotFoundError:
        return []


def procs_matching(text: str) -> list[psutil.Process]:
    """Live (non-zombie) processes whose command line contains ``text``."""
    found = []
    for proc in psutil.process_iter(["cmdline", "status"]):
        if proc.pid == os.getpid() or proc.info["status"] == psutil.STATUS_ZOMBIE:
            continue
        if text in " ".join(proc.info["cmdline"] or []):
            found.append(proc)
    return found


@dataclass
class WorkerProcess:
    """A ``queuectl worker start`` running in its own session (pgid == pid)."""

    proc: subprocess.Popen[bytes]
    log: Path
    descendants: set[int] = field(default_factory=set)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def worker_pid(self, timeout: float = 10) -> int:
        """The worker itself: the child ``queuectl worker start`` forks and supervises.

        It runs in its own process group; signals to this process are forwarded to it, except
        SIGSTOP, which cannot be caught: freeze the worker through this pid.
        """
        parent = psutil.Process(self.pid)
        cmdline = parent.cmdline()

        def forked() -> list[psutil.Process]:
            return [p for p in parent.children() if p.cmdline() == cmdline]

        return int(wait_until(forked, timeout, message="worker forked")[0].pid)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def wait(self, timeout: float) -> int:
        """Wait for exit; fail the test (with the worker's output) after ``timeout`` seconds."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(
                f"worker {self.pid} still running after {timeout}s; output:\n"
                + self.output()[-3000:]
            ) from None

    def signal_group(self, sig: int) -> None:
        """Send ``sig`` to the worker's process group, as a terminal's Ctrl+C would."""
        os.killpg(self.pid, sig)

    def kill(self) -> None:
        """SIGKILL the worker's group and everything it spawned (teardown)."""
        if self.alive():
            with contextlib.suppress(psutil.NoSuchProcess):
                self.descendants |= {p.pid for p in psutil.Process(self.pid).children(True)}
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGKILL)
        for pid in self.descendants:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.proc.wait(10)


_WORKERS: list[WorkerProcess] = []


def start_workers(
    db: Path | str | None,
    count: int,
    *extra: str,
    env: Mapping[str, str] | None = None,
    cwd: Path | str | None = None,
    verb: tuple[str, ...] = ("worker", "start"),
) -> WorkerProcess:
    """Start ``queuectl worker start --count COUNT EXTRA`` in the foreground of a new session.

    Output (stdout and stderr) goes to a log file beside the store; ``verb`` selects an alias.
    """
    log_dir = Path(db).parent if db is not None else Path(cwd or ".")
    log = log_dir / f"worker-{uuid.uuid4().hex[:8]}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*QUEUECTL, *verb, "--count", str(count), *extra],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else cli_env(db),
            cwd=cwd,
            start_new_session=True,
        )
    worker = WorkerProcess(proc, log)
    _WORKERS.append(worker)
    return worker


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh store path in a temp dir, also exported as ``QUEUECTL_DB``."""
    path = tmp_path / "store" / "queue.db"
    path.parent.mkdir()
    monkeypatch.setenv("QUEUECTL_DB", str(path))
    return path


def _tagged(token: str) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["status"]):
        if proc.pid == os.getpid() or proc.info["status"] == psutil.STATUS_ZOMBIE:
            continue
        try:
            if proc.environ().get(TOKEN_VAR) == token:
                found.append(proc)
        except (psutil.AccessDenied, psutil.NoSuchProcess, psutil.ZombieProcess):
            continue
    return found


def _survivors(token: str, before: set[int]) -> list[psutil.Process]:
    kids = []
    for proc in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.NoSuchProcess):
            if proc.pid not in before and proc.status() != psutil.STATUS_ZOMBIE:
                kids.append(proc)
    return list({p.pid: p for p in [*kids, *_tagged(token)]}.values())


def _describe(procs: list[psutil.Process]) -> str:
    out = []
    for proc in procs:
        try:
            out.append(f"{proc.pid}: {' '.join(proc.cmdline())}")
        except psutil.Error:
            out.append(f"{proc.pid}: <gone>")
    return "; ".join(out)


@pytest.fixture
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the per-user default store inside the test's temp dir."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("QUEUECTL_DB", raising=False)


@pytest.fixture
def no_leaks(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail the test if a process it started (tagged via env, or a child) outlives it."""
    token = uuid.uuid4().hex
    monkeypatch.setenv(TOKEN_VAR, token)
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    started = len(_WORKERS)
    yield
    problems = []
    for worker in _WORKERS[started:]:
        if worker.alive():
            problems.append(f"worker {worker.pid} left running")
        worker.kill()
    del _WORKERS[started:]
    deadline = time.monotonic() + 3
    while (leaked := _survivors(token, before)) and time.monotonic() < deadline:
        time.sleep(0.1)
    if leaked:
        problems.append(f"processes survived the test: {_describe(leaked)}")
        for proc in leaked:
            with contextlib.suppress(psutil.Error):
                proc.kill()
    # ``rep_call`` comes from the makereport hook in tests/conftest.py; without it, always report
    report = getattr(request.node, "rep_call", None)
    if problems and (report is None or report.passed):
        pytest.fail("; ".join(problems))


def utc_ts(value: object) -> float:
    """Epoch seconds from a timestamp that must be ISO-8601 UTC ending in ``Z``."""
    assert isinstance(value, str) and ISO_Z.fullmatch(value), f"not ISO-8601 UTC with Z: {value!r}"
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def assert_one_line_error(result: subprocess.CompletedProcess[str], code: int) -> None:
    """Exit ``code``, exactly one non-empty line on stderr, and no traceback."""
    detail = f"args={result.args!r} rc={result.returncode} stderr={result.stderr!r}"
    assert result.returncode == code, detail
    assert "Traceback" not in result.stderr + result.stdout, detail
    message = result.stderr.strip()
    assert message and "\n" not in message, detail


def status_or_empty(db: Path | str, **kwargs: Any) -> dict[str, Any]:
    """``status --json``; before anything created the store (a worker still starting), the
    empty answer, since reads never create a store and say ``no queue at PATH`` (exit 1)."""
    result = run_cli("status", "--json", db=db, check=False, **kwargs)
    if result.returncode == 1 and "no queue at" in result.stderr:
        return {"counts": {}, "workers": []}
    assert result.returncode == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data
