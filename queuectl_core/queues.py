"""Queue settings (DESIGN §8): validation and the ``QueueInfo`` both stores build. No I/O here."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from queuectl_core.errors import InvalidInput, spell
from queuectl_core.models import JobState, QueueInfo
from queuectl_core.validation import QUEUE_RE

#: Far above any sensible limit; inside PostgreSQL's 32-bit integers.
MAX_CONCURRENCY = 1_000_000


def check_queue_name(name: object) -> str:
    if not isinstance(name, str) or not QUEUE_RE.fullmatch(name):
        raise InvalidInput(f"queue must match [A-Za-z0-9_.-]{{1,64}}, got {spell(name)}")
    return name


def check_concurrency(value: object) -> int:
    """A limit: a whole number from 0 (no limit) to ``MAX_CONCURRENCY``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"concurrency must be a whole number, got {spell(value)}")
    if not 0 <= value <= MAX_CONCURRENCY:
        raise InvalidInput(f"concurrency must be 0 (no limit) to {MAX_CONCURRENCY}, got {value}")
    return value


def build_queues(
    settings: Iterable[tuple[str, object, object]],
    counts: Iterable[tuple[str, str, int]],
    recent: Mapping[str, int],
    only: str | None = None,
) -> list[QueueInfo]:
    """Queues that have jobs or settings, by name, from the rows the stores read.

    Rows are taken as they come: an unknown state counts as dead, an odd setting reads as the
    default, so no stored value can make a listing fail.
    """
    known = {str(s) for s in JobState}
    by_state: dict[str, dict[str, int]] = {}
    for queue, state, n in counts:
        if only is not None and queue != only:
            continue
        tally = by_state.setdefault(str(queue), {})
        # A state no version writes reads as dead, as the job itself does (rows.py).
        state = state if state in known else str(JobState.DEAD)
        tally[state] = tally.get(state, 0) + int(n)
    rules = {str(name): (paused, limit) for name, paused, limit in settings}
    names = sorted(set(by_state) | set(rules) | ({only} if only is not None else set()))
    queues = []
    for name in names:
        paused, limit = rules.get(name, (False, 0))
        tally = by_state.get(name, {})
        queues.append(
            QueueInfo(
                name=name,
                paused=paused is True or paused == 1,
                concurrency=limit if isinstance(limit, int) and limit > 0 else 0,
                counts={str(s): tally.get(str(s), 0) for s in JobState},
                completed_last_minute=int(recent.get(name, 0)),
            )
        )
    return queues


def parse_queues(text: str | None) -> list[str] | None:
    """``a,b,,a`` -> ``['a', 'b']``; empty -> None (all queues); bad names -> InvalidInput."""
    if not text:
        return None
    names = [check_queue_name(q.strip()) for q in text.split(",") if q.strip()]
    return list(dict.fromkeys(names)) or None
