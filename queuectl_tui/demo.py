"""A realistic queue for ``--demo``, screenshots and tests: deterministic ids and times.

History is written through the store's own operations (enqueue, claim, finish) with a clock
that walks through the last hour, so every row is one the real workers could have produced.
"""

from __future__ import annotations

import shlex
import shutil
import sys
import time

from queuectl_core.models import Finish, JobSpec, Outcome, WorkerInfo
from queuectl_core.processes import ProcessSample
from queuectl_core.store.base import Store
from queuectl_core.store.open import open_store

BUILD_01 = WorkerInfo("build-01-4242-a1f0", "build-01", 4242, 4, (), 0, 0)
BUILD_02 = WorkerInfo("build-02-977-0c3e", "build-02", 977, 2, ("reports",), 0, 0)

_HISTORY = [
    ("pg_dump app | gzip > /backups/app.sql.gz", "default", "dumped 1.2 GB in 41s\n"),
    ("python manage.py send_digest --batch 500", "mail", "sent 500 digests\n"),
    ("curl -fsS https://hooks.example.com/build/4812", "default", '{"status": "ok"}\n'),
    ("./scripts/resize_images.sh uploads/2024-06", "media", "resized 312 images\n"),
    ("make -C /srv/site build", "default", "site built: 84 pages\n"),
    ("rsync -a /srv/media/ backup:/media/", "media", "sent 18,204 bytes\n"),
    ("python -m reports.daily --date yesterday", "reports", "report written\n"),
]
_TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File "/srv/app/sync.py", line 88, in push\n'
    "    conn = connect(host, timeout=5)\n"
    "ConnectionRefusedError: [Errno 111] Connection refused\n"
)


class Clock:
    """A clock the seeder moves by hand."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def _run(
    store: Store, clock: Clock, spec: JobSpec, at: float, took: float, outcome: Outcome
) -> None:
    """Enqueue ``spec`` at ``at`` and run it once to ``outcome`` (it must be the only due job)."""
    clock.now = at
    if await store.get_job(spec.id or "") is None:
        await store.enqueue([spec])
    (job,) = await store.claim(BUILD_01.id, None, 1, 3600)
    clock.now = at + took
    await store.finish([Finish(job.id, BUILD_01.id, job.runs, outcome)])


async def seed(store: Store, clock: Clock, now: float, *, live: bool = False) -> None:
    """Completed history, dead jobs with stderr, one backing off, running, pending and scheduled.

    With ``live`` the running jobs are real commands left pending for hosted workers; without,
    two jobs are recorded as running on ``build-01`` (frozen, for screenshots and tests).
    """
    clock.now = now - 3600
    await store.register_worker(BUILD_01)
    for i in range(48):
        command, queue, out = _HISTORY[i % len(_HISTORY)]
        ok = Outcome(0, None, f"$ {command}\n{out}", "")
        spec = JobSpec(command, id=f"job-{i + 1:04d}", queue=queue, max_retries=2)
        await _run(store, clock, spec, now - 3540 + i * 73, 3 + i % 9, ok)
    for i, at in enumerate((now - 1500, now - 620)):
        spec = JobSpec("python sync.py --push [bold]prod[/]", id=f"sync-{i + 1:03d}", max_retries=1)
        failed = Outcome(1, "exit 1", "connecting to db-2:5432\n", _TRACEBACK)
        await _run(store, clock, spec, at, 5.2, failed)
        await _run(store, clock, spec, at + 40, 5.1, failed)
    feed = "curl -fsS --max-time 3 https://partner.example.com/feed"
    spec = JobSpec(feed, id="feed-001", max_retries=5)
    refused = Outcome(7, "exit 7", "", "curl: (7) Failed to connect: Connection refused\n")
    for at in (now - 60, now - 50, now - 30, now - 5):
        await _run(store, clock, spec, at, 1.0, refused)
    colours = "printf '\\033[31mred\\033[0m \\033]0;pwned\\007 done\\n'"
    await _run(
        store,
        clock,
        JobSpec(colours, id="ansi-001"),
        now - 300,
        0.2,
        Outcome(0, None, "\x1b[31mred\x1b[0m \x1b]0;pwned\x07 done\n", ""),
    )
    clock.now = now - 200
    await store.enqueue([JobSpec("sleep 600", id="hang-001")])
    await store.cancel(["hang-001"])
    if live:
        await store.deregister_worker(BUILD_01.id)
        await _enqueue_live(store, clock, now)
    else:
        await _freeze_running(store, clock, now)
    clock.now = now - 95
    await store.register_worker(BUILD_02)
    await _enqueue_waiting(store, clock, now)


async def _freeze_running(store: Store, clock: Clock, now: float) -> None:
    clock.now = now - 12
    await store.enqueue([JobSpec("./scripts/reindex.sh --all", id="reindex-01", priority=5)])
    await store.enqueue([JobSpec("python -m etl.load --day today", id="etl-0007", queue="etl")])
    jobs = await store.claim(BUILD_01.id, None, 2, 3600)
    lines = "".join(f"indexed shard {n:02d}/64\n" for n in range(1, 19))
    await store.save_output(
        [(jobs[0].id, jobs[0].runs, lines, ""), (jobs[1].id, jobs[1].runs, "loading\n", "")]
    )
    clock.now = now - 1
    await store.heartbeat(BUILD_01.id, [(j.id, j.runs) for j in jobs], 3600)
    figures = [(31337, 5, 187.5, 412_000_000), (31342, 1, 3.1, 58_400_000)]
    await store.publish_processes(
        BUILD_01.id,
        [ProcessSample(j.id, j.runs, *f, now - 1) for j, f in zip(jobs, figures, strict=True)],
    )


def _producer(url: str) -> JobSpec:
    """A job that keeps enqueueing work through the real CLI, as another process would."""
    cli = shutil.which("queuectl") or f"{shlex.quote(sys.executable)} -m queuectl_core.cli.main"
    tick = "sleep $((i % 4 + 1)); echo tick $i; test $((i % 9)) -ne 0"
    loop = (
        f'for i in $(seq 1 300); do {cli} enqueue --command "{tick}" --max-retries 1 '
        "--id tick-$i >/dev/null; sleep 3; done"
    )
    return JobSpec(loop, id="producer", queue="feeder", env={"QUEUECTL_DB": url})


async def _enqueue_live(store: Store, clock: Clock, now: float) -> None:
    clock.now = now - 2
    steps = 'for i in $(seq 1 90); do echo "indexed shard $i/90"; sleep 1; done'
    await store.enqueue(
        [
            JobSpec(steps, id="reindex-01", priority=5),
            JobSpec("sleep 20; echo loaded 1200 rows", id="etl-0007", queue="etl"),
            *[
                JobSpec(f"sleep {2 + i % 4}; echo batch {i} ok", id=f"batch-{i:03d}")
                for i in range(1, 25)
            ],
            JobSpec("echo 'upstream said no' >&2; exit 3", id="flaky-001", max_retries=3),
            _producer(store.url),
        ]
    )


async def _enqueue_waiting(store: Store, clock: Clock, now: float) -> None:
    clock.now = now - 3
    await store.enqueue(
        [
            JobSpec("python -m reports.weekly", id="weekly-01", queue="reports", run_at=now + 3600),
            JobSpec("./scripts/rotate_logs.sh", id="rotate-01", run_at=now + 300),
            JobSpec("make -C /srv/site deploy", id="deploy-42", priority=10, run_at=now + 45),
        ]
    )


async def seed_demo(url: str) -> None:
    """Create the ``--demo`` store at ``url`` (times relative to now; workers run the rest)."""
    clock = Clock(time.time())
    store = await open_store(url, clock=clock)
    try:
        await seed(store, clock, time.time(), live=True)
    finally:
        await store.close()
