"""Retries with backoff, the DLQ, timeouts, priority/FIFO order, queues, run_at and delay."""

from __future__ import annotations

import itertools
import json
import random
import signal
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from helpers import (
    cli_env,
    cli_json,
    enqueue,
    job,
    lines,
    procs_matching,
    run_cli,
    start_workers,
    utc_ts,
    wait_until,
)


def test_failing_job_backs_off_2s_then_4s_then_dies(db: Path) -> None:
    jid = enqueue(db, command="echo try-out; echo try-err >&2; exit 3", max_retries=2)
    worker = start_workers(db, 1, "--drain")
    seen: set[tuple[str, int]] = set()

    def dead() -> bool:
        data = job(db, jid)
        seen.add((data["state"], data["attempts"]))
        return bool(data["state"] == "dead")

    wait_until(dead, 30, interval=0.1, message="job to reach dead")
    assert ("failed", 1) in seen and ("failed", 2) in seen, seen
    assert worker.wait(15) == 0
    data = job(db, jid)
    assert (data["attempts"], data["exit_code"], data["last_error"]) == (3, 3, "exit 3")
    history = sorted(data["history"], key=lambda h: h["attempt"])
    assert [(h["attempt"], h["exit_code"], h["error"]) for h in history] == [
        (n, 3, "exit 3") for n in (1, 2, 3)
    ]
    gaps = [
        utc_ts(later["started_at"]) - utc_ts(earlier["finished_at"])
        for earlier, later in itertools.pairwise(history)
    ]
    assert 1.8 <= gaps[0] <= 3.2, gaps
    assert 3.8 <= gaps[1] <= 5.2, gaps
    for n in (1, 3):
        assert run_cli("logs", jid, "--attempt", str(n), db=db).stdout.splitlines() == [
            "try-out",
            "--- stderr ---",
            "try-err",
        ]
    assert [j["id"] for j in cli_json("dlq", "list", db=db)] == [jid]
    run_cli("dlq", "retry", jid, db=db)
    data = job(db, jid)
    assert (data["state"], data["attempts"]) == ("pending", 0)
    assert utc_ts(data["run_at"]) <= time.time() + 1
    assert cli_json("dlq", "list", db=db) == []


def test_backoff_max_caps_the_wait(db: Path) -> None:
    run_cli("config", "set", "backoff-base", "10", db=db)
    run_cli("config", "set", "backoff_max", "1", db=db)
    jid = enqueue(db, command="exit 1", max_retries=2)
    assert start_workers(db, 1, "--drain").wait(30) == 0
    history = sorted(job(db, jid)["history"], key=lambda h: h["attempt"])
    gaps = [
        utc_ts(later["started_at"]) - utc_ts(earlier["finished_at"])
        for earlier, later in itertools.pairwise(history)
    ]
    assert len(gaps) == 2 and all(0.8 <= g <= 2.2 for g in gaps), gaps


def test_dlq_retry_all(db: Path) -> None:
    run_cli("config", "set", "max-retries", "0", db=db)
    ids = [enqueue(db, command="exit 1") for _ in range(5)]
    assert start_workers(db, 2, "--drain").wait(30) == 0
    dlq = cli_json("dlq", "list", db=db)
    assert sorted(j["id"] for j in dlq) == sorted(ids)
    assert all(j["state"] == "dead" for j in dlq)
    utc_ts(dlq[0]["created_at"])
    run_cli("dlq", "retry", ids[0], ids[1], db=db)
    assert all(job(db, i)["state"] == "pending" for i in ids[:2])
    ids = ids[2:]
    run_cli("dlq", "retry", "--all", db=db)
    assert cli_json("dlq", "list", db=db) == []
    assert all((job(db, i)["state"], job(db, i)["attempts"]) == ("pending", 0) for i in ids)


def test_timeout_kills_the_whole_tree(db: Path) -> None:
    arg = f"30.{random.randrange(10**6):06d}"
    jid = enqueue(db, command=f"sleep {arg} & sleep {arg}; wait", timeout=1, max_retries=0)
    # a tree that ignores SIGTERM still ends: SIGKILL follows after a short grace
    stubborn = enqueue(
        db, command=f"trap '' TERM; sleep {arg} & sleep {arg}; wait", timeout=1, max_retries=0
    )
    started = time.monotonic()
    worker = start_workers(db, 2, "--drain")
    assert worker.wait(20) == 0
    assert time.monotonic() - started < 12
    for job_id in (jid, stubborn):
        data = job(db, job_id)
        assert data["state"] == "dead"
        assert "timed out after 1s" in data["last_error"], data["last_error"]
        assert utc_ts(data["finished_at"]) - utc_ts(data["started_at"]) < 7
    assert procs_matching(f"sleep {arg}") == []


def test_default_timeout_and_timeout_seconds_alias(db: Path) -> None:
    arg = f"30.{random.randrange(10**6):06d}"
    run_cli("config", "set", "default-timeout", "1", db=db)
    by_default = enqueue(db, command=f"sleep {arg}", max_retries=0)
    by_alias = enqueue(db, command=f"sleep {arg}", max_retries=0, timeout_seconds=2)
    assert job(db, by_alias)["timeout"] == 2
    assert start_workers(db, 2, "--drain").wait(20) == 0
    assert "timed out after 1s" in job(db, by_default)["last_error"]
    assert "timed out after 2s" in job(db, by_alias)["last_error"]
    assert procs_matching(f"sleep {arg}") == []


def test_priority_then_fifo(db: Path, tmp_path: Path) -> None:
    order = tmp_path / "order"
    # ids run against the alphabet so that ordering by id instead of arrival shows up
    plan = [("zz", 0), ("yy", 5), ("xx", 0), ("ww", 5), ("vv", -1), ("uu", 10), ("tt", 5)]
    for jid, priority in plan:
        enqueue(db, id=jid, priority=priority, command=f"echo {jid} >> {order}")
    assert start_workers(db, 1, "--drain").wait(30) == 0
    assert lines(order) == ["uu", "yy", "ww", "tt", "zz", "xx", "vv"]


def test_workers_serve_only_their_queues(db: Path) -> None:
    other = enqueue(db, command="true", queue="q2")
    default = enqueue(db, command="true")
    mine = enqueue(db, command="true", queue="q1")
    worker = start_workers(db, 1, "--queue", "q1,q3")
    wait_until(lambda: job(db, mine)["state"] == "completed", 15, message="q1 job done")
    assert job(db, other)["state"] == "pending"
    assert job(db, default)["state"] == "pending"
    run_cli("worker", "stop", db=db)
    assert worker.wait(15) == 0


def test_run_at_forms_and_delay(db: Path, tmp_path: Path) -> None:
    target = time.time() + 4
    ist = timezone(timedelta(hours=5, minutes=30))
    forms = {
        "iso-offset": datetime.fromtimestamp(target, timezone(timedelta(hours=-7))).isoformat(),
        "iso-z": datetime.fromtimestamp(target, UTC).isoformat().replace("+00:00", "Z"),
        "naive-local": datetime.fromtimestamp(target, ist).replace(tzinfo=None).isoformat(),
        "epoch-ms": int(target * 1000),
        "delay": None,
        "now": None,
    }
    bulk = []
    for name, value in forms.items():
        fields: dict[str, object] = {
            "id": f"{name}-job",
            "command": f"date +%s.%N > {tmp_path / name}",
        }
        if name == "delay":
            fields["delay"] = "3s"
        elif value is not None:
            fields["run_at"] = value
        bulk.append(json.dumps(fields) + "\n")
    before = time.time()
    # naive times are local to the enqueuing process: a zone 5:30 east of UTC makes that visible
    ist_env = cli_env(extra={"TZ": "IST-5:30"})
    run_cli("enqueue", "-", input="".join(bulk), db=db, env=ist_env)
    run_cli("enqueue", "--id", "flag-job", "--command", "true", "--delay", "3s", db=db)
    assert abs(utc_ts(job(db, "naive-local-job")["run_at"]) - target) < 0.01
    assert start_workers(db, 4, "--drain").wait(30) == 0
    assert float(lines(tmp_path / "now")[0]) < target - 1.5
    for name in forms:
        if name in ("delay", "now"):
            continue
        assert abs(utc_ts(job(db, f"{name}-job")["run_at"]) - target) < 0.01, name
    for name in ("delay-job", "flag-job"):
        assert before + 2.9 <= utc_ts(job(db, name)["run_at"]) <= before + 4, name
    for name in forms:
        data = job(db, f"{name}-job")
        assert data["state"] == "completed"
        ran = float(lines(tmp_path / name)[0])
        assert ran >= utc_ts(data["run_at"]) - 0.05, name
        assert utc_ts(data["started_at"]) <= utc_ts(data["run_at"]) + 2, name


def test_delay_units_and_past_run_at(db: Path) -> None:
    before = time.time()
    expected = {"30s": 30, "5m": 300, "2h": 7200, "1d": 86400, "45": 45}
    ids = {text: enqueue(db, command="true", delay=text) for text in expected}
    numeric = enqueue(db, command="true", delay=90)
    after = time.time()
    checks = [(ids[text], seconds) for text, seconds in expected.items()] + [(numeric, 90)]
    for jid, seconds in checks:
        run_at = utc_ts(job(db, jid)["run_at"])
        assert before + seconds - 0.01 <= run_at <= after + seconds + 0.01, (jid, run_at - before)
    past = enqueue(db, command="true", run_at="2001-02-03T04:05:06+00:00")
    assert job(db, past)["run_at"].startswith("2001-02-03T04:05:06")
    flag_args = ["--command", "true", "--run-at", "2030-01-02T03:04:05+01:00"]
    flagged = run_cli("enqueue", *flag_args, db=db).stdout.strip()
    assert job(db, flagged)["run_at"].startswith("2030-01-02T02:04:05")
    worker = start_workers(db, 1)
    wait_until(lambda: job(db, past)["state"] == "completed", 10, message="past run_at runs now")
    assert all(job(db, j)["state"] == "pending" for j in [*ids.values(), numeric, flagged])
    worker.signal_group(signal.SIGTERM)
    assert worker.wait(15) == 0
