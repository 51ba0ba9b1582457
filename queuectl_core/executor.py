"""Run one command: its own session, bounded capture, timeout and kill of the whole tree."""

from __future__ import annotations

import asyncio
import os
import signal
from dataclasses import dataclass, field

from queuectl_core.child import Child
from queuectl_core.lifecycle import STOP_ERRORS, OutcomeKind, previous_outcome_unknown
from queuectl_core.models import Job, Outcome
from queuectl_core.output import BoundedOutput
from queuectl_core.reaper import TAG_NAME, kill_tagged, tag
from queuectl_core.supervisor import Journal

KILL_GRACE = 2.0  # seconds between SIGTERM and SIGKILL
PIPE_GRACE = 0.2  # how long to keep reading after the shell exits (grandchildren may hold pipes)
#: With a working directory the shell changes into it first (posix_spawn has no chdir action).
CD_THEN_RUN = 'cd -- "$QUEUECTL_CWD" || exit 126\nunset QUEUECTL_CWD\n'


class Environment:
    """The worker's environment, encoded once; each job adds its own variables to a copy."""

    def __init__(self, reaper_tag: str | None) -> None:
        """``reaper_tag``: the worker id a reaper watches for (None: no reaper)."""
        # Bytes: os.environ would decode every variable, and posix_spawn encode it again.
        self.base = dict(os.environb)
        self.tags: tuple[bytes, ...] = ()
        if reaper_tag is not None:
            self.base[TAG_NAME.encode()] = os.fsencode(reaper_tag)
            self.tags = (tag(TAG_NAME, reaper_tag),)

    def for_job(self, job: Job) -> dict[bytes, bytes]:
        env = self.base.copy()
        for name, value in job.env.items():
            env[os.fsencode(name)] = os.fsencode(value)
        env[b"QUEUECTL_JOB_ID"] = os.fsencode(job.id)
        env[b"QUEUECTL_ATTEMPT"] = b"%d" % job.attempts
        if previous_outcome_unknown(job.last_error):
            env[b"QUEUECTL_PREVIOUS_OUTCOME"] = b"lost"
        if job.cwd:
            env[b"QUEUECTL_CWD"] = os.fsencode(job.cwd)
        return env


@dataclass
class Execution:
    """A command in flight: its captured output and, once started, its process."""

    job: Job
    stdout: BoundedOutput
    stderr: BoundedOutput
    child: Child | None = None
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
        if self.child is not None and self.child.running:
            self.signal_tree(signal.SIGTERM)
            asyncio.get_running_loop().call_later(KILL_GRACE, self._force)

    def _force(self) -> None:
        if self.child is not None and not self.done.is_set():
            self.signal_tree(signal.SIGKILL)

    def signal_tree(self, signum: int) -> None:
        """Signal the command's process group and every process carrying this attempt's tags.

        The /proc scan costs a few milliseconds, so it is done only when the attempt is stopped
        from outside or times out, never on the normal exit path.
        """
        if self.child is not None:
            self.child.signal_group(signum)
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

    def _time_out(self) -> None:
        if self.stop is None:
            self.stop = OutcomeKind.TIMED_OUT
        self.kill(self.stop)


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


async def _settle(execution: Execution, child: Child) -> None:
    """After the shell's exit: kill what it left behind and finish reading, never waiting long."""
    # A stopped or timed-out attempt also loses what left the group: nothing of it survives.
    if execution.stop is not None:
        execution.signal_tree(signal.SIGKILL)
    if not child.drained.done():
        await asyncio.wait([child.drained], timeout=PIPE_GRACE)
    # Whatever the shell left behind in its group dies with it; we never wait on their pipes.
    child.signal_group(signal.SIGKILL)
    if not child.drained.done():
        await asyncio.wait([child.drained], timeout=PIPE_GRACE)
    # A process that left the group (setsid) may still hold a pipe: stop reading it.
    child.stop_reading()


def _start(execution: Execution, env: Environment) -> Child:
    job = execution.job
    if job.cwd and not os.path.isdir(job.cwd):
        raise FileNotFoundError(2, os.strerror(2), job.cwd)
    command = CD_THEN_RUN + job.command if job.cwd else job.command
    execution.tags = (tag("QUEUECTL_JOB_ID", job.id), *env.tags)
    return Child.spawn(command, env.for_job(job), execution.stdout.write, execution.stderr.write)


async def execute(
    execution: Execution, env: Environment, journal: Journal | None = None
) -> Outcome:
    """Run the job's command to the end (or its timeout, or a kill) and describe how it ended.

    The command stays a zombie until ``execution.child.reap()``: the worker reaps it once the
    result is committed, so a supervisor can still read its exit status if the worker dies first.
    """
    job = execution.job
    try:
        child = _start(execution, env)
    except OSError as exc:
        execution.done.set()
        where = f" (cwd {job.cwd})" if job.cwd else ""
        return Outcome(None, f"cannot start: {exc.strerror or exc}{where}")
    execution.child = child
    if journal is not None:
        journal.spawned(child.pid, job.id, job.runs)
    if execution.stop is not None:  # killed before it even started
        execution.kill(execution.stop)
    loop = asyncio.get_running_loop()
    timer = None if job.timeout is None else loop.call_later(job.timeout, execution._time_out)
    try:
        returncode = await child.exited
        await _settle(execution, child)
    except BaseException:
        child.reap()
        raise
    finally:
        if timer is not None:
            timer.cancel()
        execution.done.set()
    outcome = describe(returncode, execution.stop, job.timeout)
    return Outcome(
        outcome.exit_code, outcome.error, execution.stdout.text(), execution.stderr.text()
    )
