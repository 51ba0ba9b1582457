"""Bounded capture of one output stream: keep the head and the tail, count what was dropped."""

from __future__ import annotations

from collections import deque

MARKER = "\n[... {} bytes truncated by queuectl ...]\n"


class BoundedOutput:
    """Holds at most ``limit`` bytes: the first half and the most recent half."""

    def __init__(self, limit: int) -> None:
        self._head_limit = limit // 2
        self._tail_limit = limit - self._head_limit
        self._head = bytearray()
        self._tail: deque[bytes] = deque()
        self._tail_size = 0
        self.dropped = 0
        self.total = 0
        self.version = 0

    def write(self, data: bytes) -> None:
        self.total += len(data)
        self.version += 1
        room = self._head_limit - len(self._head)
        if room > 0:
            self._head += data[:room]
            data = data[room:]
        if not data:
            return
        if len(data) >= self._tail_limit:
            self.dropped += self._tail_size + len(data) - self._tail_limit
            self._tail.clear()
            self._tail.append(bytes(data[-self._tail_limit :]))
            self._tail_size = self._tail_limit
            return
        self._tail.append(bytes(data))
        self._tail_size += len(data)
        while self._tail_size > self._tail_limit:
            excess = self._tail_size - self._tail_limit
            first = self._tail[0]
            if len(first) <= excess:
                self._tail.popleft()
                self._tail_size -= len(first)
                self.dropped += len(first)
            else:
                self._tail[0] = first[excess:]
                self._tail_size -= excess
                self.dropped += excess

    def text(self) -> str:
        """Decoded with replacement for invalid UTF-8, with a marker where bytes were dropped."""
        head = bytes(self._head).decode("utf-8", errors="replace")
        tail = b"".join(self._tail).decode("utf-8", errors="replace")
        if self.dropped:
            return head + MARKER.format(self.dropped) + tail
        return head + tail
