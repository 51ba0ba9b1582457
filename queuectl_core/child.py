"""A child process driven by the event loop, without asyncio's subprocess machinery.

``os.posix_spawn`` (vfork speed; a new session and the pipes set up by file actions) starts the
shell; its exit is learned through a pidfd registered with ``loop.add_reader`` and its pipes are
read with ``add_reader`` too: no child-watcher thread, no transport, no protocol objects. The exit
status is read with ``WNOWAIT``, so the process stays a zombie until ``reap``: its pid and process
group cannot be reused while the executor still signals them.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Callable, Mapping

SHELL = "/bin/sh"
CHUNK = 65536
#: Python ignores SIGPIPE and SIGXFSZ; a command must start with the default handlers.
RESET_SIGNALS = (signal.SIGPIPE, signal.SIGXFSZ)

Sink = Callable[[bytes], None]


class Child:
    """A spawned shell: ``exited`` resolves to its return code, ``drained`` when both pipes end."""

    def __init__(self, pid: int, pidfd: int, pipes: list[tuple[int, Sink]]) -> None:
        self.pid = pid
        self._pidfd = pidfd
        self._loop = asyncio.get_running_loop()
        self.exited: asyncio.Future[int] = self._loop.create_future()
        self.drained: asyncio.Future[None] = self._loop.create_future()
        self._open = {fd for fd, _ in pipes}
        self._reaped = False
        self._loop.add_reader(pidfd, self._on_exit)
        for fd, sink in pipes:
            self._loop.add_reader(fd, self._on_readable, fd, sink)

    @classmethod
    def spawn(cls, command: str, env: Mapping[bytes, bytes], stdout: Sink, stderr: Sink) -> Child:
        """Start ``/bin/sh -c command`` in a new session, stdin from /dev/null, output piped."""
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        try:
            pid = os.posix_spawn(
                SHELL,
                [SHELL, "-c", command],
                env,
                file_actions=[
                    (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                    (os.POSIX_SPAWN_DUP2, out_w, 1),
                    (os.POSIX_SPAWN_DUP2, err_w, 2),
                ],
                setsid=True,
                setsigdef=RESET_SIGNALS,
            )
        except BaseException:
            for fd in (out_r, err_r):
                os.close(fd)
            raise
        finally:
            os.close(out_w)
            os.close(err_w)
        os.set_blocking(out_r, False)
        os.set_blocking(err_r, False)
        return cls(pid, os.pidfd_open(pid), [(out_r, stdout), (err_r, stderr)])

    @property
    def running(self) -> bool:
        return not self.exited.done()

    def _on_exit(self) -> None:
        self._loop.remove_reader(self._pidfd)
        status = os.waitid(os.P_PIDFD, self._pidfd, os.WEXITED | os.WNOWAIT)
        if status is None:  # not exited after all (cannot happen for a readable pidfd)
            self._loop.add_reader(self._pidfd, self._on_exit)
            return
        code = status.si_status if status.si_code == os.CLD_EXITED else -status.si_status
        if not self.exited.done():
            self.exited.set_result(code)

    def _on_readable(self, fd: int, sink: Sink) -> None:
        try:
            data = os.read(fd, CHUNK)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if data:
            sink(data)
        else:
            self._close(fd)

    def _close(self, fd: int) -> None:
        self._loop.remove_reader(fd)
        os.close(fd)
        self._open.discard(fd)
        if not self._open and not self.drained.done():
            self.drained.set_result(None)

    def stop_reading(self) -> None:
        """Give up on the pipes (a process that left the group still holds them)."""
        for fd in list(self._open):
            self._close(fd)

    def signal_group(self, signum: int) -> None:
        """Signal the process group (safe until ``reap``: the zombie keeps the group id taken)."""
        if not self._reaped:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, signum)

    def reap(self) -> None:
        """Collect the zombie and release the pidfd; the pid may be reused from now on."""
        if self._reaped:
            return
        if self.running:  # only on an error path: never block on a live command
            self.signal_group(signal.SIGKILL)
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
        self._reaped = True
        self._loop.remove_reader(self._pidfd)
        with contextlib.suppress(ChildProcessError):
            os.waitid(os.P_PIDFD, self._pidfd, os.WEXITED)
        os.close(self._pidfd)
        self.stop_reading()
