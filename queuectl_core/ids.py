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


def new_worker_id() -> str:
    """Readable and unique per process: host, pid and a random suffix."""
    host = socket.gethostname().split(".")[0][:20] or "host"
    return f"{host}-{os.getpid()}-{secrets.token_hex(2)}"
