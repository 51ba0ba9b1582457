"""Security basics: owner-only store files, secrets in env never listed, literal search."""

from __future__ import annotations

import json
import os
import shlex
import signal
import stat
import subprocess
from pathlib import Path

from helpers import QUEUECTL, cli_env, run_cli, wait_until

SECRET = "s3cr3t-value-42"


def test_store_files_are_owner_only_even_with_umask_000(tmp_path: Path) -> None:
    folder = tmp_path / "fresh" / "nested"
    db = folder / "queue.db"
    queuectl = shlex.join(QUEUECTL)
    worker = subprocess.Popen(
        ["/bin/sh", "-c", f"umask 000; exec {queuectl} worker start --count 1"],
        env=cli_env(db),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_until(db.exists, 20, message="store created")
        enqueue = subprocess.run(
            ["/bin/sh", "-c", f"umask 000; exec {queuectl} enqueue --command true"],
            env=cli_env(db),
            capture_output=True,
            check=False,
        )
        assert enqueue.returncode == 0, enqueue.stderr
        files = [db, Path(f"{db}-wal"), Path(f"{db}-shm")]
        wait_until(lambda: all(p.exists() for p in files), 20, message="-wal and -shm exist")
        modes = {p.name: oct(stat.S_IMODE(p.stat().st_mode)) for p in files}
        assert modes == {p.name: oct(0o600) for p in files}, modes
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(30)


def test_env_values_are_not_listed(db: Path) -> None:
    job = {"id": "with-secret", "command": "true", "env": {"API_TOKEN": SECRET}}
    run_cli("enqueue", json.dumps(job), db=db)
    for args in (["list"], ["list", "--json"], ["status"], ["status", "--json"], ["dlq", "list"]):
        result = run_cli(*args, db=db)
        assert SECRET not in result.stdout + result.stderr, args
    listed = json.loads(run_cli("list", "--json", db=db).stdout)
    assert listed[0]["id"] == "with-secret" and "env" not in listed[0]


IDS = ["a'b", 'a"b', "100%", "50_50", "5050", "a\\b", "ab", "x%y", "plain", "semi;colon"]


def _found(db: Path, search: str) -> set[str]:
    result = run_cli("list", "--search", search, "--json", db=db)
    return {j["id"] for j in json.loads(result.stdout)}


def test_search_and_ids_are_literal(db: Path) -> None:
    for job_id in IDS:
        run_cli("enqueue", json.dumps({"id": job_id, "command": "echo job"}), db=db)
    expectations = {
        "%": {"100%", "x%y"},
        "_": {"50_50"},
        "'": {"a'b"},
        '"': {'a"b'},
        "\\": {"a\\b"},
        "a_b": set(),
        "a%b": set(),
        "0_5": {"50_50"},
        "'; DROP TABLE jobs; --": set(),
        "' OR '1'='1": set(),
        ";": {"semi;colon"},
    }
    for search, expected in expectations.items():
        assert _found(db, search) == expected, search
    assert {j["id"] for j in json.loads(run_cli("list", "--json", db=db).stdout)} == set(IDS)
    for job_id in ("a'b", "100%", "50_50"):
        assert json.loads(run_cli("show", job_id, "--json", db=db).stdout)["id"] == job_id
    run_cli("cancel", "50_50", db=db)
    states = {j["id"]: j["state"] for j in json.loads(run_cli("list", "--json", db=db).stdout)}
    assert states["50_50"] == "cancelled" and states["5050"] == "pending"
