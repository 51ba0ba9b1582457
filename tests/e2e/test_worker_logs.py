"""What a foreground worker prints: one line per finished attempt, -q, -v, --log-format json,
an operator cancel that is not a warning, and the systemd unit in contrib/."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers import QUEUECTL, cli_env, enqueue, job, run_cli, start_workers, wait_until

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "contrib" / "queuectl-worker@.service"
TEXT_LINE = re.compile(r"\d\d:\d\d:\d\d (INFO|DEBUG|WARNING|ERROR) (job|worker) \S+ .*")


def _two_jobs(db: Path) -> None:
    enqueue(db, id="good", command="echo fine")
    enqueue(db, id="bad", command="exit 3", max_retries=0)


def _drained_output(db: Path, *flags: str) -> list[str]:
    worker = start_workers(db, 1, "--drain", *flags)
    assert worker.wait(60) == 0, worker.output()
    return worker.output().splitlines()


def test_default_is_one_line_per_finished_attempt(db: Path) -> None:
    _two_jobs(db)
    out = _drained_output(db)
    assert all(TEXT_LINE.fullmatch(line) for line in out), out
    finished = [line for line in out if " job " in line]
    assert len(finished) == 2, out
    assert re.search(r"INFO job good completed in \d+\.\d{3}s$", finished[0]), finished
    assert re.search(r"INFO job bad failed \(exit 3\) in \d+\.\d{3}s$", finished[1]), finished
    assert "DEBUG" not in "\n".join(out)


def test_verbose_adds_starts_but_never_library_debug(db: Path) -> None:
    _two_jobs(db)
    out = _drained_output(db, "-v")
    assert all(TEXT_LINE.fullmatch(line) for line in out), out  # nothing from aiosqlite
    assert any("DEBUG job good started (attempt 1/4)" in line for line in out), out
    assert sum(" completed in " in line or " failed (" in line for line in out) == 2


def test_quiet_prints_nothing_when_all_is_well(db: Path) -> None:
    _two_jobs(db)
    assert _drained_output(db, "-q") == []


def test_json_log_format_is_one_object_per_line(db: Path) -> None:
    _two_jobs(db)
    records = [json.loads(line) for line in _drained_output(db, "--log-format", "json")]
    finished = {r["job"]: r for r in records if "job" in r}
    assert finished["good"]["outcome"] == "completed" and finished["good"]["exit_code"] == 0
    assert finished["bad"]["outcome"] == "failed" and finished["bad"]["exit_code"] == 3
    for record in records:
        assert {"time", "level", "logger", "message"} <= set(record)
    assert all(isinstance(r["duration_seconds"], float) for r in finished.values())


def test_operator_cancel_is_not_a_warning(db: Path) -> None:
    enqueue(db, id="long", command="sleep 60")
    worker = start_workers(db, 1)
    wait_until(lambda: job(db, "long")["state"] == "processing", 30, message="job running")
    run_cli("cancel", "long", db=db)
    wait_until(lambda: "job long cancelled" in worker.output(), 30, message="cancel logged")
    run_cli("worker", "stop", "--timeout", "30s", db=db)
    assert worker.wait(30) == 0
    assert "WARNING" not in worker.output() and "not recorded" not in worker.output()


def _unit() -> dict[str, list[str]]:
    """``key -> values`` of the unit file (systemd allows repeated keys)."""
    values: dict[str, list[str]] = {}
    for raw in UNIT.read_text().splitlines():
        line = raw.strip()
        if line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            values.setdefault(key, []).append(value)
    return values


def test_systemd_unit_verifies_and_its_command_runs(tmp_path: Path) -> None:
    unit = _unit()
    (exec_start,) = unit["ExecStart"]
    argv = shlex.split(exec_start)
    assert argv[0].endswith("/queuectl") and argv[1:3] == ["worker", "start"]
    assert unit["KillMode"] == ["mixed"] and unit["KillSignal"] == ["SIGTERM"]
    local = [*QUEUECTL, *argv[1:]]
    if shutil.which("systemd-analyze"):
        copy = tmp_path / "queuectl-worker@test.service"
        copy.write_text(UNIT.read_text().replace(argv[0], QUEUECTL[0]))
        verified = subprocess.run(
            ["systemd-analyze", "verify", str(copy)], capture_output=True, text=True, check=False
        )
        assert verified.returncode == 0, verified.stderr
    (environment,) = unit["Environment"]
    assert environment.startswith("QUEUECTL_DB=")
    store = tmp_path / "test.db"
    enqueue(store, id="unit-job", command="echo from the unit")
    done = subprocess.run(
        [*local, "--drain"],
        env=cli_env(store),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stderr.splitlines()]
    assert any(r.get("job") == "unit-job" and r["outcome"] == "completed" for r in records)


@pytest.mark.parametrize("verb", [("worker", "start"), ("run-workers",)])
def test_queue_option_moved_to_capital_q(db: Path, verb: tuple[str, ...]) -> None:
    enqueue(db, id="r1", command="true", queue="reports")
    enqueue(db, id="o1", command="true", queue="other")
    worker = start_workers(db, 1, "--drain", "-Q", "reports", "-q", verb=verb)
    assert worker.wait(60) == 0, worker.output()
    assert (job(db, "r1")["state"], job(db, "o1")["state"]) == ("completed", "pending")
