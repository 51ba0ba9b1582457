"""Errors that reach users as one line. Anything else is a bug."""

import json


class QueueError(Exception):
    """Base: a failed operation (exit 1) with a one-line message."""

    exit_code = 1


class InvalidInput(QueueError):
    """Bad user input: malformed JSON, wrong types, bad config values (exit 2)."""

    exit_code = 2


class DuplicateJob(QueueError):
    """A job id that already exists."""


class JobNotFound(QueueError):
    """An unknown job id."""


class InvalidState(QueueError):
    """The job is not in a state that allows the operation."""


class StoreUnavailable(QueueError):
    """The store cannot be opened or reached."""


class StoreMissing(QueueError):
    """A read found no queue where it looked (reads never create one)."""


class StoreCorrupt(QueueError):
    """The store file is damaged: retrying cannot help, so workers stop instead of looping."""


class SchemaTooNew(StoreUnavailable):
    """The store was written by a newer queuectl."""


def spell(value: object) -> str:
    """A value as JSON spells it (``true``, ``null``, ``1000000000``, ``[1]``); text is quoted
    ``'5m'`` like every name in a message."""
    if isinstance(value, str):
        return ascii(value) if _has_surrogate(value) else repr(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e17:
        return str(int(value))
    try:
        shown = json.dumps(value, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        return ascii(value)
    try:
        shown.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: keep it as its \ud800 escape
        return json.dumps(value, allow_nan=False)
    return shown


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
