"""Run one command: its own session, bounded capture, timeout and kill of the whole tree."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field

from queuectl_core.lifecycle import STOP_ERRORS, OutcomeKind
from queuectl_core.models import Job, Outcome
from queuectl_core.output import BoundedOutput
from queuectl_core.reaper import TAG_NAME, kill_tagged, tag

KILL_GRACE = 2.0  # seconds between SIGTERM and SIGKILL
PIPE_GRACE = 0.2  # how long to keep reading after the shell exits (grandchildren may hold pipes)
CHUNK = 65536


def install_child_watcher() -> None:
    """Python 3.11 defaults to a thread per child; pidfd watching is ~30% faster to spawn."""
    if sys.version_info >= (3, 12) or not hasattr(os, "pidfd_open"):
        return
    watcher = asyncio.PidfdChildWatcher()
    watcher.attach_loop(asyncio.get_running_loop())
    asyncio.set_child_watcher(watcher)


class Reaper:
    """Starts the reaper process (``queuectl_core.reaper``) that outlives this worker."""

    def __init__(self, worker_id: str) -> None:
        self.tag = worker_id
        self._process = subprocess.Popen(
            [sys.executable, "-m", "queuectl_core.reaper", worker_id],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def close(self) -> None:
        if self._process.stdin is not None:
            with contextlib.suppress(OSError):
                self._process.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._process.wait(timeout=5)


class _Protocol(asyncio.subprocess.SubprocessStreamProtocol):
    """Notes the moment the process exits: ``Process.wait()`` also waits for every pipe to close,
    which a grandchild holding stdout can put off indefinitely."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(limit=CHUNK, loop=loop)
        self.exited: asyncio.Future[None] = loop.create_future()

    def process_exited(self) -> None:
        super().process_exited()
        if not self.exited.done():
            self.exited.set_result(None)


@dataclass
class Execution:
    """A command in flight: its captured output and, once started, its process."""

    job: Job
    stdout: BoundedOutput
    stderr: BoundedOutput
    process: asyncio.subprocess.Process | None = None
    #: Why the command was stopped from outside (or timed out); None while it ends by itself.
    stop: OutcomeKind | None = None
    #: Environment entries every process of this attempt inherits: how a kill finds the ones
    #: that left the process group (``setsid``).
    tags: tuple[bytes, ...] = ()
    flushed: tuple[int, int] = (-1, -1)
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def kill(self, why: OutcomeKind) -> None:
        """Terminate the whole tree (TERM, then KILL after a grace), recording why."""
        if self.stop is None:
            self.stop = why
        if self.process is not None and self.process.returncode is None:
            self.signal_tree(signal.SIGTERM)
            asyncio.get_running_loop().call_later(KILL_GRACE, self._force)

    def _force(self) -> None:
        if self.process is not None and not self.done.is_set():
            self.signal_tree(signal.SIGKILL)

    def signal_group(self, signum: int) -> None:
        if self.process is not None:
            _signal_group(self.process.pid, signum)

    def signal_tree(self, signum: int) -> None:
        """Signal the command's process group and every process carrying this attempt's tags.

        The /proc scan costs a few milliseconds, so it is done only when the attempt is stopped
        from outside or times out, never on the normal exit path.
        """
        self.signal_group(signum)
        if self.tags:
            kill_tagged(*self.tags, signum=signum)

    def kind(self, outcome: Outcome) -> OutcomeKind:
        """How the attempt ended: the stop reason, else whether the command succeeded."""
        if self.stop is not None:
            return self.stop
        return OutcomeKind.OK if outcome.succeeded else OutcomeKind.FAILED

    def output_changed(self) -> bool:
        return self.flushed != (self.stdout.version, self.stderr.version)

    def mark_flushed(self) -> None:
        self.flushed = (self.stdout.version, self.stderr.version)


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


async def _pump(stream: asyncio.StreamReader | None, sink: BoundedOutput) -> None:
    if stream is None:
        return
    while chunk := await stream.read(CHUNK):
        sink.write(chunk)


def describe(returncode: int, stop: OutcomeKind | None, timeout: float | None) -> Outcome:
    """Exit status -> (exit_code, human error). Signals are negative exit codes."""
    if stop is OutcomeKind.TIMED_OUT:
        return Outcome(returncode, f"timed out after {timeout or 0:g}s")
    if stop is not None:
        return Outcome(returncode, STOP_ERRORS[stop])
    if returncode == 0:
        return Outcome(0, None)
    if returncode == 127:
        return Outcome(127, "command not found")
    if returncode == 126:
        return Outcome(126, "command not executable (exit 126)")
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return Outcome(returncode, f"killed by {name}")
    return Outcome(returncode, f"exit {returncode}")


async def _settle(execution: Execution, pumps: list[asyncio.Task[None]]) -> None:
    """After the shell's exit: kill what it left behind and finish reading, never waiting long."""
    # A stopped or timed-out attempt also loses what left the group: nothing of it survives.
    if execution.stop is not None:
        execution.signal_tree(signal.SIGKILL)
    if not all(pump.done() for pump in pumps):
        await asyncio.wait(pumps, timeout=PIPE_GRACE)
    # Whatever the shell left behind in its group dies with it; we never wait on their pipes.
    execution.signal_group(signal.SIGKILL)
    if not all(pump.done() for pump in pumps):
        await asyncio.wait(pumps, timeout=PIPE_GRACE)
    if not all(pump.done() for pump in pumps):
        # A process that left the group (setsid) still holds a pipe: stop reading it.
        for pump in pumps:
            pump.cancel()


async def execute(execution: Execution, reaper: Reaper | None) -> Outcome:
    """Run the job's command to the end (or its timeout, or a kill) and describe how it ended."""
    job = execution.job
    # Bytes: os.environb is the live environment without decoding every variable per job
    # (os.environ decodes them all, then Popen encodes them again: ~60 us a job).
    env = {
        **os.environb,
        **{os.fsencode(name): os.fsencode(value) for name, value in job.env.items()},
        b"QUEUECTL_JOB_ID": os.fsencode(job.id),
        b"QUEUECTL_ATTEMPT": b"%d" % job.attempts,
    }
    execution.tags = (tag("QUEUECTL_JOB_ID", job.id),)
    if reaper is not None:
        env[TAG_NAME.encode()] = os.fsencode(reaper.tag)
        execution.tags += (tag(TAG_NAME, reaper.tag),)
    loop = asyncio.get_running_loop()
    try:
        transport, protocol = await loop.subprocess_exec(
            lambda: _Protocol(loop),
            "/bin/sh",
            "-c",
            job.command,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
            env=env,
            cwd=job.cwd,
        )
    except OSError as exc:
        execution.done.set()
        where = f" (cwd {job.cwd})" if job.cwd else ""
        return Outcome(None, f"cannot start: {exc.strerror or exc}{where}")
    process = asyncio.subprocess.Process(transport, protocol, loop)
    execution.process = process
    pumps = [
        asyncio.ensure_future(_pump(process.stdout, execution.stdout)),
        asyncio.ensure_future(_pump(process.stderr, execution.stderr)),
    ]
    if execution.stop is not None:  # killed before it even started
        execution.kill(execution.stop)
    try:
        if job.timeout is None:
            await protocol.exited
        else:
            await asyncio.wait_for(asyncio.shield(protocol.exited), job.timeout)
    except TimeoutError:
        if execution.stop is None:
            execution.stop = OutcomeKind.TIMED_OUT
        execution.signal_tree(signal.SIGTERM)
        try:
            await asyncio.wait_for(asyncio.shield(protocol.exited), KILL_GRACE)
        except TimeoutError:
            execution.signal_tree(signal.SIGKILL)
            await protocol.exited
    finally:
        await _settle(execution, pumps)
        transport.close()
        execution.done.set()
    returncode = transport.get_returncode()
    assert returncode is not None
    outcome = describe(returncode, execution.stop, job.timeout)
    return Outcome(
        outcome.exit_code, outcome.error, execution.stdout.text(), execution.stderr.text()
    )
