"""Fuzzing: the enqueue parser, the JSON Lines reader and config values under generated input.

Only two outcomes are allowed: ``InvalidInput`` with a clean one-line message, or a valid spec
(or value) that the store then accepts. Any other exception is a bug.
"""

from __future__ import annotations

import asyncio
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from queuectl_core.config import KEYS, Config, check_combination, normalize_key, parse_value
from queuectl_core.errors import DuplicateJob, InvalidInput
from queuectl_core.models import JobSpec
from queuectl_core.store.open import open_store
from queuectl_core.validation import QUEUE_RE, parse_job, parse_lines

from .fuzz_strategies import config_keys, config_values, encode, job_objects, raw_text
from .test_store_properties import postgres_url, require_postgres, sqlite_url


def many(count: int) -> settings:
    """``count`` examples, no deadline, no example database written into the checkout."""
    return settings(
        max_examples=count,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )


def assert_clean(exc: InvalidInput) -> None:
    message = str(exc)
    assert message and "\n" not in message and "\r" not in message, repr(message)
    assert len(message) < 2000, len(message)
    message.encode("utf-8")  # printable on any UTF-8 terminal: no lone surrogates


def utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def assert_valid(spec: JobSpec) -> None:
    """A spec the parser accepted must be storable and runnable as docs/CLI.md describes."""
    assert isinstance(spec.command, str) and spec.command.strip() and utf8(spec.command)
    assert "\0" not in spec.command
    if spec.id is not None:
        assert 1 <= len(spec.id) <= 200 and utf8(spec.id)
        assert not any(ch.isspace() or ord(ch) < 32 for ch in spec.id)
    assert QUEUE_RE.fullmatch(spec.queue)
    assert isinstance(spec.priority, int) and -(2**31) <= spec.priority < 2**31
    assert spec.max_retries is None or 0 <= spec.max_retries <= 10**9
    assert spec.delay is None or (math.isfinite(spec.delay) and spec.delay >= 0)
    assert spec.timeout is None or (math.isfinite(spec.timeout) and spec.timeout > 0)
    assert spec.run_at is None or math.isfinite(spec.run_at)
    for name, value in spec.env.items():
        assert isinstance(name, str) and isinstance(value, str)
        assert name and "=" not in name and utf8(name) and utf8(value)
    assert spec.cwd is None or (isinstance(spec.cwd, str) and spec.cwd and utf8(spec.cwd))


def parse_or_reject(text: str) -> JobSpec | None:
    try:
        spec = parse_job(text)
    except InvalidInput as exc:
        assert_clean(exc)
        return None
    assert_valid(spec)
    return spec


@many(600)
@given(raw_text)
def test_parse_job_raw_text(text: str) -> None:
    parse_or_reject(text)


ACCEPTED: list[JobSpec] = []


@many(1000)
@given(job_objects(), st.booleans())
def test_parse_job_objects(obj: dict[str, Any], ascii_only: bool) -> None:
    spec = parse_or_reject(encode(obj, ascii_only))
    if spec is not None and len(ACCEPTED) < 400:
        ACCEPTED.append(spec)


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_accepted_specs_are_storable(tmp_path: Path, backend: str) -> None:
    """Whatever the parser accepted above, each store takes (one transaction per spec)."""
    specs = ACCEPTED or [parse_job('{"command": "true"}')]
    if backend == "postgres":
        require_postgres()

    async def go() -> int:
        url, cleanup = await (postgres_url() if backend == "postgres" else sqlite_url())
        store = await open_store(url)
        stored = 0
        try:
            for spec in specs:
                try:
                    await store.enqueue([spec])
                    stored += 1
                except DuplicateJob:
                    continue
                except Exception as exc:
                    raise AssertionError(f"{spec!r}: {type(exc).__name__}: {exc}") from None
            assert await store.count_jobs() == stored
        finally:
            await store.close()
            await cleanup()
        return stored

    assert asyncio.run(go()) >= 1


@many(100)
@given(st.lists(st.one_of(raw_text, job_objects().map(lambda o: encode(o, True))), max_size=8))
def test_parse_lines_names_the_first_bad_line(lines: list[str]) -> None:
    text_lines = "\n".join(lines).splitlines()
    first_bad = None
    for number, line in enumerate(text_lines, start=1):
        if line.strip() and parse_or_reject(line) is None:
            first_bad = number
            break
    try:
        specs = list(parse_lines(text_lines))
    except InvalidInput as exc:
        assert_clean(exc)
        assert first_bad is not None and str(exc).startswith(f"line {first_bad}: "), str(exc)
        return
    assert first_bad is None
    assert len(specs) == sum(1 for line in text_lines if line.strip())


@many(200)
@given(st.binary(max_size=200) | raw_text.map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_jsonl_file_reader(tmp_path_factory: Any, data: bytes) -> None:
    from queuectl_core.cli.enqueue import collect_specs

    path = tmp_path_factory.mktemp("jsonl") / "jobs.jsonl"
    path.write_bytes(data)
    flags: dict[str, Any] = dict.fromkeys(
        ("command", "id", "priority", "max_retries", "timeout", "delay", "run_at", "queue"), None
    )
    flags.update(env=(), cwd=None)
    try:
        specs = collect_specs(None, str(path), flags)
    except InvalidInput as exc:
        assert_clean(exc)
        return
    assert specs
    for spec in specs:
        assert_valid(spec)


@many(1500)
@given(config_keys, config_values)
def test_config_key_and_value(name: str, text: str) -> None:
    try:
        key = normalize_key(name)
    except InvalidInput as exc:
        assert_clean(exc)
        assert name.strip().lower().replace("-", "_") not in KEYS
        return
    try:
        value = parse_value(key, text)
    except InvalidInput as exc:
        assert_clean(exc)
        return
    assert isinstance(value, key.kind) or (key.kind is float and isinstance(value, int))
    assert math.isfinite(value) and value >= key.minimum
    # Every accepted value must fit the stores' integer columns and the event loop's timers.
    assert value <= 1e9, (key.name, text, value)
    config = Config.from_raw({key.name: text})
    assert getattr(config, key.name) == value
    try:
        check_combination(config)
    except InvalidInput as exc:
        assert_clean(exc)


@many(100)
@given(config_keys, config_values)
def test_config_set_in_store(tmp_path_factory: Any, name: str, text: str) -> None:
    """Through the store: a refused value changes nothing; an accepted one leaves it usable."""

    async def go(path: Path) -> None:
        store = await open_store(str(path))
        try:
            before = await store.get_config()
            try:
                after = await store.set_config(name, text)
            except InvalidInput as exc:
                assert_clean(exc)
                assert await store.get_config() == before
                return
            assert await store.get_config() == after
            await store.enqueue([parse_job('{"command": "true"}')])
            claimed = await store.claim("w", None, 1, after.lease_timeout)
            assert len(claimed) == 1
        finally:
            await store.close()

    asyncio.run(go(tmp_path_factory.mktemp("cfg") / "q.db"))
