"""Wait for an event with a timeout without ever swallowing a cancellation.

Python 3.11's ``asyncio.wait_for`` can swallow a ``cancel()`` that arrives in the same loop
iteration as the awaited event (CPython gh-86296, fixed in 3.12 by a rewrite): a worker's helper
loop then keeps looping after shutdown cancelled it, and ``worker start`` never exits. That
iteration is likely after the worker was stopped (SIGSTOP) and continued: every timer and the
stop signal come due together. ``asyncio.wait`` has no such window.
"""

from __future__ import annotations

import asyncio


async def wait_event(event: asyncio.Event, timeout: float | None) -> bool:
    """Wait until ``event`` is set or ``timeout`` seconds pass; True if it was set."""
    if event.is_set():
        return True
    waiter = asyncio.ensure_future(event.wait())
    try:
        await asyncio.wait((waiter,), timeout=timeout)
    finally:
        waiter.cancel()
    return event.is_set()
