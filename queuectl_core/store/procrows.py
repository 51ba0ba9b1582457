"""Rows of the process view and the Prometheus figures as models; shared by both backends.

Samples travel as one JSON object per worker (``workers.processes``): job id -> its latest
sample. Whatever a row holds, reading it never fails: a malformed sample reads as no sample.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from queuectl_core.moments import integer, moment, seconds, text
from queuectl_core.processes import (
    Figures,
    JobSignal,
    ProcessSample,
    RunningJob,
    SignalRequest,
    SignalStatus,
)

#: Answered or stale signal requests are kept this long (seconds), then deleted.
SIGNAL_MEMORY = 86400.0


def samples_json(samples: Sequence[ProcessSample]) -> str:
    """A worker's samples as it publishes them."""
    return json.dumps(
        {
            s.job_id: [
                s.run,
                s.pid,
                s.processes,
                round(s.cpu_percent, 1),
                s.rss_bytes,
                s.sampled_at,
            ]
            for s in samples
        }
    )


def _samples(value: object) -> dict[str, Any]:
    try:
        parsed = json.loads(text(value) or "{}")
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _sample(job_id: str, run: int | None, raw: object) -> ProcessSample | None:
    if not isinstance(raw, list) or len(raw) != 6:
        return None
    sample_run, pid, processes, rss = (integer(v) for v in (raw[0], raw[1], raw[2], raw[4]))
    cpu, sampled_at = seconds(raw[3]), moment(raw[5])
    if sample_run != run or None in (pid, processes, rss, cpu, sampled_at):
        return None  # another run's sample, or not one at all
    return ProcessSample(job_id, run, pid, processes, cpu, rss, sampled_at)  # type: ignore[arg-type]


def running_from_rows(
    rows: Iterable[Sequence[Any]], workers: Iterable[Sequence[Any]]
) -> list[RunningJob]:
    """Jobs (id, queue, command, worker, started_at, timeout, runs) with the samples of
    workers (id, host, processes json)."""
    hosts: dict[str | None, str | None] = {}
    blobs: dict[str | None, object] = {}
    for worker_id, host, blob in workers:
        hosts[text(worker_id)] = text(host)
        blobs[text(worker_id)] = blob
    parsed: dict[str | None, dict[str, Any]] = {}
    found = []
    for row in rows:
        job_id, worker = text(row[0]) or "", text(row[3])
        if worker not in parsed:
            parsed[worker] = _samples(blobs.get(worker))
        sample = _sample(job_id, integer(row[6]), parsed[worker].get(job_id))
        timeout = seconds(row[5])
        found.append(
            RunningJob(
                job_id,
                text(row[1]) or "",
                text(row[2]) or "",
                worker,
                hosts.get(worker),
                moment(row[4]),
                timeout if timeout is not None and timeout > 0 else None,
                sample,
            )
        )
    return found


def request_from_row(row: Sequence[Any]) -> SignalRequest | None:
    try:
        signal = JobSignal(text(row[3]) or "")
    except ValueError:
        return None
    return SignalRequest(integer(row[0]) or 0, text(row[1]) or "", integer(row[2]) or 0, signal)


def status_from_row(row: Sequence[Any] | None) -> SignalStatus:
    if row is None:  # forgotten: it can no longer be delivered
        return SignalStatus(True, "the request was withdrawn", False)
    return SignalStatus(row[0] is not None, text(row[1]), bool(row[2]))


def figures_from_rows(
    now: float,
    jobs: Iterable[Sequence[Any]],
    oldest: Iterable[Sequence[Any]],
    workers: object,
    counters: Iterable[Sequence[Any]],
) -> Figures:
    job_counts = {(text(q) or "", text(s) or ""): integer(n) or 0 for q, s, n in jobs}
    oldest_due = {}
    for queue, run_at in oldest:
        value = moment(run_at)
        if value is not None:
            oldest_due[text(queue) or ""] = value
    values = {}
    for name, queue, label, n in counters:
        value = seconds(n)
        if value is not None:
            values[(text(name) or "", text(queue) or "", text(label) or "")] = value
    return Figures(now, job_counts, oldest_due, integer(workers) or 0, values)
