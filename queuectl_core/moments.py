"""Stored values as safe model values, and timestamps as ISO-8601 text.

A store can hold anything in its time and number columns (a row written by an older build, by
hand, or by another tool): a year-275817 ``run_at``, ``Infinity``, text in a REAL column. Every
row becomes a model through these functions, so no read path (CLI, JSON, console) meets a value
it cannot format: timestamps are clamped into the years 1..9999 that ``datetime`` represents,
non-numbers become ``None`` (or a default where the model needs a value).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

#: 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z: the range ``datetime`` can format.
MIN_EPOCH = -62135596800.0
MAX_EPOCH = 253402300799.0


def _finite(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:  # an int beyond float range
        number = math.copysign(math.inf, value)
    return None if math.isnan(number) else number


def moment(value: object) -> float | None:
    """A stored timestamp clamped into the representable range; ``None`` for non-numbers."""
    if type(value) is float and MIN_EPOCH <= value <= MAX_EPOCH:
        return value  # what every row queuectl writes holds (NaN fails the comparison)
    number = _finite(value)
    if number is None:
        return None
    return min(MAX_EPOCH, max(MIN_EPOCH, number))


def moment_or(value: object, default: float = 0.0) -> float:
    """``moment`` for a column the model requires."""
    if type(value) is float and MIN_EPOCH <= value <= MAX_EPOCH:
        return value
    found = moment(value)
    return default if found is None else found


def seconds(value: object) -> float | None:
    """A stored duration in seconds: finite, else ``None``."""
    if value is None:
        return None
    number = _finite(value)
    return number if number is not None and math.isfinite(number) else None


def integer(value: object) -> int | None:
    """A stored integer (a float column value is truncated); ``None`` for non-numbers."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    number = seconds(value)
    return None if number is None else int(number)


def integer_or(value: object, default: int = 0) -> int:
    if type(value) is int:
        return value
    found = integer(value)
    return default if found is None else found


def text(value: object) -> str | None:
    """A stored text value (bytes decoded with replacement)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def iso(value: float | None) -> str | None:
    """ISO-8601 UTC with a Z, millisecond precision; any number (clamped), ``None`` for none."""
    clamped = moment(value)
    if clamped is None:
        return None
    stamp = datetime.fromtimestamp(clamped, UTC).isoformat(timespec="milliseconds")
    return stamp.replace("+00:00", "Z")
