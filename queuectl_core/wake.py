"""Cross-process wake-ups on one host: abstract-namespace UNIX datagrams.

An idle worker sleeps until a datagram arrives or its poll interval ends, so a job enqueued by
another process starts within milliseconds without busy polling. Delivery is best effort: a lost
datagram only costs one poll interval.
"""

from __future__ import annotations

import asyncio
import hashlib
import socket
from collections.abc import Callable, Iterable

WORK = b"work"
CONTROL = b"control"


def address(store_key: str, worker_id: str) -> bytes:
    """Abstract socket name (leading NUL: no file, gone with the process)."""
    digest = hashlib.sha1(store_key.encode()).hexdigest()[:16]
    return b"\0queuectl/" + digest.encode() + b"/" + worker_id.encode()[:64]


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, callback: Callable[[str], None]) -> None:
        self._callback = callback

    def datagram_received(self, data: bytes, addr: object) -> None:
        self._callback("control" if data == CONTROL else "work")


class Listener:
    """Receives wake-ups for one worker process."""

    def __init__(self, transport: asyncio.DatagramTransport) -> None:
        self._transport = transport

    @classmethod
    async def bind(cls, name: bytes, callback: Callable[[str], None]) -> Listener:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.setblocking(False)
        sock.bind(name)
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(lambda: _Protocol(callback), sock=sock)
        return cls(transport)

    def close(self) -> None:
        self._transport.close()


def notify(names: Iterable[bytes], message: bytes = WORK) -> None:
    """Send one datagram to each name; absent listeners and full buffers are ignored."""
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
