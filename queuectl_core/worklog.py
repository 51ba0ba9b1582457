"""What a worker says about its jobs: one line per finished attempt, and the log set-up.

The worker calls ``report_finished`` where it records results; ``configure`` is the CLI's choice
of verbosity and format. Only queuectl's own loggers get below WARNING, so ``-v`` never turns on
a library's debug output (aiosqlite logs every statement at DEBUG).
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Sequence
from datetime import UTC, datetime

from queuectl_core.lifecycle import Ended, OutcomeKind

log = logging.getLogger("queuectl.worker")


def report_finished(ended: Sequence[Ended], recorded: Sequence[bool]) -> None:
    """One line per finished attempt (id, outcome, duration), once its result is in the store."""
    for end, owned in zip(ended, recorded, strict=True):
        item = end.finish
        outcome = "completed" if item.outcome.succeeded else "failed"
        if not owned:  # fenced: an operator cancelled it, or its lease went to another worker
            outcome = "cancelled" if end.kind is OutcomeKind.CANCELLED else "not recorded"
        why = "" if item.outcome.succeeded or outcome == "cancelled" else f" ({item.outcome.error})"
        took = "" if item.duration is None else f" in {item.duration:.3f}s"
        fields = {
            "job": item.job_id,
            "attempt": item.run,
            "outcome": outcome,
            "exit_code": item.outcome.exit_code,
            "duration_seconds": None if item.duration is None else round(item.duration, 6),
        }
        extra = {"fields": fields}
        if outcome == "not recorded":
            log.warning("job %s: result not recorded, job no longer ours", item.job_id, extra=extra)
            continue
        log.info("job %s %s%s%s", item.job_id, outcome, why, took, extra=extra)


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for journald and log shippers."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        data: dict[str, object] = {
            "time": stamp.replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        data.update(getattr(record, "fields", {}))
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)


def configure(verbosity: int, fmt: str) -> None:
    """``verbosity``: -1 quiet (warnings), 0 one line per attempt, 1+ also claims and starts."""
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(message)s", datefmt="%H:%M:%S")
        )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)  # libraries: warnings and errors only, whatever -v says
    levels = {-1: logging.WARNING, 0: logging.INFO}
    logging.getLogger("queuectl").setLevel(levels.get(verbosity, logging.DEBUG))
