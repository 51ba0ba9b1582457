"""Signal names, top rows and the Prometheus collector, without a store."""

from __future__ import annotations

import signal

import pytest
from prometheus_client.parser import text_string_to_metric_families

from queuectl_core.errors import InvalidInput, StoreUnavailable
from queuectl_core.processes import (
    Figures,
    JobSignal,
    ProcessSample,
    RunningJob,
    human_bytes,
    human_seconds,
    parse_signal,
    top_dict,
)
from queuectl_core.prometheus import exposition


@pytest.mark.parametrize(
    ("text", "expected"),
    [("TERM", JobSignal.TERM), ("sigstop", JobSignal.STOP), (" SigCont ", JobSignal.CONT)],
)
def test_signal_names_take_any_case_with_or_without_sig(text: str, expected: JobSignal) -> None:
    assert parse_signal(text) is expected


@pytest.mark.parametrize("text", ["", "9", "SIGSEGV", "TERMINATE", "SIG", "KILL9"])
def test_other_signals_are_invalid_input(text: str) -> None:
    with pytest.raises(InvalidInput, match="signal must be one of"):
        parse_signal(text)


def test_signal_numbers_are_the_platforms() -> None:
    assert JobSignal.KILL.number == signal.SIGKILL and JobSignal.USR2.full_name == "SIGUSR2"


def test_top_rows_compute_elapsed_and_time_left() -> None:
    sample = ProcessSample("j", 1, 42, 3, 12.34, 2048, 1000.0)
    job = RunningJob("j", "q", "sleep 9", "w", "h", 900.0, 150.0, sample)
    row = top_dict(job, 1000.0)
    assert (row["pid"], row["processes"], row["cpu_percent"], row["rss_bytes"]) == (
        42,
        3,
        12.3,
        2048,
    )
    assert (row["elapsed"], row["timeout_left"]) == (100.0, 50.0)
    late = top_dict(job, 2000.0)
    assert late["timeout_left"] == 0.0
    bare = top_dict(RunningJob("j", "q", "c", None, None, None, None, None), 5.0)
    assert [bare[k] for k in ("pid", "rss_bytes", "elapsed", "timeout_left")] == [None] * 4


def test_human_units() -> None:
    assert [human_bytes(v) for v in (None, 512, 7151616, 3 * 1024**4)] == [
        "-",
        "512B",
        "6.8M",
        "3.0T",
    ]
    assert [human_seconds(v) for v in (None, 42.25, 125, 3725)] == [
        "-",
        "42.2s",
        "2m05s",
        "1h02m05s",
    ]


def test_exposition_parses_and_a_failed_read_reports_the_store_down() -> None:
    figures = Figures(
        100.0,
        {("mail", "pending"): 2},
        {"mail": 40.0},
        3,
        {("finished", "mail", "completed"): 5, ("attempt_bucket", "mail", "+Inf"): 1},
    )
    families = {f.name: f for f in text_string_to_metric_families(exposition(lambda: figures))}
    assert families["queuectl_oldest_pending_seconds"].samples[0].value == 60.0
    buckets = [s for s in families["queuectl_attempt_duration_seconds"].samples if "le" in s.labels]
    assert buckets[-1].labels["le"] == "+Inf" and buckets[-1].value == 1
    assert all(b.value == 0 for b in buckets[:-1])

    def broken() -> Figures:
        raise StoreUnavailable("store gone")

    down = list(text_string_to_metric_families(exposition(broken)))
    assert [(f.name, f.samples[0].value) for f in down] == [("queuectl_store_up", 0.0)]
