"""When a schedule fires: cron expressions (croniter) or fixed intervals, in a time zone.

Pure functions over ``Rule`` values, no store: the stores call ``following`` inside the
transaction that claims a fire, the CLI calls the parsers, the console calls ``describe``.
croniter, cron-descriptor and zoneinfo are imported on first use: every store opens this module, and
``queuectl enqueue`` should not pay ~35 ms for a cron parser it never uses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from functools import lru_cache

from queuectl_core.errors import InvalidInput, spell
from queuectl_core.present import span
from queuectl_core.time_input import parse_duration

#: The zone of a schedule given no ``--tz``: UTC, so every host of a fleet agrees (DECISIONS.md).
DEFAULT_ZONE = "UTC"
#: The shortest ``--every``: firing is claimed through the store, about a millisecond's work.
MIN_EVERY = 1.0
#: The nicknames croniter accepts, spelled out for cron-descriptor, which knows none of them.
ALIASES = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}


@dataclass(frozen=True, slots=True)
class Rule:
    """A schedule's recurrence: exactly one of ``cron`` and ``every`` (seconds) is set."""

    cron: str | None
    every: float | None
    tz: str = DEFAULT_ZONE


def parse_cron(text: str) -> str:
    """A five-field cron expression or an @-nickname that fires at least once; else InvalidInput."""
    from croniter import CroniterBadDateError, CroniterError, croniter

    expression = " ".join(text.split())
    spelled = ALIASES.get(expression.lower(), expression)
    if len(spelled.split()) != 5 or not croniter.is_valid(spelled):
        raise InvalidInput(
            f"bad cron expression {spell(text)}: want minute hour day month weekday"
            " (e.g. '*/5 * * * *') or @hourly, @daily, @weekly, @monthly, @yearly"
        )
    try:
        croniter(spelled, datetime.now(UTC)).get_next(float)
    except (CroniterBadDateError, CroniterError):
        raise InvalidInput(f"cron expression {spell(text)} never fires") from None
    return expression


def parse_every(text: str) -> float:
    """Seconds from ``90``, ``30s``, ``5m``, ``2h``, ``1d``: at least one second."""
    seconds = parse_duration(text, "--every")
    if seconds < MIN_EVERY:
        raise InvalidInput(f"--every must be at least 1s, got {spell(text)}")
    if seconds > 366 * 86400:
        raise InvalidInput(f"--every must be at most a year, got {spell(text)}")
    return seconds


def parse_zone(name: str) -> str:
    """An IANA time zone name (``Europe/Paris``, ``UTC``); else InvalidInput."""
    try:
        _zone(name)
    except (ValueError, OSError, KeyError):  # ZoneInfoNotFoundError is a KeyError
        raise InvalidInput(f"unknown time zone {spell(name)}") from None
    return name


@lru_cache(maxsize=64)
def _zone(name: str) -> tzinfo:
    if name == "UTC":
        return UTC  # whether or not the system has tzdata
    if not name or name.strip() != name:
        raise ValueError(name)
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


def first(rule: Rule, now: float) -> float:
    """The first fire time strictly after ``now`` (a new or resumed schedule)."""
    if rule.every is not None:
        return now + _interval(rule.every)
    return _cron_after(rule, now)


def following(rule: Rule, due: float, now: float) -> float:
    """After firing the fire time ``due`` at ``now``: the next fire time strictly after ``now``.

    Fire times missed meanwhile are skipped, not queued: one catch-up job, never a burst.
    Intervals keep their grid (``due`` plus whole periods), so a late fire does not drift.
    """
    if rule.every is not None:
        period = _interval(rule.every)
        if not math.isfinite(due) or due > now:
            return now + period
        return due + period * (math.floor((now - due) / period) + 1)
    return _cron_after(rule, now)


def _interval(every: float) -> float:
    if not math.isfinite(every) or every < MIN_EVERY:
        raise ValueError(f"bad interval {every!r}")
    return every


def _cron_after(rule: Rule, now: float) -> float:
    if rule.cron is None:
        raise ValueError("a rule needs cron or every")
    from croniter import CroniterError, croniter

    spelled = ALIASES.get(rule.cron.lower(), rule.cron)
    try:
        zone = _zone(rule.tz)
    except (ValueError, OSError, KeyError):
        raise ValueError(f"unknown time zone {rule.tz!r}") from None
    start = datetime.fromtimestamp(now, zone)
    try:
        return float(croniter(spelled, start).get_next(float))
    except (CroniterError, KeyError) as exc:
        raise ValueError(f"bad cron expression {rule.cron!r}: {exc}") from None


def expression(rule: Rule) -> str:
    """The rule as typed: the cron expression, or ``every 30s``."""
    if rule.cron is not None:
        return rule.cron
    return f"every {_every_text(rule.every)}"


def describe(rule: Rule) -> str:
    """In words: "Every 5 minutes", "At 09:00, Monday through Friday (Europe/Paris)"."""
    if rule.cron is None:
        return f"every {_every_text(rule.every)}"
    from cron_descriptor import Options, get_description

    spelled = ALIASES.get(rule.cron.lower(), rule.cron)
    # An explicit locale: without one cron-descriptor guesses it, and warns when it cannot.
    options = Options(locale_code="en_US", use_24hour_time_format=True)
    try:
        words = get_description(spelled, options)
    except Exception:  # any stored text must describe itself somehow
        words = rule.cron
    return words if rule.tz == DEFAULT_ZONE else f"{words} ({rule.tz})"


def _every_text(every: float | None) -> str:
    if every is None or not math.isfinite(every) or every <= 0:
        return "?"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if every >= size and every % size == 0:
            return f"{int(every // size)}{unit}"
    if every.is_integer():
        return f"{int(every)}s"
    return span(every)
