"""Contention: 16 processes on one SQLite store (workers, enqueuers, readers, a console).

No "database is locked" (or any error) may reach a user, and every id an enqueuer printed must
be in the store, and nothing else.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from helpers import run_cli, start_workers, wait_until

from .actors import Console, Loop, console_available
from .support import configure, read_rows, report

READERS = [
    ["status", "--json"],
    ["status", "--json"],
    ["list", "--state", "pending", "--limit", "20", "--json"],
    ["list", "--state", "completed", "--limit", "20", "--json"],
    ["metrics", "--json"],
    ["dlq", "list", "--json"],
    ["list", "--search", "true", "--limit", "10", "--json"],
]
BAD = ("locked", "busy", "Traceback", "error", "unavailable")


def _batch(path: Path, size: int) -> Path:
    path.write_text("".join(json.dumps({"command": "true"}) + "\n" for _ in range(size)))
    return path


def run_contention(db: Path, tmp: Path, seconds: float) -> dict[str, object]:
    configure(db, poll_interval_ms=100)
    stop = tmp / "STOP"
    batch = _batch(tmp / "batch.jsonl", 25)
    loops: list[Loop] = []
    console = Console()
    workers = []
    try:
        workers = [start_workers(db, 2) for _ in range(3)]
        for n in range(5):
            loop = Loop(f"enqueue{n}", tmp)
            args = ["enqueue", "--file", "-"] if n % 2 else ["enqueue", "--command", "true"]
            loop.start(db, stop, args, stdin=batch if n % 2 else None)
            loops.append(loop)
        for n, args in enumerate(READERS):
            loop = Loop(f"reader{n}", tmp)
            loop.start(db, stop, args)
            loops.append(loop)
        has_console = console_available()
        if has_console:
            console.start(db)
            wait_until(lambda: b"pending" in console.screen, 60, message="console drawn")
        else:
            extra = Loop("reader-extra", tmp)
            extra.start(db, stop, ["list", "--limit", "50", "--json"])
            loops.append(extra)
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            time.sleep(1)
            if has_console:  # move around the console as an operator would
                console.type(b"jj2k3")
            assert all(w.alive() for w in workers), "a worker died"
        stop.touch()
        for loop in loops:
            assert loop.proc is not None
            loop.proc.wait(60)
        console_code = console.quit() if has_console else 0
        console_alive = console.proc is not None and console.proc.poll() is None
        return _verify(db, loops, workers, console, console_code, console_alive, has_console)
    finally:
        stop.touch()
        for loop in loops:
            loop.kill()
        console.kill()
        for worker in workers:
            worker.kill()


def _verify(
    db: Path,
    loops: list[Loop],
    workers: list,  # type: ignore[type-arg]
    console: Console,
    console_code: int | None,
    console_alive: bool,
    has_console: bool,
) -> dict[str, object]:
    problems = []
    for loop in loops:
        if any(loop.codes):
            problems.append(f"{loop.name}: exit codes {sorted(set(loop.codes))}")
        errors = loop.err.read_text(errors="replace") if loop.err.exists() else ""
        if errors.strip():
            problems.append(f"{loop.name} stderr: {errors[:500]!r}")
    printed = [
        line
        for loop in loops
        if loop.name.startswith("enqueue") and loop.out.exists()
        for line in loop.out.read_text().split()
    ]
    stored = {r[0] for r in read_rows(db, "SELECT id FROM jobs")}
    if len(printed) != len(set(printed)) or set(printed) != stored:
        problems.append(
            f"printed {len(printed)} ids ({len(set(printed))} distinct), stored {len(stored)}"
        )
    wait_until(
        lambda: read_rows(db, "SELECT count(*) FROM jobs WHERE state != 'completed'")[0][0] == 0,
        120,
        interval=0.5,
        message="workers finish every enqueued job",
    )
    run_cli("worker", "stop", "--timeout", "30", db=db)
    for worker in workers:
        worker.wait(30)
        if any(bad in worker.output() for bad in ("locked", "Traceback", "unavailable")):
            problems.append(f"worker log: {worker.output()[-800:]!r}")
    screen = bytes(console.screen).decode("utf-8", "replace")
    if has_console and (console_code != 0 or "Traceback" in screen or "locked" in screen):
        problems.append(f"console exit {console_code} (alive {console_alive}): {screen[-800:]!r}")
    assert not problems, "\n".join(problems)
    calls = sum(len(loop.codes) for loop in loops)
    return {
        "processes": 3 + len(loops) + (1 if has_console else 0),
        "console": has_console,
        "cli_calls": calls,
        "enqueued": len(printed),
        "completed": len(stored),
        "locked_errors": 0,
    }


def test_contention_short(db: Path, tmp_path: Path) -> None:
    figures = run_contention(db, tmp_path, 15)
    report("contention_15s", figures)
    assert figures["processes"] == 16


@pytest.mark.slow
def test_contention_long(db: Path, tmp_path: Path) -> None:
    figures = run_contention(db, tmp_path, 60)
    report("contention_60s", figures)
    assert figures["processes"] == 16
