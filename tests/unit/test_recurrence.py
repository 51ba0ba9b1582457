"""Recurrence rules without a store: parsing, next fire times, descriptions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from queuectl_core.errors import InvalidInput
from queuectl_core.recurrence import (
    Rule,
    describe,
    expression,
    first,
    following,
    parse_cron,
    parse_every,
    parse_zone,
)


def _at(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


@pytest.mark.parametrize("text", ["*/5 * * * *", "0 9 * * mon-fri", "@daily", "  0  3 * * *  "])
def test_good_cron_expressions(text: str) -> None:
    assert parse_cron(text) == " ".join(text.split())


@pytest.mark.parametrize(
    "text", ["", "* * *", "* * * * * *", "61 * * * *", "@often", "0 0 30 2 *", "x y z a b"]
)
def test_bad_cron_expressions(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_cron(text)


@pytest.mark.parametrize(("text", "seconds"), [("1", 1.0), ("30s", 30.0), ("5m", 300.0)])
def test_intervals(text: str, seconds: float) -> None:
    assert parse_every(text) == seconds


@pytest.mark.parametrize("text", ["0", "0.5s", "soon", "-1", "400d"])
def test_bad_intervals(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_every(text)


def test_zones() -> None:
    assert parse_zone("Europe/Paris") == "Europe/Paris"
    for bad in ("", "Mars/Olympus", " UTC", "../etc/passwd"):
        with pytest.raises(InvalidInput):
            parse_zone(bad)


def test_intervals_keep_their_grid_and_skip_what_was_missed() -> None:
    rule = Rule(None, 10.0)
    assert first(rule, 100.0) == 110.0
    assert following(rule, 110.0, 110.004) == 120.0
    assert following(rule, 110.0, 175.0) == 180.0  # six fire times missed: the next future one
    assert following(rule, 110.0, 180.0) == 190.0  # strictly after now


def test_cron_follows_its_zone_across_daylight_saving() -> None:
    rule = Rule("0 9 * * *", None, "Europe/Paris")
    winter = _at("2027-03-26T12:00:00")  # Paris is UTC+1 until the 28th
    assert following(rule, winter, winter) == _at("2027-03-27T08:00:00")
    assert following(rule, winter, _at("2027-03-27T08:00:00")) == _at("2027-03-28T07:00:00")


def test_descriptions() -> None:
    assert describe(Rule("*/5 * * * *", None)) == "Every 5 minutes"
    assert describe(Rule("@hourly", None)) == "Every hour"
    assert describe(Rule("0 9 * * 1-5", None, "Europe/Paris")).endswith("(Europe/Paris)")
    assert describe(Rule(None, 90.0)) == "every 90s"
    assert describe(Rule(None, 7200.0)) == "every 2h"
    assert expression(Rule(None, 30.0)) == "every 30s"
    assert describe(Rule("not cron at all", None)) == "not cron at all"  # stored text: no crash
    assert describe(Rule(None, None)) == "every ?"
