"""Turn raw rows into ``Metrics``; shared by the backends so both compute the same figures."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from queuectl_core.models import JobState, Metrics
from queuectl_core.moments import integer_or, seconds
from queuectl_core.store.rows import percentile


def build_metrics(
    counts: Mapping[str, int],
    durations: Sequence[object],
    finished_last_hour: Sequence[object],
    now: float,
) -> Metrics:
    """``durations``: recent successful attempts; ``finished_last_hour``: completion times."""
    all_counts = {str(s): integer_or(counts.get(str(s), 0)) for s in JobState}
    done = all_counts["completed"] + all_counts["dead"]
    # Raw column arithmetic: a hand-edited row can yield NULL, text or infinities here.
    ordered = sorted(max(0.0, d) for d in map(seconds, durations) if d is not None)
    buckets = [0] * 60
    for finished in map(seconds, finished_last_hour):
        if finished is None:
            continue
        age = int((now - finished) // 60)
        if 0 <= age < 60:
            buckets[59 - age] += 1
    return Metrics(
        counts=all_counts,
        success_rate=(all_counts["completed"] / done) if done else None,
        duration_mean=(sum(ordered) / len(ordered)) if ordered else None,
        duration_p50=percentile(ordered, 0.5),
        duration_p95=percentile(ordered, 0.95),
        completed_last_minute=buckets[-1],
        completed_last_hour=sum(buckets),
        throughput_per_minute=sum(buckets) / 60.0,
        per_minute_last_hour=buckets,
    )
