"""Where the store lives: the per-user default, --db and QUEUECTL_DB, file modes, bad locations."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
from pathlib import Path

import pytest
from helpers import (
    QUEUECTL,
    assert_one_line_error,
    cli_env,
    cli_json,
    job,
    run_cli,
    start_workers,
    wait_until,
)


def test_store_files_are_private(db: Path) -> None:
    # Under umask 000 a plain open() would give 0666: only an explicit mode or chmod gives 0600.
    umask0 = ["sh", "-c", 'umask 000; exec "$@"', "sh", *QUEUECTL]
    subprocess.run(
        [*umask0, "--db", str(db), "enqueue", '{"id": "m1", "command": "true"}'],
        check=True,
        capture_output=True,
        env=cli_env(),
    )
    worker = subprocess.Popen(
        [*umask0, "worker", "start", "--count", "1"],
        env=cli_env(db),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(lambda: job(db, "m1")["state"] == "completed", 30, message="job ran")
        # checked while the worker holds the store open, so the WAL files exist
        files = {p.name: p for p in db.parent.iterdir() if p.name.startswith(db.name)}
        assert {db.name, f"{db.name}-wal", f"{db.name}-shm"} <= set(files), sorted(files)
        for path in files.values():
            mode = stat.S_IMODE(path.stat().st_mode)
            assert mode == 0o600, f"{path.name}: {oct(mode)}"
    finally:
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(30) == 0


@pytest.mark.parametrize("with_xdg", [True, False], ids=["xdg", "home"])
def test_default_store_is_the_same_from_any_directory(tmp_path: Path, with_xdg: bool) -> None:
    env = cli_env()
    env.pop("QUEUECTL_DB", None)
    if not with_xdg:
        env.pop("XDG_DATA_HOME")
    here, there = tmp_path / "a", tmp_path / "b"
    here.mkdir()
    there.mkdir()
    jid = run_cli("enqueue", '{"command": "true"}', cwd=here, env=env).stdout.strip()
    listed = cli_json("list", cwd=there, env=env)
    assert [j["id"] for j in listed] == [jid]
    base = Path(env["XDG_DATA_HOME"]) if with_xdg else Path(env["HOME"]) / ".local" / "share"
    assert (base / "queuectl" / "queuectl.db").is_file()
    worker = start_workers(None, 1, "--drain", env=env, cwd=there)
    assert worker.wait(30) == 0
    assert cli_json("show", jid, cwd=here, env=env)["state"] == "completed"


def test_env_var_and_flag_select_the_store(tmp_path: Path) -> None:
    first, second = tmp_path / "one.db", tmp_path / "two.db"
    env = cli_env(first)
    jid = run_cli("enqueue", '{"command": "true"}', env=env).stdout.strip()
    assert [j["id"] for j in cli_json("list", db=first)] == [jid]
    run_cli("config", "set", "max_retries", "3", db=second)  # an empty queue (reads create none)
    assert cli_json("list", db=second) == []
    # --db wins over QUEUECTL_DB
    assert cli_json("list", db=second, env=env) == []


def _unreachable(tmp_path: Path, kind: str) -> Path:
    if kind == "parent-is-a-file":
        blocker = tmp_path / "blocker"
        blocker.write_text("not a directory\n")
        return blocker / "sub" / "queue.db"
    if kind == "missing-on-readonly-fs":
        return Path("/proc/queuectl-missing-dir/queue.db")
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    if os.geteuid() == 0:
        pytest.skip("root can write into a 0500 directory")
    return ro / "queue.db"


@pytest.mark.parametrize("kind", ["parent-is-a-file", "missing-on-readonly-fs", "read-only-dir"])
@pytest.mark.parametrize("command", [["enqueue", '{"command": "true"}'], ["list"], ["status"]])
def test_unreachable_store_is_one_line_exit_1(
    tmp_path: Path, kind: str, command: list[str]
) -> None:
    path = _unreachable(tmp_path, kind)
    result = run_cli(*command, db=path, check=False)
    assert_one_line_error(result, 1)
    env_result = run_cli(*command, env=cli_env(path), check=False)
    assert_one_line_error(env_result, 1)


def test_missing_store_directory_never_tracebacks(tmp_path: Path) -> None:
    path = tmp_path / "not" / "yet" / "queue.db"
    result = run_cli("enqueue", '{"command": "true"}', db=path, check=False)
    if result.returncode == 0:
        assert path.is_file()
    else:
        assert_one_line_error(result, 1)


def test_worker_on_unreachable_store_is_one_line_exit_1(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    worker = start_workers(None, 1, "--drain", env=cli_env(blocker / "q.db"), cwd=tmp_path)
    assert worker.wait(30) == 1
    out = worker.output()
    assert "Traceback" not in out and len(out.strip().splitlines()) == 1, out
