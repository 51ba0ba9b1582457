"""Whatever a store's time and number columns hold, every read command still answers.

Rows are written straight into a real SQLite file and a real PostgreSQL database, bypassing
validation (an older build, a hand edit, another tool), then read back through the real binary.
The timestamp fields are also fuzzed end to end: what ``enqueue`` accepts must read back.
"""

from __future__ import annotations

import asyncio
import json
import math
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from helpers import ISO_Z, cli_env, run_cli, start_workers
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from store.conftest import admin, pg_database_url, require_postgres

READS = [
    ["list"],
    ["list", "--json"],
    ["show", "dead1"],
    ["show", "dead1", "--json"],
    ["show", "wait1"],
    ["show", "wait1", "--json"],
    ["status"],
    ["status", "--json"],
    ["dlq", "list"],
    ["dlq", "list", "--json"],
    ["metrics"],
    ["metrics", "--json"],
    ["logs", "dead1"],
    ["failures"],
    ["failures", "--json"],
    ["list", "--error", "exit", "--exit-code", "3", "--since", "1d", "--until", "0s"],
    ["retry", "--state", "dead", "--dry-run"],
]
JOB_TIMES = ["run_at", "created_at", "updated_at", "started_at", "finished_at", "lease_expires_at"]
JOB_NUMBERS = ["priority", "attempts", "max_retries", "exit_code", "runs"]
SAMPLE = settings(
    max_examples=8,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def seed(store: str, logs: Path) -> None:
    """A dead job with an attempt and output, and a pending one."""
    run_cli("enqueue", '{"id": "dead1", "command": "echo out; exit 3", "max_retries": 0}', db=store)
    start_workers(None, 1, "--drain", env=cli_env(store), cwd=logs).wait(60)
    run_cli("enqueue", '{"id": "wait1", "command": "true", "delay": "1h"}', db=store)


def assert_reads(store: str) -> None:
    for args in READS:
        result = run_cli(*args, db=store, check=False)
        detail = f"{args}: rc={result.returncode} stderr={result.stderr!r}"
        assert result.returncode == 0, detail
        assert "Traceback" not in result.stderr and "internal error" not in result.stderr, detail
        if "--json" in args:
            document = json.loads(result.stdout, parse_constant=_no_constants)
            for stamp in _timestamps(document):
                assert ISO_Z.fullmatch(stamp), f"{args}: {stamp!r}"


def _no_constants(name: str) -> Any:
    raise AssertionError(f"not JSON: {name}")


def _timestamps(document: object) -> Iterator[str]:
    if isinstance(document, dict):
        for key, value in document.items():
            if (key.endswith("_at") or key == "last_heartbeat") and value is not None:
                yield value
            else:
                yield from _timestamps(value)
    elif isinstance(document, list):
        for item in document:
            yield from _timestamps(item)


# --- SQLite -------------------------------------------------------------------------------------

SQLITE_VALUES: list[object] = [
    1e308,
    -1e308,
    math.inf,
    -math.inf,
    2**63 - 1,
    -(2**63),
    "not a time",
    b"\xff\x00",
    8_640_000_000_000.0,  # year 275817: the value `--delay 99999999d` used to store
]


def sqlite_poison(db: Path, value: object) -> None:
    conn = sqlite3.connect(db)
    try:
        # Attempts first: a bigger ``runs`` makes the claim trigger open one more attempt row.
        for column in ["attempt", "started_at", "finished_at", "exit_code"]:
            conn.execute(f"UPDATE attempts SET {column} = ?", (value,))
        for column in JOB_TIMES + JOB_NUMBERS + ["timeout"]:
            conn.execute(f"UPDATE jobs SET {column} = ?", (value,))
        conn.execute(
            "INSERT OR REPLACE INTO workers"
            " (id, host, pid, slots, queues, started_at, heartbeat_at)"
            " VALUES ('w-hostile', 'elsewhere', ?, ?, '[]', ?, ?)",
            (value, value, value, value),
        )
        conn.commit()
    finally:
        conn.close()


@pytest.fixture
def seeded_db(db: Path) -> Path:
    seed(str(db), db.parent)
    return db


@pytest.mark.parametrize("value", SQLITE_VALUES, ids=repr)
def test_sqlite_hostile_values(seeded_db: Path, value: object) -> None:
    sqlite_poison(seeded_db, value)
    assert_reads(str(seeded_db))


def test_sqlite_unknown_state_reads_as_dead(seeded_db: Path) -> None:
    conn = sqlite3.connect(seeded_db)
    with conn:
        conn.execute("UPDATE jobs SET state = 'zzz' WHERE id = 'wait1'")
    conn.close()
    assert_reads(str(seeded_db))
    shown = json.loads(run_cli("show", "wait1", "--json", db=str(seeded_db)).stdout)
    assert shown["state"] == "dead"


def test_sqlite_null_in_optional_columns(seeded_db: Path) -> None:
    conn = sqlite3.connect(seeded_db)
    with conn:
        conn.execute(
            "UPDATE jobs SET started_at = NULL, exit_code = NULL, timeout = NULL, finished_at = 'x'"
        )
    conn.close()
    assert_reads(str(seeded_db))


# --- PostgreSQL ---------------------------------------------------------------------------------

PG_VALUES = ["Infinity", "-Infinity", "NaN", "1e308", "-1e308", "8640000000000"]


@pytest.fixture
def pg_store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    asyncio.run(require_postgres())
    name = f"queuectl_hostile_{uuid.uuid4().hex[:12]}"
    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    url = pg_database_url(name)
    monkeypatch.setenv("QUEUECTL_DB", url)
    try:
        seed(url, tmp_path)
        yield url
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _pg_poison(url: str, value: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("SET search_path = queuectl")
        for column in [*JOB_TIMES, "timeout"]:
            await conn.execute(f"UPDATE jobs SET {column} = $1::text::float8", value)
        for column in ["started_at", "finished_at"]:
            await conn.execute(f"UPDATE attempts SET {column} = $1::text::float8", value)
        await conn.execute("UPDATE jobs SET priority = 2147483647, exit_code = -2147483648")
        await conn.execute(
            "INSERT INTO workers (id, host, pid, slots, queues, started_at, heartbeat_at) "
            "VALUES ('w-hostile', 'elsewhere', 2147483647, -1, '[]', $1::text::float8, 'Infinity')",
            value,
        )
    finally:
        await conn.close()


@pytest.mark.postgres
@pytest.mark.parametrize("value", PG_VALUES)
def test_postgres_hostile_values(pg_store: str, value: str) -> None:
    asyncio.run(_pg_poison(pg_store, value))
    assert_reads(pg_store)


# --- fuzzing the timestamp fields end to end ----------------------------------------------------

run_at_values = st.one_of(
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False),
    st.from_regex(r"\d{1,22}", fullmatch=True),
    st.datetimes().map(lambda d: d.isoformat()),
    st.sampled_from(["9999-12-31T23:59:59Z", "0001-01-01T00:00:00+01:00", "10000-01-01", "0"]),
)
delay_values = st.one_of(
    st.integers(min_value=0, max_value=10**20),
    st.floats(min_value=0, allow_nan=False),
    st.builds(
        lambda n, unit: f"{n}{unit}",
        st.integers(min_value=0, max_value=10**12),
        st.sampled_from(["", "s", "m", "h", "d"]),
    ),
)


@pytest.fixture(scope="module")
def fuzz_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hostile") / "queue.db"


def _enqueue_then_read(db: Path, field: str, value: object, flag: list[str]) -> None:
    job_id = f"j{uuid.uuid4().hex[:10]}"
    as_json = run_cli(
        "enqueue", json.dumps({"id": job_id, "command": "true", field: value}), db=db, check=False
    )
    as_flag = run_cli("enqueue", "--command", "true", *flag, db=db, check=False)
    for result in (as_json, as_flag):
        assert result.returncode in (0, 2), result.stderr
        assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    shown = run_cli("show", job_id, "--json", db=db, check=False)
    if as_json.returncode == 0:
        assert ISO_Z.fullmatch(json.loads(shown.stdout)["run_at"])
    listed = run_cli("list", "--json", db=db)
    assert all(ISO_Z.fullmatch(job["run_at"]) for job in json.loads(listed.stdout))


@SAMPLE
@given(run_at_values)
def test_fuzz_run_at(fuzz_db: Path, value: object) -> None:
    _enqueue_then_read(fuzz_db, "run_at", value, ["--run-at", str(value)])


@SAMPLE
@given(delay_values)
def test_fuzz_delay(fuzz_db: Path, value: object) -> None:
    _enqueue_then_read(fuzz_db, "delay", value, ["--delay", str(value)])


@pytest.mark.parametrize(
    "args",
    [
        ["--delay", "99999999d"],
        ["--delay", "3000000d"],
        ["--run-at", "253402300800000"],
        ["--run-at", "9999-12-31T23:59:59-01:00"],
    ],
)
def test_out_of_range_times_are_refused(db: Path, args: list[str]) -> None:
    result = run_cli("enqueue", "--command", "true", *args, db=db, check=False)
    assert result.returncode == 2 and "year" in result.stderr, result.stderr
    assert not db.exists()  # refused before the store was even opened
