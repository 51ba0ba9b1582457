"""Dependencies and unique keys through the real binary and real workers (SQLite here; the
same cases run on PostgreSQL in tests/postgres_e2e/test_dependencies.py)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

from helpers import (
    QUEUECTL,
    WorkerProcess,
    cli_env,
    cli_json,
    job,
    lines,
    run_cli,
    start_workers,
    utc_ts,
)

#: Starts ``queuectl worker start --count N EXTRA...`` on the store under test.
Workers = Callable[..., WorkerProcess]


def _drain(workers: Workers, count: int = 4) -> None:
    worker = workers(count, "--drain")
    assert worker.wait(60) == 0, worker.output()


def diamond(url: Path | str, workers: Workers, tmp_path: Path) -> None:
    """A; B and C after A; D after B and C: each starts only after what it names finished."""
    marks = tmp_path / "marks"
    step = f"sleep 0.2; echo $NAME >> {marks}"
    run_cli("enqueue", "-c", step, "--id", "A", "-e", "NAME=A", db=url)
    for name in "BC":
        run_cli("enqueue", "-c", step, "--id", name, "-e", f"NAME={name}", "--after", "A", db=url)
    run_cli("enqueue", "-c", step, "--id", "D", "-e", "NAME=D", "--after", "B", "--after", "C",
            db=url)  # fmt: skip
    _drain(workers)  # drain waits for D, which waits for B and C: it must not exit early
    jobs = {name: job(url, name) for name in "ABCD"}
    assert {j["state"] for j in jobs.values()} == {"completed"}
    assert jobs["D"]["after"] == ["B", "C"]

    def started(name: str) -> float:
        return utc_ts(jobs[name]["started_at"])

    def finished(name: str) -> float:
        return utc_ts(jobs[name]["finished_at"])

    assert started("B") >= finished("A") and started("C") >= finished("A")
    assert started("D") >= max(finished("B"), finished("C"))
    order = lines(marks)
    assert order[0] == "A" and order[-1] == "D" and sorted(order[1:3]) == ["B", "C"]


def dead_dependency_cancels(url: Path | str, workers: Workers) -> None:
    run_cli("enqueue", '{"id": "A", "command": "exit 3", "max_retries": 0}', db=url)
    run_cli("enqueue", "-c", "echo B", "--id", "B", "--after", "A", db=url)
    run_cli("enqueue", "-c", "echo C", "--id", "C", "--after", "B", db=url)
    _drain(workers, 2)
    b, c = job(url, "B"), job(url, "C")
    assert job(url, "A")["state"] == "dead"
    assert (b["state"], b["last_error"], b["history"]) == ("cancelled", "dependency A is dead", [])
    assert (c["state"], c["last_error"]) == ("cancelled", "dependency B is cancelled")


def concurrent_unique_key(url: Path | str) -> None:
    """6 processes enqueue one key at once: one job, every process prints its id, exit 0."""
    command = [*QUEUECTL, "enqueue", "-c", "sleep 30", "--unique-key", "nightly"]
    procs = [
        subprocess.Popen(command, env=cli_env(url), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
        for _ in range(6)
    ]  # fmt: skip
    results = [(p.wait(60), *p.communicate()) for p in procs]
    assert [code for code, _, _ in results] == [0] * 6, results
    ids = {out.strip() for _, out, _ in results}
    notes = [err for _, _, err in results if "nothing new enqueued" in err]
    jobs = cli_json("list", db=url)
    assert len(jobs) == 1 and ids == {jobs[0]["id"]}, (ids, jobs)
    assert jobs[0]["unique_key"] == "nightly" and len(notes) == 5, results
    # Once the job is final, the key is free again.
    run_cli("cancel", jobs[0]["id"], db=url)
    again = run_cli("enqueue", "-c", "true", "--unique-key", "nightly", db=url)
    assert again.stdout.strip() != jobs[0]["id"] and again.stderr == ""


def bulk_file_names_earlier_lines(url: Path | str, workers: Workers, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        json.dumps({"id": "x1", "command": "true"}) + "\n"
        + json.dumps({"id": "x2", "command": "true", "after": "x3"}) + "\n"
        + json.dumps({"id": "x3", "command": "true"}) + "\n"
    )  # fmt: skip
    result = run_cli("enqueue", "--file", str(bad), db=url, check=False)
    assert result.returncode == 1 and result.stdout == ""
    assert "'x3', which does not exist" in result.stderr
    assert cli_json("list", db=url) == []

    marks = tmp_path / "order"
    rows = [
        {"id": "fetch", "command": f"sleep 0.2; echo fetch >> {marks}"},
        {"id": "build", "command": f"echo build >> {marks}", "after": "fetch"},
        {"id": "ship", "command": f"echo ship >> {marks}", "after": ["fetch", "build"],
         "unique_key": "ship"},
        {"id": "ship-again", "command": "echo no", "unique_key": "ship"},
    ]  # fmt: skip
    good = tmp_path / "good.jsonl"
    good.write_text("".join(json.dumps(row) + "\n" for row in rows))
    result = run_cli("enqueue", "--file", str(good), db=url)
    assert result.stdout.split() == ["fetch", "build", "ship", "ship"]
    assert "'ship'" in result.stderr and "nothing new enqueued" in result.stderr
    _drain(workers)
    assert lines(marks) == ["fetch", "build", "ship"]
    assert {j["id"]: j["state"] for j in cli_json("list", db=url)} == dict.fromkeys(
        ["fetch", "build", "ship"], "completed"
    )


def unknown_dependency_writes_nothing(url: Path | str) -> None:
    result = run_cli("enqueue", "-c", "true", "--after", "nope", db=url, check=False)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr == "queuectl: error: dependency 'nope' does not exist\n"
    self_ref = run_cli("enqueue", '{"id": "s", "command": "true", "after": ["s"]}', db=url,
                       check=False)  # fmt: skip
    assert self_ref.returncode == 2 and "cannot run after itself" in self_ref.stderr
    assert cli_json("list", db=url) == []


def _workers(db: Path) -> Workers:
    return lambda count, *extra: start_workers(db, count, *extra)


def test_diamond_runs_in_order(db: Path, tmp_path: Path) -> None:
    diamond(db, _workers(db), tmp_path)


def test_dead_dependency_cancels_its_dependents(db: Path) -> None:
    dead_dependency_cancels(db, _workers(db))


def test_concurrent_enqueues_of_one_unique_key_make_one_job(db: Path) -> None:
    concurrent_unique_key(db)


def test_bulk_file_names_earlier_lines(db: Path, tmp_path: Path) -> None:
    bulk_file_names_earlier_lines(db, _workers(db), tmp_path)


def test_unknown_dependency_writes_nothing(db: Path) -> None:
    unknown_dependency_writes_nothing(db)
