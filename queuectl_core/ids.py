"""Time-ordered job and worker ids: sortable, short enough for an 80-column table."""

from __future__ import annotations

import os
import secrets
import socket
import threading
import time

_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"
_lock = threading.Lock()
_last_ms = 0
_last_rand = 0
_RAND_SPACE = 36**6


def _base36(number: int, width: int) -> str:
    digits = []
    for _ in range(width):
        number, rem = divmod(number, 36)
        digits.append(_ALPHABET[rem])
    return "".join(reversed(digits))


def new_job_id() -> str:
    """``<8 chars of ms time>-<6 chars>``: monotonic within a process, random across processes."""
    global _last_ms, _last_rand
    with _lock:
        now_ms = int(time.time() * 1000)
        if now_ms <= _last_ms:
            now_ms = _last_ms
            _last_rand += 1 + secrets.randbelow(16)
            if _last_rand >= _RAND_SPACE:
                now_ms += 1
                _last_rand = secrets.randbelow(_RAND_SPACE // 2)
        else:
            _last_rand = secrets.randbelow(_RAND_SPACE // 2)
        _last_ms = now_ms
        return f"{_base36(now_ms, 8)}-{_base36(_last_rand, 6)}"


def new_job_ids(count: int) -> list[str]:
    """``count`` ids as ``new_job_id`` would make them one by one, at a fraction of the cost.

    One clock read, one lock and one ``os.urandom`` call for the batch: each suffix steps up by
    1-16 from the previous one (as consecutive ``new_job_id`` calls in one millisecond do), so the
    ids stay unique, sorted and unpredictable across processes.
    """
    global _last_ms, _last_rand
    if count <= 0:
        return []
    steps = os.urandom(count)
    pairs = _pairs()
    ids = []
    with _lock:
        now_ms = int(time.time() * 1000)
        if now_ms <= _last_ms:
            now_ms, rand = _last_ms, _last_rand + 1 + (steps[0] & 15)
        else:
            rand = secrets.randbelow(_RAND_SPACE // 2)
        prefix = _base36(now_ms, 8) + "-"
        for step in steps[1:] + b"\0":
            if rand >= _RAND_SPACE:
                now_ms += 1
                rand = secrets.randbelow(_RAND_SPACE // 2)
                prefix = _base36(now_ms, 8) + "-"
            high, low = divmod(rand, 1296)
            ids.append(prefix + pairs[high // 1296] + pairs[high % 1296] + pairs[low])
            _last_ms, _last_rand = now_ms, rand
            rand += 1 + (step & 15)
    return ids


_PAIRS: list[str] = []


def _pairs() -> list[str]:
    """The 1,296 two-digit base-36 strings, in order."""
    if not _PAIRS:
        _PAIRS.extend(a + b for a in _ALPHABET for b in _ALPHABET)
    return _PAIRS


def new_worker_id() -> str:
    """Readable and unique per process: host, pid and a random suffix."""
    host = socket.gethostname().split(".")[0][:20] or "host"
    return f"{host}-{os.getpid()}-{secrets.token_hex(2)}"
