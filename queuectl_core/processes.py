"""Value types of the process view, operator signals and Prometheus figures. No I/O here."""

from __future__ import annotations

import enum
import signal
from dataclasses import dataclass

from queuectl_core.errors import InvalidInput
from queuectl_core.moments import iso


class JobSignal(enum.StrEnum):
    """The signals an operator may send to a running job's process group."""

    TERM = "TERM"
    INT = "INT"
    HUP = "HUP"
    USR1 = "USR1"
    USR2 = "USR2"
    STOP = "STOP"
    CONT = "CONT"
    KILL = "KILL"

    @property
    def number(self) -> int:
        return int(getattr(signal, f"SIG{self.value}"))

    @property
    def full_name(self) -> str:
        return f"SIG{self.value}"


#: Signals the console asks to confirm: they end the job.
ENDING_SIGNALS = (JobSignal.TERM, JobSignal.KILL)


def parse_signal(text: str) -> JobSignal:
    """``stop``, ``SIGSTOP``, ``SigStop`` -> JobSignal.STOP; anything else is InvalidInput."""
    name = text.strip().upper().removeprefix("SIG")
    try:
        return JobSignal(name)
    except ValueError:
        allowed = ", ".join(s.value for s in JobSignal)
        raise InvalidInput(f"signal must be one of {allowed}, got {text!r}") from None


@dataclass(frozen=True, slots=True)
class ProcessSample:
    """One running job's process group, as its worker measured it."""

    job_id: str
    run: int
    pid: int
    processes: int
    cpu_percent: float
    rss_bytes: int
    sampled_at: float


@dataclass(frozen=True, slots=True)
class RunningJob:
    """A row of ``queuectl top``: a processing job and its latest sample (None before one)."""

    id: str
    queue: str
    command: str
    worker: str | None
    host: str | None
    started_at: float | None
    timeout: float | None
    sample: ProcessSample | None


@dataclass(frozen=True, slots=True)
class SignalRequest:
    """An operator's signal for one run of a job, waiting for its worker."""

    id: int
    job_id: str
    run: int
    signal: JobSignal


@dataclass(frozen=True, slots=True)
class SignalAck:
    """What the worker did with a request: delivered (``error`` None) or why not."""

    id: int
    error: str | None


@dataclass(frozen=True, slots=True)
class SignalStatus:
    """Where a request stands: ``acked`` once its worker answered; ``running`` while the job
    still runs the attempt the request was made for."""

    acked: bool
    error: str | None
    running: bool


@dataclass(frozen=True, slots=True)
class Figures:
    """Everything a Prometheus scrape reports, read in one snapshot of the store."""

    now: float
    #: (queue, state) -> jobs
    jobs: dict[tuple[str, str], int]
    #: queue -> run_at of its oldest due pending job
    oldest_due: dict[str, float]
    workers: int
    #: (name, queue, label) -> value of the counters the store maintains
    counters: dict[tuple[str, str, str], float]


#: Upper bounds (seconds) of the attempt duration histogram's buckets; "+Inf" is implied.
DURATION_BUCKETS = (0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0)


def top_dict(job: RunningJob, now: float) -> dict[str, object]:
    """A ``queuectl top --json`` entry; figures are null until the worker's first sample."""
    sample = job.sample
    elapsed = None if job.started_at is None else max(0.0, now - job.started_at)
    left = None
    if job.timeout is not None and elapsed is not None:
        left = round(max(0.0, job.timeout - elapsed), 3)
    return {
        "id": job.id,
        "queue": job.queue,
        "worker": job.worker,
        "host": job.host,
        "pid": None if sample is None else sample.pid,
        "processes": None if sample is None else sample.processes,
        "cpu_percent": None if sample is None else round(sample.cpu_percent, 1),
        "rss_bytes": None if sample is None else sample.rss_bytes,
        "elapsed": None if elapsed is None else round(elapsed, 3),
        "timeout_left": left,
        "sampled_at": None if sample is None else iso(sample.sampled_at),
        "command": job.command,
    }


def human_bytes(value: int | None) -> str:
    """``7151616`` -> ``6.8M`` (binary units, as top prints them)."""
    if value is None:
        return "-"
    amount = float(value)
    for unit in ("B", "K", "M", "G", "T"):
        if amount < 1024 or unit == "T":
            return f"{amount:.0f}{unit}" if unit == "B" else f"{amount:.1f}{unit}"
        amount /= 1024
    return f"{amount:.1f}T"


def human_seconds(value: float | None) -> str:
    """``3725.2`` -> ``1h02m05s``; ``42.5`` -> ``42.5s``."""
    if value is None:
        return "-"
    if value < 60:
        return f"{value:.1f}s"
    whole = int(value)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s"
