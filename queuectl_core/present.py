"""How the CLI and the console say times, durations, signals and worker liveness.

One definition of each, shared by ``queuectl`` and ``queuectl-tui``. Plain strings only: the
core never imports textual or rich (the console wraps these in its own styled text).
"""

from __future__ import annotations

import json
import math
import shlex
import signal
from datetime import UTC, datetime

from queuectl_core.models import Job, WorkerInfo

#: Beyond this a duration is shown as ``>9999y`` (stored values are not trusted to be sane).
_YEAR = 365 * 86400
_LONGEST = 10_000 * _YEAR


def span(seconds: float, *, up: bool = False, exact: bool = False) -> str:
    """Compact duration: 4s, 20s, 2m, 3h, 5d, 7y; total over every float (``?`` when unknowable).

    From 10 s to a minute the console moves in 10 s steps (down, or ``up`` for countdowns): a
    per-second "54s ago" rewrote cells of an idle console every second for no decision anyone
    makes on it. ``exact`` (the CLI's one-shot output) keeps the seconds.
    """
    if math.isnan(seconds):
        return "?"
    if seconds >= _LONGEST:
        return ">9999y"
    seconds = int(max(0.0, seconds))
    if seconds < 10 or (exact and seconds < 60):
        return f"{seconds}s"
    step = -(-seconds // 10) * 10 if up else seconds // 10 * 10
    if step < 60:
        return f"{step}s"
    seconds = max(seconds, step)
    for size, unit in ((_YEAR, "y"), (86400, "d"), (3600, "h")):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds // 60}m"


def relative(moment: float | None, now: float, *, exact: bool = False) -> str:
    """``in 4s`` for the future, ``2m ago`` for the past, empty for unknown.

    The console counts a moment within half a second as now and rounds countdowns up (so
    "in 50s" never promises more than it keeps); ``exact`` (the CLI) prints whole seconds.
    """
    if moment is None:
        return ""
    if exact:
        delta = now - moment
        return f"{span(delta, exact=True)} ago" if delta >= 0 else f"in {span(-delta, exact=True)}"
    if moment > now + 0.5:
        return f"in {span(moment - now + 0.999, up=True)}"
    return f"{span(now - moment)} ago"


def timestamp(moment: float) -> str:
    """UTC date and time; a moment no calendar can name is shown as raw epoch seconds."""
    try:
        return datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    except (ValueError, OverflowError, OSError):
        return f"epoch {moment:g}"


def duration(start: float | None, end: float | None, now: float) -> str:
    """Run time of an attempt (still running: up to now)."""
    if start is None:
        return ""
    seconds = (end if end is not None else now) - start
    if seconds < 10:
        return f"{max(0.0, seconds):.1f}s"
    return span(seconds)


def signal_name(signum: int) -> str:
    """``SIGTERM``; a number no signal has is shown as ``signal 99``."""
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def exit_text(code: int | None) -> str:
    """Exit code, or the signal name when a signal ended the process (negative codes)."""
    if code is None:
        return ""
    return signal_name(-code) if code < 0 else str(code)


def thousands(number: int) -> str:
    return f"{number:,}"


def heartbeat_live(worker: WorkerInfo, now: float, lease_timeout: float) -> bool:
    """A live worker: it heartbeat within the lease (past that its jobs are recovered)."""
    return now - worker.heartbeat_at <= lease_timeout


def enqueue_command(job: Job) -> str:
    """A ``queuectl enqueue`` line that makes a job like ``job`` (a new id; no schedule or
    dependencies): what the console's ``Y`` copies."""
    spec: dict[str, object] = {"command": job.command}
    if job.queue != "default":
        spec["queue"] = job.queue
    if job.priority:
        spec["priority"] = job.priority
    spec["max_retries"] = job.max_retries
    if job.timeout is not None:
        spec["timeout"] = job.timeout
    if job.env:
        spec["env"] = job.env
    if job.cwd:
        spec["cwd"] = job.cwd
    return "queuectl enqueue " + shlex.quote(json.dumps(spec, ensure_ascii=False))
