"""``queuectl worker start`` as a supervisor: it outlives its worker and records what finished.

The process the user started forks the worker and becomes a child subreaper
(``PR_SET_CHILD_SUBREAPER``), so when the worker dies its commands are re-parented here instead
of to init. The worker keeps every exited command a zombie until its result is committed
(``waitid(..., WNOWAIT)``, then ``Child.reap``) and journals ``pid job run`` at each spawn and
``-pid`` at each reap through a pipe. When the worker is SIGKILLed (or OOM-killed), the zombies
of commands that had already exited arrive here with their real exit status and are recorded;
commands still running die with the worker (the reaper kills them) and arrive killed by SIGKILL:
their outcome is unknown, and they are left to recovery ("worker lost") and retried.

Nothing per job is done here beyond reading the journal every few tens of milliseconds.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import os
import select
import signal
import time
from collections.abc import Iterable
from dataclasses import dataclass

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
JOURNAL_PIPE_SIZE = 1 << 20
READ_PAUSE = 0.02  # seconds between journal reads: batches the worker's writes
#: Stop signals reach the worker only through the supervisor, as these: the worker ignores its
#: own SIGINT/SIGTERM, so a signal sent to both processes counts once.
FORWARDED_AS = {signal.SIGUSR1: signal.SIGINT, signal.SIGUSR2: signal.SIGTERM}
FORWARD = {
    signal.SIGINT: signal.SIGUSR1,
    signal.SIGTERM: signal.SIGUSR2,
    signal.SIGHUP: signal.SIGHUP,
    signal.SIGCONT: signal.SIGCONT,
}
SETTLE = 5.0  # seconds to wait for running commands to die after the worker


@dataclass(frozen=True, slots=True)
class Exited:
    """A command of the dead worker that ended by itself: its result can be recorded."""

    job_id: str
    run: int
    returncode: int


class Journal:
    """The worker's end: ``pid job run`` at spawn, ``-pid`` once the result is committed."""

    def __init__(self, fd: int | None) -> None:
        self._fd = fd

    def spawned(self, pid: int, job_id: str, run: int) -> None:
        self._write(b"%d %s %d\n" % (pid, os.fsencode(job_id), run))

    def reaped(self, pids: Iterable[int]) -> None:
        """One write for a whole committed batch."""
        self._write(b"".join(b"-%d\n" % pid for pid in pids))

    def _write(self, line: bytes) -> None:
        # Never block the worker: if the supervisor is stopped and the pipe full, the entry is
        # lost and that command falls back to at-least-once (retried if its worker dies).
        if self._fd is not None:
            with contextlib.suppress(BlockingIOError):
                os.write(self._fd, line)


def _prctl(option: int, value: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(option, value, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl failed")


def _apply(entries: dict[int, tuple[str, int]], data: bytes) -> None:
    for line in data.splitlines():
        fields = line.split()
        if len(fields) == 1 and fields[0].startswith(b"-"):
            entries.pop(int(fields[0][1:]), None)
        elif len(fields) == 3:
            entries[int(fields[0])] = (os.fsdecode(fields[1]), int(fields[2]))


def _returncode(status: os.waitid_result) -> int:
    return status.si_status if status.si_code == os.CLD_EXITED else -status.si_status


class Supervisor:
    """Forks the worker, then collects what its commands left when it dies."""

    def __init__(self, worker_id: str) -> None:
        self.worker_id = worker_id
        self.journal: Journal | None = None
        self.pid = os.getpid()
        self.worker_pid = 0
        self.entries: dict[int, tuple[str, int]] = {}
        self.exited: list[Exited] = []
        self.lost: list[tuple[str, int]] = []
        self._journal = -1

    def fork(self) -> bool:
        """True in the new worker process (``journal`` is its end); False in the supervisor."""
        _prctl(PR_SET_CHILD_SUBREAPER, 1)
        read_end, write_end = os.pipe()
        with contextlib.suppress(OSError):
            fcntl.fcntl(write_end, fcntl.F_SETPIPE_SZ, JOURNAL_PIPE_SIZE)
        pid = os.fork()
        if pid == 0:  # the worker
            os.close(read_end)
            os.set_blocking(write_end, False)
            os.setpgid(0, 0)  # signals reach it once, forwarded by the supervisor
            _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
            if os.getppid() != self.pid:  # the supervisor died before the line above
                os._exit(1)
            self.journal = Journal(write_end)
            return True
        os.close(write_end)
        self.worker_pid = pid
        self._journal = read_end
        for signum in FORWARD:
            signal.signal(signum, self._forward)
        signal.signal(signal.SIGTSTP, self._suspend)
        return False

    def wait(self) -> int:
        """Until the worker is gone; its exit status (128 + signal if killed)."""
        status = self._follow(self._journal)
        os.close(self._journal)
        self._settle()
        return status

    def _forward(self, signum: int, _frame: object) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.worker_pid, FORWARD[signal.Signals(signum)])

    def _suspend(self, _signum: int, _frame: object) -> None:
        """Ctrl+Z: stop the worker too; SIGCONT (forwarded) resumes both."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.worker_pid, signal.SIGSTOP)
        os.kill(os.getpid(), signal.SIGSTOP)

    def _follow(self, journal: int) -> int:
        """Read the journal and reap orphans until the worker is gone; its exit status."""
        status: int | None = None
        # The pause between reads ends early when the worker exits: a sleep would add up to
        # READ_PAUSE to every ``worker start --drain``.
        worker = os.pidfd_open(self.worker_pid)
        try:
            while status is None:
                data = os.read(journal, JOURNAL_PIPE_SIZE)
                _apply(self.entries, data)
                status = self._reap_all()
                if not data and status is None:  # the worker closed the journal: it is exiting
                    _, raw = os.waitpid(self.worker_pid, 0)
                    status = os.waitstatus_to_exitcode(raw)
                if status is None:
                    select.select([worker], [], [], READ_PAUSE)
        finally:
            os.close(worker)
        _apply(self.entries, _drain(journal))
        return status if status >= 0 else 128 - status

    def _reap_all(self) -> int | None:
        """Reap every zombie child now; the worker's exit code if it was among them."""
        worker = None
        while True:
            try:
                found = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG)
            except ChildProcessError:
                return worker
            if found is None:
                return worker
            if found.si_pid == self.worker_pid:
                worker = _returncode(found)
            else:
                self._collect(found.si_pid, _returncode(found))

    def _collect(self, pid: int, code: int) -> None:
        entry = self.entries.pop(pid, None)
        if entry is None:
            return  # an orphaned grandchild, or a command whose result is already committed
        if code == -signal.SIGKILL:  # killed with its worker: the outcome is unknown
            self.lost.append(entry)
        else:
            self.exited.append(Exited(entry[0], entry[1], code))

    def _settle(self) -> None:
        """Wait (briefly) for the dead worker's running commands to die, reaping them."""
        deadline = time.monotonic() + SETTLE
        self._reap_all()
        self._forget_strangers()
        while self.entries and time.monotonic() < deadline:
            time.sleep(0.01)
            self._reap_all()
        self._forget_strangers()
        for pid in list(self.entries):  # still alive: the reaper is gone too
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
        self._reap_all()

    def _forget_strangers(self) -> None:
        """Drop entries that are not (or no longer) our children: reaped by the worker before it
        could journal it, so the pid may belong to someone else now. Never signal those."""
        for pid in list(self.entries):
            try:
                os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
            except ChildProcessError:
                del self.entries[pid]


def _drain(fd: int) -> bytes:
    os.set_blocking(fd, False)
    chunks = []
    with contextlib.suppress(BlockingIOError):
        while chunk := os.read(fd, JOURNAL_PIPE_SIZE):
            chunks.append(chunk)
    return b"".join(chunks)
