"""Config keys, defaults and validation. Values are persisted in the store."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from queuectl_core.errors import InvalidInput, spell
from queuectl_core.time_input import parse_duration


@dataclass(frozen=True, slots=True)
class Key:
    """One config key: type, default, lower bound and meaning."""

    name: str
    kind: type
    default: float | int
    minimum: float
    meaning: str
    exclusive_min: bool = False
    #: Far above any sensible setting; keeps values inside 64-bit store integers and timers.
    maximum: float = 1e9
    #: A number of seconds: also takes a duration (``90s``, ``5m``, ``2h``, ``1d``).
    seconds: bool = False


KEYS: dict[str, Key] = {
    k.name: k
    for k in (
        Key("max_retries", int, 3, 0, "retries after the first run, frozen onto jobs at enqueue"),
        Key("backoff_base", float, 2, 1, "retry n waits backoff_base ** n seconds"),
        Key(
            "backoff_max", float, 3600, 0, "cap on one backoff wait, in seconds", True, seconds=True
        ),
        Key(
            "default_timeout",
            float,
            0,
            0,
            "per-attempt wall-clock limit in seconds (0 = none)",
            seconds=True,
        ),
        Key(
            "output_limit", int, 1_048_576, 1024, "bytes kept per stream per attempt (head + tail)"
        ),
        Key(
            "poll_interval_ms", int, 500, 10, "idle workers re-check the store at least this often"
        ),
        Key(
            "heartbeat_interval",
            float,
            2,
            0,
            "seconds between worker heartbeats",
            True,
            seconds=True,
        ),
        Key(
            "lease_timeout",
            float,
            30,
            1,
            "seconds without heartbeat before a job is recovered",
            seconds=True,
        ),
        *(
            Key(
                f"retention_{state}",
                float,
                days * 86400,
                0,
                f"workers delete {state} jobs finished longer ago than this (0 = keep forever)",
                seconds=True,
            )
            for state, days in (("completed", 7), ("dead", 30), ("cancelled", 7))
        ),
    )
}


@dataclass(frozen=True, slots=True)
class Config:
    """Resolved config values."""

    max_retries: int = 3
    backoff_base: float = 2.0
    backoff_max: float = 3600.0
    default_timeout: float = 0.0
    output_limit: int = 1_048_576
    poll_interval_ms: int = 500
    heartbeat_interval: float = 2.0
    lease_timeout: float = 30.0
    retention_completed: float = 7 * 86400.0
    retention_dead: float = 30 * 86400.0
    retention_cancelled: float = 7 * 86400.0

    @classmethod
    def from_raw(cls, raw: dict[str, str]) -> Config:
        """Build from stored strings; unknown or unparsable stored values fall back to defaults."""
        values: dict[str, Any] = {}
        for name, text in raw.items():
            key = KEYS.get(name)
            if key is None:
                continue
            try:
                values[name] = parse_value(key, text)
            except InvalidInput:
                continue
        return cls(**values)

    def backoff(self, attempts: int) -> float:
        """Seconds to wait after failed attempt number ``attempts``."""
        try:
            delay = float(self.backoff_base**attempts)
        except OverflowError:
            delay = self.backoff_max
        return min(delay, self.backoff_max)


def normalize_key(name: str) -> Key:
    """Accept ``max-retries`` and ``max_retries``; reject unknown keys."""
    key = KEYS.get(name.strip().lower().replace("-", "_"))
    if key is None:
        known = ", ".join(KEYS)
        raise InvalidInput(f"unknown config key {spell(name)} (known: {known})")
    return key


def parse_value(key: Key, text: str) -> int | float:
    """Parse and range-check one value given as text (keys in seconds also take ``5m``)."""
    try:
        number = float(text)
    except (TypeError, ValueError):
        if not key.seconds or not isinstance(text, str):
            raise InvalidInput(f"{key.name} must be a number, got {text!r}") from None
        try:
            number = parse_duration(text, key.name)
        except InvalidInput:
            wanted = f"{key.name} must be seconds or a duration like '5m', got {text!r}"
            raise InvalidInput(wanted) from None
    if number != number or number in (float("inf"), float("-inf")):
        raise InvalidInput(f"{key.name} must be a finite number, got {text!r}")
    if key.kind is int:
        if not number.is_integer():
            raise InvalidInput(f"{key.name} must be a whole number, got {text!r}")
        number = int(number)
    if number < key.minimum or (key.exclusive_min and number == key.minimum):
        relation = ">" if key.exclusive_min else ">="
        raise InvalidInput(f"{key.name} must be {relation} {spell(key.minimum)}, got {text!r}")
    if number > key.maximum:
        raise InvalidInput(f"{key.name} must be <= {spell(key.maximum)}, got {text!r}")
    return number


def check_combination(config: Config) -> None:
    """A lease must outlive a heartbeat, or live jobs get stolen (3x or more is advisable)."""
    if config.lease_timeout <= config.heartbeat_interval:
        raise InvalidInput(
            "lease_timeout must be greater than heartbeat_interval "
            f"({config.lease_timeout:g} <= {config.heartbeat_interval:g})"
        )


def format_value(value: int | float) -> str:
    """Render without a trailing .0 for whole numbers."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
