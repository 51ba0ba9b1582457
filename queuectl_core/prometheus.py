"""Prometheus exposition with the official client: a Collector that reads the store per scrape.

Nothing is kept in this process's memory: gauges are read from the jobs and workers, counters
from the store's ``counters`` table, which the store's triggers bump in the transaction that
finishes a job or an attempt, and which never goes down (purge and retention delete jobs, not
counts). So the figures survive restarts and agree between any number of exporters.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Iterator

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector, CollectorRegistry

from queuectl_core.errors import QueueError
from queuectl_core.models import JobState
from queuectl_core.processes import DURATION_BUCKETS, Figures

#: Finished outcomes always reported (0 until the first one), per queue.
OUTCOMES = ("completed", "dead", "cancelled")
LOOPBACK = ("127.0.0.1", "::1", "localhost")
log = logging.getLogger("queuectl.metrics")


class StoreCollector(Collector):
    """Reads ``Figures`` through ``read`` on every scrape (``read`` opens the store itself)."""

    def __init__(self, read: Callable[[], Figures]) -> None:
        self._read = read
        self._lock = threading.Lock()

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("queuectl_store_up", "1 when the last scrape could read the store.")
        try:
            with self._lock:  # one store read at a time, however many scrapers
                figures = self._read()
        except QueueError as exc:
            log.warning("scrape failed: %s", exc)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        queues = sorted({q for q, _ in figures.jobs} | {q for _, q, _ in figures.counters})
        yield _jobs(figures, queues)
        yield _finished(figures, queues)
        workers = GaugeMetricFamily("queuectl_workers", "Live worker processes.")
        workers.add_metric([], figures.workers)
        yield workers
        oldest = GaugeMetricFamily(
            "queuectl_oldest_pending_seconds",
            "How long the oldest due pending job of each queue has waited (0 when none).",
            labels=["queue"],
        )
        for queue in queues:
            due = figures.oldest_due.get(queue)
            oldest.add_metric([queue], 0.0 if due is None else max(0.0, figures.now - due))
        yield oldest
        yield _durations(figures, queues)


def _jobs(figures: Figures, queues: list[str]) -> GaugeMetricFamily:
    family = GaugeMetricFamily(
        "queuectl_jobs", "Jobs by queue and state.", labels=["queue", "state"]
    )
    for queue in queues:
        for state in JobState:
            family.add_metric([queue, str(state)], figures.jobs.get((queue, str(state)), 0))
    return family


def _finished(figures: Figures, queues: list[str]) -> CounterMetricFamily:
    family = CounterMetricFamily(
        "queuectl_jobs_finished",
        "Jobs that reached a final state (completed, dead, cancelled), by queue and outcome.",
        labels=["queue", "outcome"],
    )
    for queue in queues:
        for outcome in OUTCOMES:
            family.add_metric(
                [queue, outcome], figures.counters.get(("finished", queue, outcome), 0)
            )
    return family


def _durations(figures: Figures, queues: list[str]) -> HistogramMetricFamily:
    family = HistogramMetricFamily(
        "queuectl_attempt_duration_seconds",
        "Durations of finished attempts, by queue.",
        labels=["queue"],
    )
    for queue in queues:
        counts = {
            _bound(label): n
            for (name, q, label), n in figures.counters.items()
            if name == "attempt_bucket" and q == queue
        }
        bounds = sorted(set(DURATION_BUCKETS) | {b for b in counts if math.isfinite(b)})
        running, buckets = 0.0, []
        for bound in [*bounds, math.inf]:
            running += counts.get(bound, 0)
            buckets.append(("+Inf" if bound == math.inf else f"{bound:g}", running))
        total = figures.counters.get(("attempt_seconds", queue, ""), 0.0)
        family.add_metric([queue], buckets, sum_value=total)
    return family


def _bound(label: str) -> float:
    try:
        return float(label)
    except ValueError:
        return math.inf


def registry_for(read: Callable[[], Figures]) -> CollectorRegistry:
    """A registry holding only queuectl's collector (no process metrics of the exporter)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StoreCollector(read))
    return registry


def exposition(read: Callable[[], Figures]) -> str:
    """The text format of one scrape."""
    from prometheus_client import generate_latest

    return generate_latest(registry_for(read)).decode()
