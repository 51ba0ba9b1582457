"""Fuzzing through the real ``queuectl`` binary: a sample of generated bad input.

Each rejected input must exit 2 with exactly one line on stderr, no traceback, and leave the
store byte-for-byte as it was (jobs and config rows compared before and after).
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from helpers import QUEUECTL, cli_env, run_cli
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from queuectl_core.config import normalize_key, parse_value
from queuectl_core.errors import InvalidInput
from queuectl_core.validation import parse_job, parse_lines

from .fuzz_strategies import config_keys, config_values, encode, job_objects, raw_text
from .support import read_rows

SAMPLE = settings(
    max_examples=10,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def snapshot(db: Path) -> tuple[list[Any], list[Any]]:
    return (
        read_rows(db, "SELECT * FROM jobs ORDER BY seq"),
        read_rows(db, "SELECT * FROM config ORDER BY key"),
    )


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("fuzzcli") / "queue.db"
    run_cli("enqueue", '{"id": "keep-1", "command": "true"}', db=db)
    run_cli("enqueue", "--command", "echo keep", "--id", "keep-2", db=db)
    run_cli("config", "set", "max-retries", "5", db=db)
    return db


def argv_safe(text: str) -> bool:
    """What a shell can pass as one argument: no NUL, encodable to the filesystem encoding."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\0" not in text and not text.startswith("-")


def rejected(text: str) -> bool:
    try:
        parse_job(text)
    except InvalidInput:
        return True
    return False


def assert_refused(result: subprocess.CompletedProcess[str], db: Path, before: object) -> None:
    detail = f"args={result.args!r} rc={result.returncode} stderr={result.stderr!r}"
    assert result.returncode == 2, detail
    assert "Traceback" not in result.stderr + result.stdout, detail
    assert result.stdout == "", detail
    message = result.stderr.strip()
    assert message.startswith("queuectl: error: ") and "\n" not in message, detail
    assert snapshot(db) == before, "the store changed"


@SAMPLE
@given(st.one_of(raw_text, job_objects().map(lambda o: encode(o, False))))
def test_enqueue_argument(seeded: Path, text: str) -> None:
    assume(argv_safe(text) and text != "-" and rejected(text))
    before = snapshot(seeded)
    assert_refused(run_cli("enqueue", text, db=seeded, check=False), seeded, before)


@settings(SAMPLE, max_examples=6)
@given(st.lists(job_objects().map(lambda o: encode(o, True)), min_size=1, max_size=5))
def test_enqueue_jsonl_stdin(seeded: Path, lines: list[str]) -> None:
    try:
        list(parse_lines(lines))
    except InvalidInput:
        pass
    else:
        assume(False)
    before = snapshot(seeded)
    result = run_cli("enqueue", "-", db=seeded, input="\n".join(lines) + "\n", check=False)
    assert_refused(result, seeded, before)


@SAMPLE
@given(config_keys, config_values)
def test_config_set(seeded: Path, key: str, value: str) -> None:
    assume(argv_safe(key) and argv_safe(value) and key.strip())
    try:
        parse_value(normalize_key(key), value)
    except InvalidInput:
        pass
    else:
        assume(False)
    before = snapshot(seeded)
    assert_refused(run_cli("config", "set", key, value, db=seeded, check=False), seeded, before)


@pytest.mark.parametrize(
    "args",
    [
        ["list", "--search"],
        ["show"],
        ["logs"],
        ["cancel"],
        ["dlq", "retry"],
        ["enqueue", "--command"],
        ["enqueue", "--command", "true", "--id"],
        ["config", "get"],
    ],
)
def test_undecodable_argument_bytes(seeded: Path, args: list[str]) -> None:
    """Bytes that are not UTF-8 (a Latin-1 file name, a binary paste) as an argument."""
    before = snapshot(seeded)
    argv = [*(a.encode() for a in QUEUECTL), b"--db", bytes(seeded), *map(str.encode, args)]
    result = subprocess.run(
        [*argv, b"caf\xe9\xff"], capture_output=True, text=True, env=cli_env(), check=False
    )
    assert_refused(result, seeded, before)
