"""The receiving end of ``wake``: an asyncio datagram endpoint on the worker's abstract name.

Kept apart from ``wake`` so one-shot CLI commands, which only send, never import asyncio.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable

from queuectl_core.wake import WakeKind


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, callback: Callable[[WakeKind], None]) -> None:
        self._callback = callback

    def datagram_received(self, data: bytes, addr: object) -> None:
        self._callback(WakeKind.CONTROL if data == WakeKind.CONTROL.encode() else WakeKind.WORK)


class Listener:
    """Receives wake-ups for one worker process."""

    def __init__(self, transport: asyncio.DatagramTransport) -> None:
        self._transport = transport

    @classmethod
    async def bind(cls, name: bytes, callback: Callable[[WakeKind], None]) -> Listener:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.setblocking(False)
        sock.bind(name)
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(lambda: _Protocol(callback), sock=sock)
        return cls(transport)

    def close(self) -> None:
        self._transport.close()
