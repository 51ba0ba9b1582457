"""``python -m bench.insight`` must not rot: a small store, one run, every figure printed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_insight_bench_prints_every_figure(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench.insight", "--count", "20000", "--runs", "1"],
        cwd=ROOT,
        env={"QUEUECTL_BENCH_CACHE": str(tmp_path), "PATH": str(Path(sys.executable).parent)},
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    figures = [line for line in done.stdout.splitlines() if line.endswith(" ms")]
    assert len(figures) == 7, done.stdout
    assert "groups: 5" in done.stdout
