"""Broken stores: read-only, full disk, corrupt, written by a newer queuectl.

Every failure is one line on stderr with exit 1 (no traceback), and nothing already committed
is lost. The read-only and full-disk cases use a small tmpfs (root only; skipped otherwise).
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import run_cli, start_workers, wait_until

from .support import read_rows

ROOT = os.geteuid() == 0


def assert_failed(result: subprocess.CompletedProcess[str], *words: str) -> str:
    detail = f"args={result.args!r} rc={result.returncode} stderr={result.stderr!r}"
    assert result.returncode == 1, detail
    assert "Traceback" not in result.stderr + result.stdout, detail
    assert "internal error" not in result.stderr, detail
    message = result.stderr.strip()
    assert message.startswith("queuectl: error: ") and "\n" not in message, detail
    for word in words:
        assert word in message.lower(), detail
    return message


def listed_ids(db: Path) -> set[str]:
    return {j["id"] for j in json.loads(run_cli("list", "--json", db=db).stdout)}


def mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True, timeout=30)


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A 2 MB tmpfs, unmounted in teardown."""
    if not ROOT:
        pytest.skip("mounting a tmpfs needs root")
    folder = tmp_path / "tmpfs"
    folder.mkdir()
    try:
        mount("-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs", str(folder))
    except (subprocess.CalledProcessError, FileNotFoundError) as exc:
        pytest.skip(f"cannot mount a tmpfs here: {exc}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False, capture_output=True)


def test_read_only_store(tmpfs: Path) -> None:
    db = tmpfs / "queue.db"
    for n in range(3):
        run_cli("enqueue", "--id", f"kept-{n}", "--command", "true", db=db)
    mount("-o", "remount,ro", str(tmpfs))
    try:
        assert_failed(run_cli("enqueue", "--command", "true", db=db, check=False), "read-only")
        assert_failed(run_cli("config", "set", "max-retries", "1", db=db, check=False))
        assert_failed(run_cli("worker", "start", db=db, check=False, timeout=30))
        reading = run_cli("list", "--json", db=db, check=False)
        if reading.returncode:  # reading a WAL store needs a writable -shm; a clean refusal is ok
            assert_failed(reading)
        else:
            assert {j["id"] for j in json.loads(reading.stdout)} == {f"kept-{n}" for n in range(3)}
    finally:
        mount("-o", "remount,rw", str(tmpfs))
    assert listed_ids(db) == {f"kept-{n}" for n in range(3)}
    run_cli("enqueue", "--command", "true", db=db)


def test_full_disk(tmpfs: Path) -> None:
    db = tmpfs / "queue.db"
    run_cli("enqueue", "--id", "first", "--command", "true", db=db)
    filler = tmpfs / "filler"
    filler.write_bytes(b"\0" * 1_000_000)
    batch = tmpfs.parent / "batch.jsonl"
    acknowledged = {"first"}
    failure = None
    for round_ in range(60):
        jobs = [{"id": f"r{round_}-{n}", "command": "echo " + "y" * 8000} for n in range(10)]
        batch.write_text("".join(json.dumps(j) + "\n" for j in jobs))
        result = run_cli("enqueue", "--file", str(batch), db=db, check=False)
        if result.returncode:
            failure = result
            break
        acknowledged |= set(result.stdout.split())
    assert failure is not None, "the 2 MB disk never filled"
    assert_failed(failure, "full")
    status = run_cli("status", "--json", db=db, check=False)
    if status.returncode:
        assert_failed(status)
    filler.unlink()
    assert listed_ids(db) == acknowledged
    assert read_rows(db, "PRAGMA integrity_check") == [("ok",)]
    run_cli("enqueue", "--id", "after", "--command", "true", db=db)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_not_a_database(db: Path) -> None:
    db.write_bytes(os.urandom(65536))
    before = _digest(db)
    for args in (["status"], ["enqueue", "--command", "true"], ["list", "--json"]):
        assert_failed(run_cli(*args, db=db, check=False), "not a database")
    worker = start_workers(db, 1)
    assert worker.wait(30) == 1 and "Traceback" not in worker.output()
    assert _digest(db) == before, "the file was modified"


def _store_with_jobs(db: Path, count: int) -> None:
    lines = "".join(
        json.dumps({"id": f"job-{n:04d}", "command": "echo " + "z" * 200}) + "\n"
        for n in range(count)
    )
    run_cli("enqueue", "-", db=db, input=lines)


@pytest.mark.parametrize("damage", ["pages", "truncated"])
def test_corrupt_store(db: Path, damage: str) -> None:
    _store_with_jobs(db, 400)
    size = db.stat().st_size
    assert size > 40_000 and not Path(f"{db}-wal").exists()
    with db.open("r+b") as handle:
        if damage == "pages":
            handle.seek(4096 * 3)
            handle.write(os.urandom(4096 * 4))
        else:
            handle.truncate(size // 2)
    for args in (["list", "--json"], ["status"], ["enqueue", "--command", "true"]):
        result = run_cli(*args, db=db, check=False)
        if result.returncode:  # a damaged page may not be touched by every command
            assert_failed(result)
    # A worker cannot tell a corrupt page from a passing fault: it keeps retrying, saying why
    # in one line each time (see RELIABILITY.md), and stops cleanly when asked.
    worker = start_workers(db, 1)
    wait_until(lambda: "WARNING" in worker.output() or "error:" in worker.output(), 30)
    assert "malformed" in worker.output()
    if "error:" not in worker.output():
        worker.signal_group(signal.SIGTERM)
        assert worker.wait(30) == 0
    else:
        assert worker.wait(1) == 1
    assert "Traceback" not in worker.output(), worker.output()[-3000:]


def test_store_from_a_newer_version(db: Path) -> None:
    _store_with_jobs(db, 5)
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA user_version = 99")
    conn.close()
    for args in (["status"], ["list"], ["enqueue", "--command", "true"], ["config", "list"]):
        assert_failed(run_cli(*args, db=db, check=False), "newer")
    worker = start_workers(db, 1)
    assert worker.wait(30) == 1 and "newer" in worker.output()
    assert read_rows(db, "PRAGMA user_version") == [(99,)]
    assert read_rows(db, "SELECT count(*) FROM jobs") == [(5,)]
