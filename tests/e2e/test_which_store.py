"""Which store: reads never create one, unknown schemes are refused, ``status`` names it,
``--db`` goes before or after the subcommand, and shell completion reads it."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

import asyncpg
import pytest
from helpers import assert_one_line_error, cli_env, cli_json, run_cli
from store.conftest import admin, pg_database_url, require_postgres

READS = [
    ["status"],
    ["status", "--json"],
    ["list"],
    ["list", "--json"],
    ["show", "x"],
    ["logs", "x"],
    ["dlq", "list"],
    ["metrics"],
    ["config", "list"],
    ["config", "get", "max_retries"],
    ["wait", "x", "--timeout", "1"],
    ["logs", "x", "--follow"],
    ["cancel", "x"],
    ["retry", "x"],
    ["purge", "--older-than", "1d"],
]


@pytest.mark.parametrize("args", READS, ids=" ".join)
def test_reads_never_create_a_store(tmp_path: Path, args: list[str]) -> None:
    typo = tmp_path / "sub" / "qeue.db"
    result = run_cli(*args, db=typo, check=False)
    assert_one_line_error(result, 1)
    assert f"no queue at {typo}" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_an_empty_file_is_no_queue_either(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    assert_one_line_error(run_cli("list", db=empty, check=False), 1)
    assert empty.stat().st_size == 0 and sorted(p.name for p in tmp_path.iterdir()) == ["empty.db"]


def test_worker_stop_without_a_store_has_nothing_to_stop(tmp_path: Path) -> None:
    result = run_cli("worker", "stop", db=tmp_path / "none.db")
    assert "no workers running" in result.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("url", ["mysql://x/y", "redis://localhost:6379/0", "HTTP://a/b"])
def test_unknown_url_scheme_is_exit_2_and_creates_nothing(tmp_path: Path, url: str) -> None:
    for args in (["status"], ["enqueue", "--command", "true"], ["worker", "start", "--drain"]):
        result = run_cli(*args, db=url, cwd=tmp_path, check=False)
        assert_one_line_error(result, 2)
        assert "unknown store URL scheme" in result.stderr
        env_result = run_cli(*args, env=cli_env(url), cwd=tmp_path, check=False)
        assert_one_line_error(env_result, 2)
    assert list(tmp_path.iterdir()) == []


def test_status_names_the_store(db: Path) -> None:
    run_cli("enqueue", "--command", "true", db=db)
    assert cli_json("status", db=db)["store"] == str(db)
    assert run_cli("status", db=db).stdout.splitlines()[0] == f"store: {db}"


def test_db_after_the_subcommand(tmp_path: Path) -> None:
    first, second = tmp_path / "one.db", tmp_path / "two.db"
    run_cli("enqueue", "--command", "true", "--id", "a", "--db", str(first))
    run_cli("enqueue", "--db", str(second), "--command", "true", "--id", "b")
    assert [j["id"] for j in json.loads(run_cli("list", "--json", "--db", str(first)).stdout)] == [
        "a"
    ]
    # After the subcommand wins over before it, and over QUEUECTL_DB.
    after = run_cli("--db", str(first), "show", "b", "--json", "--db", str(second)).stdout
    assert json.loads(after)["id"] == "b"
    env = cli_env(first)
    assert json.loads(run_cli("list", "--json", env=env).stdout)[0]["id"] == "a"
    nested = run_cli("config", "set", "max_retries", "7", "--db", str(second))
    assert nested.stdout.strip() == "max_retries = 7"
    assert run_cli("config", "get", "max-retries", env=cli_env(second)).stdout.strip() == "7"


def test_completion_offers_job_ids_and_config_keys(db: Path) -> None:
    for job_id in ("build-1", "build-2", "deploy-1"):
        run_cli("enqueue", "--command", "true", "--id", job_id, db=db)

    def complete(*words: str) -> list[str]:
        env = cli_env(
            db,
            {
                "_QUEUECTL_COMPLETE": "bash_complete",
                "COMP_WORDS": " ".join(["queuectl", *words]),
                "COMP_CWORD": str(len(words)),
            },
        )
        return sorted(line.split(",", 1)[1] for line in run_cli(env=env).stdout.splitlines())

    assert complete("show", "bu") == ["build-1", "build-2"]
    assert complete("retry", "build-1", "de") == ["deploy-1"]
    assert complete("config", "get", "max-") == ["max_retries"]
    assert complete("config", "set", "le") == ["lease_timeout"]
    assert complete("list", "--state", "ru") == ["running"]


def test_completion_without_a_store_offers_nothing_and_creates_nothing(tmp_path: Path) -> None:
    env = cli_env(
        tmp_path / "none.db",
        {"_QUEUECTL_COMPLETE": "bash_complete", "COMP_WORDS": "queuectl show b", "COMP_CWORD": "2"},
    )
    assert run_cli(env=env).stdout.strip() == ""
    assert list(tmp_path.iterdir()) == []


@pytest.mark.postgres
def test_postgres_read_of_an_empty_database_creates_no_schema() -> None:
    asyncio.run(require_postgres())
    name = f"queuectl_e2e_{uuid.uuid4().hex[:12]}"
    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    url = pg_database_url(name)
    try:
        result = run_cli("status", db=url, check=False)
        assert_one_line_error(result, 1)
        assert "no queue at" in result.stderr

        async def schemas() -> list[str]:
            conn = await asyncpg.connect(url)
            try:
                return [r[0] for r in await conn.fetch("SELECT nspname FROM pg_namespace")]
            finally:
                await conn.close()

        assert "queuectl" not in asyncio.run(schemas())
        run_cli("enqueue", "--command", "true", db=url)
        assert cli_json("status", db=url)["store"] == url
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
