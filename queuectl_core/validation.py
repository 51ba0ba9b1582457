"""Parse and validate enqueue input (docs/CLI.md, "Jobs") into ``JobSpec`` values; no store.

Durations and times (``delay``, ``run_at``, ``timeout``) are parsed by ``time_input``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from queuectl_core.errors import InvalidInput, spell
from queuectl_core.models import JobSpec
from queuectl_core.time_input import DURATION_RE, parse_delay, parse_duration, parse_time

FIELDS = {
    "command",
    "id",
    "max_retries",
    "priority",
    "timeout",
    "timeout_seconds",
    "run_at",
    "delay",
    "queue",
    "env",
    "cwd",
    "after",
    "unique_key",
}
QUEUE_RE = re.compile(r"[A-Za-z0-9_.-]{1,64}")
# PostgreSQL stores priority and max_retries as 32-bit integers (and computes 1 + max_retries).
_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1
MAX_RETRIES_LIMIT = 10**9


def _check_text(value: str, field: str) -> str:
    """Reject lone surrogates (JSON ``\\ud800``, undecodable argv bytes): not storable text."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(f"{field} is not valid UTF-8 text") from None
    return value


def _check_id(value: object, field: str = "id") -> str:
    """A job id (``field`` "after": one named by a dependency list)."""
    what = "id" if field == "id" else f"{field} id"
    if not isinstance(value, str) or not value:
        raise InvalidInput(f"{what} must be a non-empty string")
    _check_text(value, what)
    if len(value) > 200:
        raise InvalidInput(f"{what} is longer than 200 characters ({len(value)})")
    if any(ch.isspace() or ord(ch) < 32 or 127 <= ord(ch) < 160 for ch in value):
        raise InvalidInput(
            f"{what} must not contain whitespace or control characters: {spell(value)}"
        )
    return value


def _check_int(value: object, field: str, minimum: int = _INT_MIN, maximum: int = _INT_MAX) -> int:
    if type(value) is int and minimum <= value <= maximum:
        return value  # the common case, without spelling the value for a message
    shown = spell(value)  # as given: 1e+300, not its 301 digits
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise InvalidInput(f"{field} must be an integer, got {shown}")
    if minimum > _INT_MIN and value < minimum:
        raise InvalidInput(f"{field} must be >= {minimum}, got {shown}")
    if not minimum <= value <= maximum:
        raise InvalidInput(f"{field} is out of range ({minimum}..{maximum}): {shown}")
    return value


def _check_timeout(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, str) and DURATION_RE.fullmatch(value):
        value = parse_duration(value, "timeout")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInput(f"timeout must be a number of seconds > 0 or null, got {spell(value)}")
    if not math.isfinite(value) or value <= 0:
        raise InvalidInput(f"timeout must be a number of seconds > 0 or null, got {spell(value)}")
    return float(value)


def _check_env(value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        raise InvalidInput("env must be an object of string to string")
    for name, text in value.items():
        if not isinstance(text, str) or not name or "=" in name or "\0" in name + text:
            raise InvalidInput(f"env entry {name!r} must map a name to a string")
        _check_text(name + text, f"env entry {name!r}")
    return dict(value)


def _check_after(value: object, job_id: str | None) -> tuple[str, ...]:
    """A job id or a list of them (DESIGN §10); naming the job itself is a cycle."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list):
        raise InvalidInput(f"after must be a job id or a list of job ids, got {spell(value)}")
    ids = tuple(dict.fromkeys(_check_id(item, "after") for item in items))
    if job_id is not None and job_id in ids:
        raise InvalidInput(f"job {spell(job_id)} cannot run after itself")
    return ids


def _check_key(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value or len(value) > 200:
        raise InvalidInput(f"unique_key must be a string of 1-200 characters, got {spell(value)}")
    return _check_text(value, "unique_key")


def spec_from_object(data: object) -> JobSpec:
    """Validate one decoded JSON value as a job."""
    if not isinstance(data, dict):
        raise InvalidInput("a job must be a JSON object")
    unknown = sorted(set(data) - FIELDS)
    if unknown:
        raise InvalidInput(f"unknown field {spell(unknown[0])}")
    command = data.get("command")
    if not isinstance(command, str) or not command.strip():
        raise InvalidInput("command must be a non-empty string")
    if "\0" in command:
        raise InvalidInput("command must not contain NUL bytes")
    _check_text(command, "command")
    if "timeout" in data and "timeout_seconds" in data:
        raise InvalidInput("give either timeout or timeout_seconds, not both")
    if "run_at" in data and "delay" in data:
        raise InvalidInput("give either run_at or delay, not both")
    timeout_given = "timeout" in data or "timeout_seconds" in data
    timeout = _check_timeout(data.get("timeout", data.get("timeout_seconds")))
    run_at = parse_time(data["run_at"]) if data.get("run_at") is not None else None
    delay = parse_delay(data["delay"]) if data.get("delay") is not None else None
    queue = data.get("queue", "default")
    if not isinstance(queue, str) or not QUEUE_RE.fullmatch(queue):
        raise InvalidInput(f"queue must match [A-Za-z0-9_.-]{{1,64}}, got {spell(queue)}")
    cwd = data.get("cwd")
    if cwd is not None and (not isinstance(cwd, str) or not cwd or "\0" in cwd):
        raise InvalidInput("cwd must be a non-empty string")
    if cwd is not None:
        _check_text(cwd, "cwd")
    max_retries = data.get("max_retries")
    job_id = _check_id(data["id"]) if data.get("id") is not None else None
    return JobSpec(
        command=command,
        id=job_id,
        max_retries=None
        if max_retries is None
        else _check_int(max_retries, "max_retries", 0, MAX_RETRIES_LIMIT),
        priority=_check_int(data.get("priority", 0), "priority"),
        timeout=timeout,
        timeout_given=timeout_given,
        run_at=run_at,
        delay=delay,
        queue=queue,
        env=_check_env(data.get("env", {})),
        cwd=cwd,
        after=_check_after(data["after"], job_id) if data.get("after") is not None else (),
        unique_key=_check_key(data.get("unique_key")),
    )


def _reject_constant(name: str) -> Any:
    raise InvalidInput(f"invalid JSON number {name}")


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)
#: The decoder's C scanner: one JSON value from an index, without ``json.loads``'s Python layers.
_SCAN: Callable[[str, int], tuple[object, int]] = _DECODER.scan_once  # type: ignore[attr-defined]


def decode(text: str) -> object:
    """Strict JSON: no NaN/Infinity; errors as one line."""
    try:
        return _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"malformed JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except RecursionError:
        raise InvalidInput("malformed JSON: nested too deeply") from None


def parse_job(text: str) -> JobSpec:
    """One JSON object given on the command line."""
    return spec_from_object(decode(text))


def _decode_line(line: str) -> object:
    """``decode(line)``, through the C scanner alone when the line is one bare JSON value.

    The fast path accepts only what ``decode`` accepts with the same result (a value starting at
    the first character and ending at the last); anything else, errors included, goes through
    ``decode`` for its exact message. Saves ~3 us a line of ``json.loads``'s Python layers.
    """
    try:
        value, end = _SCAN(line, 0)
    except (StopIteration, ValueError, RecursionError):
        return decode(line)
    return value if end == len(line) else decode(line)


def parse_lines(lines: Iterable[str]) -> Iterator[JobSpec]:
    """JSON Lines; blank lines are skipped; errors name the line number."""
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield spec_from_object(_decode_line(line))
        except InvalidInput as exc:
            raise InvalidInput(f"line {number}: {exc}") from None
