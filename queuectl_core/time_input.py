"""Parse durations (``30s``, ``5m``, ``2h``, ``1d``) and points in time (ISO-8601, epoch
milliseconds) given as input, with one-line errors; used by enqueue input, config and the CLI."""

from __future__ import annotations

import math
import re
import time
from datetime import datetime

from queuectl_core.errors import InvalidInput, spell
from queuectl_core.moments import MAX_EPOCH, MIN_EPOCH

DURATION_RE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(value: object, field: str = "delay") -> float:
    """Seconds from a number or a string like ``30s``, ``5m``, ``2h``, ``1d``."""
    wanted = f'{field} must be seconds or a duration like "30s", got {spell(value)}'
    if isinstance(value, bool):
        raise InvalidInput(wanted)
    if isinstance(value, int | float):
        try:
            seconds = float(value)
        except OverflowError:
            seconds = math.inf
    elif isinstance(value, str):
        match = DURATION_RE.fullmatch(value)
        if not match:
            raise InvalidInput(wanted)
        seconds = float(match.group(1)) * _UNITS[match.group(2)]
    else:
        raise InvalidInput(wanted)
    if not math.isfinite(seconds) or seconds < 0:
        raise InvalidInput(f"{field} must be a non-negative duration, got {spell(value)}")
    return seconds


def parse_delay(value: object) -> float:
    """A delay whose ``now + delay`` is still a time the store can hold (year 9999 at most)."""
    seconds = parse_duration(value, "delay")
    if time.time() + seconds > MAX_EPOCH:
        raise InvalidInput(f"delay {spell(value)} is too long: it ends after the year 9999")
    return seconds


def _in_range(moment: float, field: str, value: object) -> float:
    if not MIN_EPOCH <= moment <= MAX_EPOCH:
        raise InvalidInput(f"{field} {spell(value)} is out of range (years 1 to 9999)")
    return moment


def parse_time(value: object, field: str = "run_at") -> float:
    """Epoch seconds from ISO-8601 (naive = local time) or epoch milliseconds (any digits)."""
    if isinstance(value, bool):
        raise InvalidInput(f"{field} must be an ISO-8601 time or epoch milliseconds")
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise InvalidInput(
                f"{field} epoch milliseconds out of range (1970 to year 9999): {spell(value)}"
            )
        if value < 0 or value > MAX_EPOCH * 1000:
            raise InvalidInput(
                f"{field} epoch milliseconds out of range (1970 to year 9999): {spell(value)}"
            )
        return float(value) / 1000.0
    if isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"\d+", text):
            return parse_time(int(text), field)
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise InvalidInput(f"{field} is not a valid ISO-8601 time: {spell(value)}") from None
        try:
            stamp = moment.timestamp()
        except (OverflowError, ValueError, OSError):
            raise InvalidInput(
                f"{field} {spell(value)} is out of range (years 1 to 9999)"
            ) from None
        return _in_range(stamp, field, value)
    raise InvalidInput(
        f"{field} must be an ISO-8601 time or epoch milliseconds, got {spell(value)}"
    )
