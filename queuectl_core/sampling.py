"""Measure running jobs' process groups with psutil: size, CPU % and resident memory.

One pass per call for all of a worker's jobs: ``psutil.pids()`` (one listing of /proc) and one
``getpgid`` system call per process find the members of each job's process group (the command
runs in its own session, so the group is the job: what ``queuectl signal`` reaches and what a
timeout kills); then one read of each member's stat/statm. CPU % is psutil's, measured between
two samples of the same process (so a process's first sample reads 0).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

from queuectl_core.processes import ProcessSample

if TYPE_CHECKING:
    import psutil


class Sampler:
    """Samples process groups; keeps the psutil objects between calls for their CPU times."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._known: dict[int, psutil.Process] = {}

    def sample(self, groups: Mapping[str, tuple[int, int]]) -> list[ProcessSample]:
        """``groups``: job id -> (run, pid of its group leader). Gone groups are skipped."""
        if not groups:
            self._known.clear()
            return []
        members = _members({pid for _, pid in groups.values()})
        now = self._clock()
        seen: dict[int, psutil.Process] = {}
        samples = []
        for job_id, (run, leader) in groups.items():
            pids = members.get(leader, [])
            cpu, rss, alive = 0.0, 0, 0
            for pid in pids:
                figures = self._measure(pid, seen)
                if figures is not None:
                    cpu, rss, alive = cpu + figures[0], rss + figures[1], alive + 1
            if alive:
                samples.append(ProcessSample(job_id, run, leader, alive, cpu, rss, now))
        self._known = seen
        return samples

    def _measure(self, pid: int, seen: dict[int, psutil.Process]) -> tuple[float, int] | None:
        import psutil  # loaded by ``_members`` already

        process = self._known.get(pid)
        try:
            if process is None:
                process = psutil.Process(pid)
            with process.oneshot():
                cpu = process.cpu_percent(None)
                rss = int(process.memory_info().rss)
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            return None
        seen[pid] = process
        return cpu, rss


def _members(leaders: Iterable[int]) -> dict[int, list[int]]:
    """Group leader -> the pids in its process group (the leader first, if alive)."""
    # Imported at the first sample, not by every worker start: ~8 ms of a short
    # ``worker start --drain``, and a worker with nothing running never needs it.
    import psutil

    wanted = set(leaders)
    found: dict[int, list[int]] = {leader: [] for leader in wanted}
    for pid in psutil.pids():
        try:
            group = os.getpgid(pid)
        except OSError:
            continue
        if group in wanted:
            found[group].append(pid)
    return found
