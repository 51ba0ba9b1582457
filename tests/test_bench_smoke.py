"""The benchmark runner must not rot: a seconds-long ``--quick`` run writes every row.

Speeds are never asserted here; they belong in docs/PERFORMANCE.md.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# W1: 6 rows of its own (two are CPU per job), plus 3 paired with huey (1 without the bench extra)
HUEY_ROWS = 3 if importlib.util.find_spec("huey") else 1
EXPECTED_ROWS = {"W0": 8, "W1": 6 + HUEY_ROWS, "W2": 2, "W3": 4, "W4": 3, "W5": 5, "C1": 3}


def test_quick_run_writes_every_row(tmp_path: Path) -> None:
    out = tmp_path / "results"
    argv = ["--quick", "--store", "sqlite", "--reps", "1", "--out", str(out)]
    done = subprocess.run(
        [sys.executable, "-m", "bench", *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    table = (out / "results.md").read_text(encoding="utf-8")
    document = json.loads((out / "results.json").read_text(encoding="utf-8"))

    assert document["machine"]["cores"] >= 1
    assert document["machine"]["python"] and document["machine"]["sqlite"]
    rows = document["rows"]
    assert Counter(r["id"] for r in rows) == EXPECTED_ROWS
    for row in rows:
        assert f"| {row['id']} | {row['workload']} |" in table
        if row["id"] != "C1":  # the console may be unavailable where tmux is missing
            assert not row["note"].startswith("failed"), row
            assert row["samples"], row
