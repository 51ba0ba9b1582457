"""The presentation helpers the CLI and the console share (``queuectl_core.present``)."""

from __future__ import annotations

import math
import signal
import subprocess
import sys

from queuectl_core.models import WorkerInfo
from queuectl_core.present import (
    duration,
    exit_text,
    heartbeat_live,
    relative,
    signal_name,
    span,
)

NOW = 1_750_000_000.0


def test_the_console_moves_in_ten_second_steps_and_the_cli_keeps_seconds() -> None:
    assert [span(s) for s in (3, 9.9, 10, 54, 59.9, 60, 3599, 3600, 86400)] == [
        "3s", "9s", "10s", "50s", "50s", "1m", "59m", "1h", "1d"
    ]  # fmt: skip
    assert [span(s, exact=True) for s in (3, 54, 59.9, 60, 125, 7200, 90000)] == [
        "3s", "54s", "59s", "1m", "2m", "2h", "1d"
    ]  # fmt: skip
    assert span(math.nan) == "?" and span(math.inf) == ">9999y" and span(-5) == "0s"
    assert span(400 * 86400) == "1y"


def test_relative_reads_both_ways() -> None:
    assert relative(NOW - 54, NOW) == "50s ago"
    assert relative(NOW + 41, NOW) == "in 50s"  # countdowns round up
    assert relative(NOW + 0.4, NOW) == "0s ago"  # within half a second is now
    assert relative(None, NOW) == ""
    assert relative(NOW - 54, NOW, exact=True) == "54s ago"
    assert relative(NOW + 4.7, NOW, exact=True) == "in 4s"
    assert relative(NOW - 3 * 3600 - 5, NOW, exact=True) == "3h ago"


def test_signals_and_durations() -> None:
    assert signal_name(signal.SIGTERM) == "SIGTERM"
    assert signal_name(99) == "signal 99"
    assert exit_text(-signal.SIGKILL) == "SIGKILL"
    assert exit_text(3) == "3" and exit_text(None) == ""
    assert duration(NOW - 2.25, NOW, NOW) == "2.2s"
    assert duration(NOW - 75, None, NOW) == "1m"
    assert duration(None, None, NOW) == ""


def test_a_live_worker_heartbeat_within_the_lease() -> None:
    worker = WorkerInfo("w", "host", 1, 1, (), NOW - 100, NOW - 30)
    assert heartbeat_live(worker, NOW, 30.0)
    assert not heartbeat_live(worker, NOW + 0.5, 30.0)


def test_the_core_helpers_import_neither_textual_nor_rich() -> None:
    code = (
        "import sys, queuectl_core.present, queuectl_core.cli.inspect;"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'textual', 'rich'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
