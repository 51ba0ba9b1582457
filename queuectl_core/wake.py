"""Cross-process wake-ups on one host: abstract-namespace UNIX datagrams.

An idle worker sleeps until a datagram arrives or its poll interval ends, so a job enqueued by
another process starts within milliseconds without busy polling. Delivery is best effort: a lost
datagram only costs one poll interval.
"""

from __future__ import annotations

import enum
import hashlib
import socket
from collections.abc import Iterable


class WakeKind(enum.StrEnum):
    """Why a worker is woken: new or due jobs, or a control change (stop request, cancel)."""

    WORK = "work"
    CONTROL = "control"


WORK = WakeKind.WORK
CONTROL = WakeKind.CONTROL


def address(store_key: str, worker_id: str) -> bytes:
    """Abstract socket name (leading NUL: no file, gone with the process)."""
    digest = hashlib.sha1(store_key.encode()).hexdigest()[:16]
    return b"\0queuectl/" + digest.encode() + b"/" + worker_id.encode()[:64]


def notify(names: Iterable[bytes], kind: WakeKind = WakeKind.WORK) -> None:
    """Send one datagram to each name; absent listeners and full buffers are ignored."""
    message = kind.value.encode()
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.setblocking(False)
    try:
        for name in names:
            try:
                sock.sendto(message, name)
            except OSError:
                continue
    finally:
        sock.close()
