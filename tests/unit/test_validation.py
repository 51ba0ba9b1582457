"""Enqueue input and config values: valid forms accepted, invalid ones rejected in one line."""

from datetime import UTC, datetime

import pytest

from queuectl_core.config import Config, check_combination, normalize_key, parse_value
from queuectl_core.errors import InvalidInput
from queuectl_core.time_input import parse_duration, parse_time
from queuectl_core.validation import parse_job, parse_lines


def test_defaults_and_aliases() -> None:
    spec = parse_job('{"command": "true", "timeout_seconds": 5}')
    assert spec.command == "true"
    assert spec.timeout == 5.0 and spec.timeout_given
    assert spec.queue == "default" and spec.priority == 0 and spec.max_retries is None


@pytest.mark.parametrize(
    ("text", "seconds"), [("30s", 30), ("5m", 300), ("2h", 7200), ("1d", 86400), (1.5, 1.5)]
)
def test_durations(text: object, seconds: float) -> None:
    assert parse_duration(text) == seconds


def test_run_at_forms() -> None:
    moment = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC).timestamp()
    assert parse_time("2030-01-02T03:04:05Z") == moment
    assert parse_time("2030-01-02T05:04:05+02:00") == moment
    assert parse_time(int(moment * 1000)) == moment
    naive = datetime(2030, 1, 2, 3, 4, 5).timestamp()  # local time
    assert parse_time("2030-01-02T03:04:05") == naive


@pytest.mark.parametrize(
    "text",
    [
        "{",
        "[]",
        '"x"',
        "{}",
        '{"command": ""}',
        '{"command": "  "}',
        '{"command": 5}',
        '{"command": "x", "bogus": 1}',
        '{"command": "x", "max_retries": -1}',
        '{"command": "x", "max_retries": 1.5}',
        '{"command": "x", "max_retries": true}',
        '{"command": "x", "priority": "high"}',
        '{"command": "x", "timeout": 0}',
        '{"command": "x", "timeout": -1}',
        '{"command": "x", "timeout": NaN}',
        '{"command": "x", "run_at": "tomorrow"}',
        '{"command": "x", "delay": "5 weeks"}',
        '{"command": "x", "queue": "no spaces"}',
        '{"command": "x", "id": "has space"}',
        '{"command": "x", "id": ""}',
        '{"command": "x", "env": {"A": 1}}',
        '{"command": "x", "env": []}',
        '{"command": "x", "run_at": 1, "delay": 1}',
    ],
)
def test_bad_jobs_rejected_in_one_line(text: str) -> None:
    with pytest.raises(InvalidInput) as info:
        parse_job(text)
    assert "\n" not in str(info.value) and str(info.value)


def test_jsonl_error_names_the_line() -> None:
    lines = ['{"command": "a"}', "", '{"command": "b"}', '{"command": 3}']
    with pytest.raises(InvalidInput, match="line 4"):
        list(parse_lines(lines))


def test_config_keys_and_values() -> None:
    assert normalize_key("max-retries").name == "max_retries"
    assert parse_value(normalize_key("backoff_base"), "1.5") == 1.5
    for key, value in [("max_retries", "-1"), ("max_retries", "2.5"), ("lease_timeout", "x")]:
        with pytest.raises(InvalidInput):
            parse_value(normalize_key(key), value)
    with pytest.raises(InvalidInput):
        normalize_key("nope")
    with pytest.raises(InvalidInput):
        check_combination(Config(heartbeat_interval=10, lease_timeout=5))


def test_backoff_is_base_to_the_n_capped() -> None:
    config = Config(backoff_base=2, backoff_max=5)
    assert [config.backoff(n) for n in (1, 2, 3, 4)] == [2, 4, 5, 5]
    assert Config(backoff_base=10, backoff_max=60).backoff(10_000) == 60
