"""The schedule firer: a background task in every worker process that turns due fire times
into jobs (DESIGN §9).

Every worker process runs one; the store's compare-and-set on ``next_run`` makes each fire time
one job however many run. Between fires it sleeps until the earliest ``next_run`` (so a fire
lands within milliseconds of its time, not a poll interval later), or until woken: a schedule
added, paused or resumed anywhere sends the same wake-up as a new job. The poll interval bounds
the sleep, for wake-ups lost (another host on SQLite never sends one; a store restart).
"""

from __future__ import annotations

import asyncio
import logging

from queuectl_core.errors import StoreUnavailable
from queuectl_core.store.base import Store

log = logging.getLogger("queuectl.schedules")
#: Sleep at most this long between looks at the schedules table, wake-ups or not (seconds).
LONGEST_SLEEP = 5.0
#: Looks prompted by wake-ups are at least this far apart (seconds).
WAKE_GAP = 0.2
MIN_SLEEP = 0.002


class Firer:
    """Fires ``store``'s due schedules until cancelled."""

    def __init__(self, store: Store, poll: float = LONGEST_SLEEP) -> None:
        self.store = store
        self.poll = poll
        self.fired = 0
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Something changed (a schedule added or resumed): look again now."""
        self._wake.set()

    async def fire_due(self) -> None:
        """Fire whatever is due now (one job per schedule, whatever it missed)."""
        jobs = await self.store.fire_due_schedules()
        for job in jobs:
            log.info("schedule %s fired job %s", job.schedule, job.id)
        self.fired += len(jobs)

    async def run(self) -> None:
        """Fire, sleep until the next fire time, repeat; store outages are logged and waited out."""
        loop = asyncio.get_running_loop()
        while True:
            self._wake.clear()
            timeout = await self._look()
            began = loop.time()
            try:
                await asyncio.wait_for(self._wake.wait(), timeout)
            except TimeoutError:
                continue  # the next fire time (or the poll interval) came
            # Woken: every enqueue sends the same wake-up, so let a burst of them pass as one
            # look, but never sleep past the fire time already known.
            pause = min(WAKE_GAP, timeout) - (loop.time() - began)
            if pause > 0:
                await asyncio.sleep(pause)

    async def _look(self) -> float:
        """Fire what is due; return how long to sleep until the next fire time."""
        try:
            # One indexed min() when nothing is due: what an idle worker pays per poll.
            upcoming = await self.store.next_schedule_fire()
            if upcoming is not None and upcoming <= self.store.now():
                await self.fire_due()
                upcoming = await self.store.next_schedule_fire()
        except StoreUnavailable as exc:
            log.warning("schedules: store unavailable: %s", exc)
            return self.poll
        except Exception:  # a bug must not stop the worker's other tasks
            log.exception("schedules failed")
            return self.poll
        if upcoming is None:
            return self.poll
        # A floor, so a fire time the store's clock has not reached yet is not a busy loop.
        return min(self.poll, max(MIN_SLEEP, upcoming - self.store.now()))
