"""The embedded store: one SQLite file in WAL mode, driven through aiosqlite.

Every operation is one function run on aiosqlite's connection thread inside one transaction
(``_tx``/``_read``): one thread hop per operation, and no other task can interleave statements
inside it. Writers take the lock up front (``BEGIN IMMEDIATE``) so a read-then-write never fails
with a stale snapshot; ``busy_timeout`` makes other processes wait for it instead of failing.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from queuectl_core import wake
from queuectl_core.config import Config, check_combination, normalize_key, parse_value
from queuectl_core.errors import (
    DuplicateJob,
    InvalidState,
    JobNotFound,
    QueueError,
    SchemaTooNew,
    StoreUnavailable,
)
from queuectl_core.models import (
    CANCELLABLE_STATES,
    Attempt,
    Finish,
    Heartbeat,
    Job,
    JobSpec,
    JobState,
    Metrics,
    Output,
    WorkerInfo,
)
from queuectl_core.store import sqlite_sql as sql
from queuectl_core.store.base import WakeCallback
from queuectl_core.store.metrics import build_metrics
from queuectl_core.store.rows import attempt_from_row, job_from_row, like_pattern, worker_from_row

T = TypeVar("T")
Conn = sqlite3.Connection
BUSY_TIMEOUT_MS = 30_000
LOST_ERROR = "worker lost (no heartbeat for {:g}s)"


def _filters(
    state: JobState | None, queue: str | None, search: str | None
) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if state is not None:
        clauses.append("state = ?")
        params.append(str(state))
    if queue is not None:
        clauses.append("queue = ?")
        params.append(queue)
    if search:
        clauses.append("(id LIKE ? ESCAPE '\\' OR command LIKE ? ESCAPE '\\')")
        params += [like_pattern(search)] * 2
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def _get_config(conn: Conn) -> Config:
    return Config.from_raw(dict(conn.execute("SELECT key, value FROM config").fetchall()))


def _migrate(conn: Conn) -> None:
    if conn.execute("PRAGMA user_version").fetchone()[0] == len(sql.MIGRATIONS):
        return  # the common case: no write lock needed just to check
    conn.execute("BEGIN IMMEDIATE")
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > len(sql.MIGRATIONS):
            raise SchemaTooNew(
                f"store schema version {version} is newer than this queuectl supports "
                f"({len(sql.MIGRATIONS)}); upgrade queuectl"
            )
        for number in range(version, len(sql.MIGRATIONS)):
            for statement in _split(sql.MIGRATIONS[number]):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number + 1}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _split(script: str) -> list[str]:
    """Split a migration into statements, keeping trigger bodies whole."""
    statements, buffer = [], ""
    for line in script.splitlines(keepends=True):
        if line.strip().startswith("--"):
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements


def _prepare_file(path: Path) -> None:
    """Create the directory and an empty 0600 file, so -wal/-shm inherit owner-only modes."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(fd)


class SqliteStore:
    """``Store`` on one SQLite file. Open with ``await SqliteStore.open(path)``."""

    def __init__(self, db: aiosqlite.Connection, path: Path, clock: Callable[[], float]) -> None:
        self._db = db
        self.path = path
        self.url = str(path)
        self._clock = clock
        self._host = socket.gethostname()
        self._listener: wake.Listener | None = None
        self._own_writes = 0

    @classmethod
    async def open(cls, url: str, *, clock: Callable[[], float] | None = None) -> SqliteStore:
        path = Path(url.removeprefix("sqlite://")).expanduser().absolute()
        try:
            if path.is_dir():
                raise StoreUnavailable(f"cannot open store {path}: it is a directory")
            _prepare_file(path)
            db = await aiosqlite.connect(path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
        except OSError as exc:
            raise StoreUnavailable(f"cannot open store {path}: {exc.strerror or exc}") from None
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"cannot open store {path}: {exc}") from None
        store = cls(db, path, clock or time.time)
        try:
            await store._run(store._setup)
        except QueueError:
            await db.close()
            raise
        except sqlite3.Error as exc:
            await db.close()
            raise StoreUnavailable(f"cannot open store {path}: {exc}") from None
        return store

    @staticmethod
    def _setup(conn: Conn) -> None:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode.lower() != "wal":
            raise StoreUnavailable(f"store cannot use WAL mode (journal_mode={mode})")
        # NORMAL in WAL: durable across process crashes; a power cut may lose the last commits.
        conn.execute("PRAGMA synchronous = NORMAL")
        # Checkpoint every ~16 MB of WAL rather than 4 MB: fewer stalls on the claim path.
        conn.execute("PRAGMA wal_autocheckpoint = 4000")
        conn.execute("PRAGMA foreign_keys = OFF")
        _migrate(conn)

    async def close(self) -> None:
        await self.unlisten()
        await self._db.close()

    def now(self) -> float:
        return self._clock()

    # --- plumbing ---------------------------------------------------------------------------
    async def _run(self, fn: Callable[[Conn], T]) -> T:
        # aiosqlite's own queue: the function runs on the connection's thread, in order.
        try:
            return await self._db._execute(fn, self._db._conn)  # type: ignore[no-untyped-call,no-any-return]
        except sqlite3.DatabaseError as exc:
            # Locked past the busy timeout, disk full, corrupt file, read-only file system.
            raise StoreUnavailable(f"store {self.path}: {exc}") from None

    async def _tx(self, fn: Callable[[Conn], T]) -> T:
        """Run ``fn`` in one write transaction (lock taken up front), retrying while busy."""

        def transaction(conn: Conn) -> T:
            for attempt in range(5):
                try:
                    conn.execute("BEGIN IMMEDIATE")
                    break
                except sqlite3.OperationalError as exc:
                    if ("locked" not in str(exc) and "busy" not in str(exc)) or attempt == 4:
                        raise
                    time.sleep(0.05 * (attempt + 1))
            try:
                result = fn(conn)
                conn.execute("COMMIT")
                return result
            except BaseException:
                conn.execute("ROLLBACK")
                raise

        result = await self._run(transaction)
        self._own_writes += 1
        return result

    async def _read(self, fn: Callable[[Conn], T]) -> T:
        def transaction(conn: Conn) -> T:
            conn.execute("BEGIN")
            try:
                return fn(conn)
            finally:
                conn.execute("COMMIT")

        return await self._run(transaction)

    def _notify_local(self, conn: Conn, message: bytes) -> None:
        """Wake the idle workers of this store on this host (best effort)."""
        horizon = self._clock() - 120
        rows = conn.execute(
            "SELECT id FROM workers WHERE host = ? AND heartbeat_at > ?", (self._host, horizon)
        ).fetchall()
        if rows:
            wake.notify((wake.address(self.url, r[0]) for r in rows), message)

    # --- config -----------------------------------------------------------------------------
    async def get_config(self) -> Config:
        return await self._read(_get_config)

    async def set_config(self, key: str, value: str) -> Config:
        spec = normalize_key(key)
        parsed = parse_value(spec, value)

        def write(conn: Conn) -> Config:
            current = _get_config(conn)
            updated = Config(**{**_as_dict(current), spec.name: parsed})
            check_combination(updated)
            conn.execute(
                "INSERT INTO config (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (spec.name, str(parsed)),
            )
            return updated

        return await self._tx(write)

    # --- producers and operators ------------------------------------------------------------
    async def enqueue(self, specs: Sequence[JobSpec]) -> list[Job]:
        from queuectl_core.ids import new_job_id

        def write(conn: Conn) -> list[Job]:
            config = _get_config(conn)
            now = self._clock()
            rows = []
            for spec in specs:
                timeout = spec.timeout if spec.timeout_given else (config.default_timeout or None)
                retries = config.max_retries if spec.max_retries is None else spec.max_retries
                run_at = now if spec.run_at is None else spec.run_at
                job_id = spec.id or new_job_id()
                env = json.dumps(spec.env)
                head = (job_id, spec.command, spec.queue, spec.priority, retries, timeout, run_at)
                rows.append((*head, now, now, env, spec.cwd))
            try:
                conn.executemany(sql.INSERT_JOB, rows)
            except sqlite3.IntegrityError:
                seen: set[str] = set()
                for row in rows:
                    exists = conn.execute("SELECT 1 FROM jobs WHERE id = ?", (row[0],)).fetchone()
                    if exists or row[0] in seen:
                        raise DuplicateJob(f"job {row[0]!r} already exists") from None
                    seen.add(row[0])
                raise
            self._notify_local(conn, wake.WORK)
            return [
                Job(
                    r[0],
                    r[1],
                    JobState.PENDING,
                    r[2],
                    r[3],
                    0,
                    r[4],
                    r[5],
                    r[6],
                    now,
                    now,
                    s.env,
                    s.cwd,
                )
                for r, s in zip(rows, specs, strict=True)
            ]

        return await self._tx(write)

    async def get_job(self, job_id: str) -> Job | None:
        def read(conn: Conn) -> Job | None:
            row = conn.execute(
                f"SELECT {sql.JOB_COLUMNS} FROM jobs WHERE id = ?", (job_id,)
            ).fetchone()
            return job_from_row(row) if row else None

        return await self._read(read)

    async def list_jobs(
        self,
        *,
        state: JobState | None = None,
        queue: str | None = None,
        search: str | None = None,
        limit: int | None = None,
        offset: int = 0,
        newest_first: bool = False,
    ) -> list[Job]:
        where, params = _filters(state, queue, search)
        order = "DESC" if newest_first else "ASC"
        query = f"SELECT {sql.JOB_COLUMNS} FROM jobs{where} ORDER BY seq {order} LIMIT ? OFFSET ?"
        params += [-1 if limit is None else limit, offset]

        def read(conn: Conn) -> list[Job]:
            return [job_from_row(r) for r in conn.execute(query, params)]

        return await self._read(read)

    async def count_jobs(
        self, *, state: JobState | None = None, queue: str | None = None, search: str | None = None
    ) -> int:
        if queue is None and not search:
            counts = await self.counts()
            return counts[state] if state is not None else sum(counts.values())
        where, params = _filters(state, queue, search)

        def read(conn: Conn) -> int:
            return int(conn.execute(f"SELECT count(*) FROM jobs{where}", params).fetchone()[0])

        return await self._read(read)

    async def counts(self) -> dict[JobState, int]:
        def read(conn: Conn) -> dict[JobState, int]:
            rows = conn.execute("SELECT state, n FROM state_counts").fetchall()
            return {JobState(s): n for s, n in rows}

        return await self._read(read)

    async def attempts(self, job_id: str) -> list[Attempt]:
        def read(conn: Conn) -> list[Attempt]:
            rows = conn.execute(
                "SELECT job_id, attempt, worker_id, started_at, finished_at, exit_code, error "
                "FROM attempts WHERE job_id = ? ORDER BY attempt",
                (job_id,),
            )
            return [attempt_from_row(r) for r in rows]

        return await self._read(read)

    async def output(self, job_id: str, attempt: int | None = None) -> Output | None:
        def read(conn: Conn) -> Output | None:
            if attempt is None:
                row = conn.execute(
                    "SELECT attempt, finished_at FROM attempts WHERE job_id = ? "
                    "ORDER BY attempt DESC LIMIT 1",
                    (job_id,),
                ).fetchone()
            else:
                row = conn.execute(
                    "SELECT attempt, finished_at FROM attempts WHERE job_id = ? AND attempt = ?",
                    (job_id, attempt),
                ).fetchone()
            if row is None:
                return None
            out = conn.execute(
                "SELECT stdout, stderr FROM outputs WHERE job_id = ? AND attempt = ?",
                (job_id, row[0]),
            ).fetchone() or ("", "")
            return Output(job_id, row[0], out[0], out[1], row[1] is not None)

        return await self._read(read)

    def _load_for_change(
        self, conn: Conn, job_ids: Sequence[str], allowed: Sequence[JobState], verb: str
    ) -> list[tuple[Job, int]]:
        found = []
        for job_id in dict.fromkeys(job_ids):
            row = conn.execute(
                f"SELECT {sql.JOB_COLUMNS} FROM jobs WHERE id = ?", (job_id,)
            ).fetchone()
            if row is None:
                raise JobNotFound(f"no job with id {job_id!r}")
            job = job_from_row(row)
            if job.state not in allowed:
                names = ", ".join(str(s) for s in allowed)
                raise InvalidState(
                    f"job {job_id!r} is {job.state}; only {names} jobs can be {verb}"
                )
            found.append((job, job.runs))
        return found

    async def cancel(self, job_ids: Sequence[str]) -> list[Job]:
        def write(conn: Conn) -> list[Job]:
            now = self._clock()
            jobs = self._load_for_change(conn, job_ids, CANCELLABLE_STATES, "cancelled")
            for job, run in jobs:
                conn.execute(
                    "UPDATE jobs SET state = 'cancelled', finished_at = ?, updated_at = ?, "
                    "lease_expires_at = NULL, last_error = 'cancelled by operator' WHERE id = ?",
                    (now, now, job.id),
                )
                if job.state == JobState.PROCESSING:
                    conn.execute(sql.CLOSE_ATTEMPT, (now, "cancelled", job.id, run))
            if any(job.state == JobState.PROCESSING for job, _ in jobs):
                self._notify_local(conn, wake.CONTROL)
            return [self._reload(conn, job.id) for job, _ in jobs]

        return await self._tx(write)

    @staticmethod
    def _reload(conn: Conn, job_id: str) -> Job:
        row = conn.execute(f"SELECT {sql.JOB_COLUMNS} FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return job_from_row(row)

    async def retry(self, job_ids: Sequence[str], *, allow_failed: bool = False) -> list[Job]:
        allowed = (JobState.DEAD, JobState.FAILED) if allow_failed else (JobState.DEAD,)

        def write(conn: Conn) -> list[Job]:
            now = self._clock()
            jobs = self._load_for_change(conn, job_ids, allowed, "retried")
            for job, _ in jobs:
                # A dead job starts over with a full set of attempts; a failed one skips its wait.
                reset = job.state == JobState.DEAD
                conn.execute(
                    "UPDATE jobs SET state = 'pending', run_at = ?, updated_at = ?, "
                    "attempts = CASE WHEN ? THEN 0 ELSE attempts END WHERE id = ?",
                    (now, now, reset, job.id),
                )
            self._notify_local(conn, wake.WORK)
            return [self._reload(conn, job.id) for job, _ in jobs]

        return await self._tx(write)

    async def retry_all_dead(self) -> int:
        def write(conn: Conn) -> int:
            now = self._clock()
            count = conn.execute(
                "UPDATE jobs SET state = 'pending', attempts = 0, run_at = ?, updated_at = ? "
                "WHERE state = 'dead'",
                (now, now),
            ).rowcount
            if count:
                self._notify_local(conn, wake.WORK)
            return count

        return await self._tx(write)

    async def purge(self, states: Sequence[JobState], finished_before: float) -> int:
        def write(conn: Conn) -> int:
            total = 0
            for state in states:
                total += conn.execute(
                    "DELETE FROM jobs WHERE state = ? AND coalesce(finished_at, updated_at) < ?",
                    (str(state), finished_before),
                ).rowcount
            return total

        return await self._tx(write)

    async def metrics(self) -> Metrics:
        def read(conn: Conn) -> Metrics:
            now = self._clock()
            counts = {s: n for s, n in conn.execute("SELECT state, n FROM state_counts")}
            durations = [
                r[0]
                for r in conn.execute(
                    "SELECT finished_at - started_at FROM jobs INDEXED BY jobs_state_finished "
                    "WHERE state = 'completed' AND finished_at > ? "
                    "ORDER BY finished_at DESC LIMIT 10000",
                    (now - 86400,),
                )
            ]
            finished = [
                r[0]
                for r in conn.execute(
                    "SELECT finished_at FROM jobs INDEXED BY jobs_state_finished "
                    "WHERE state = 'completed' AND finished_at > ?",
                    (now - 3600,),
                )
            ]
            return build_metrics(counts, durations, finished, now)

        return await self._read(read)

    async def change_token(self) -> int:
        def read(conn: Conn) -> int:
            return int(conn.execute("PRAGMA data_version").fetchone()[0])

        # data_version only moves for other connections' commits; add our own writes.
        return (await self._run(read)) * 1_000_003 + self._own_writes

    # --- workers ----------------------------------------------------------------------------
    async def register_worker(self, info: WorkerInfo) -> None:
        def write(conn: Conn) -> None:
            now = self._clock()
            conn.execute(
                "INSERT OR REPLACE INTO workers (id, host, pid, slots, queues, started_at, "
                "heartbeat_at, current_jobs, stop_requested) VALUES (?, ?, ?, ?, ?, ?, ?, '[]', 0)",
                (info.id, info.host, info.pid, info.slots, json.dumps(info.queues), now, now),
            )

        await self._tx(write)

    async def deregister_worker(self, worker_id: str) -> None:
        await self._tx(lambda conn: conn.execute("DELETE FROM workers WHERE id = ?", (worker_id,)))

    async def list_workers(self, *, include_stale: bool = False) -> list[WorkerInfo]:
        def read(conn: Conn) -> list[WorkerInfo]:
            horizon = -1.0 if include_stale else self._clock() - _get_config(conn).lease_timeout
            rows = conn.execute(
                "SELECT id, host, pid, slots, queues, started_at, heartbeat_at, current_jobs, "
                "stop_requested FROM workers WHERE heartbeat_at > ? ORDER BY started_at",
                (horizon,),
            )
            return [worker_from_row(r) for r in rows]

        return await self._read(read)

    async def request_stop(self) -> int:
        def write(conn: Conn) -> int:
            horizon = self._clock() - _get_config(conn).lease_timeout
            count = conn.execute(
                "UPDATE workers SET stop_requested = 1 WHERE heartbeat_at > ?", (horizon,)
            ).rowcount
            self._notify_local(conn, wake.CONTROL)
            return count

        return await self._tx(write)

    async def heartbeat(
        self, worker_id: str, running: Sequence[tuple[str, int]], lease: float
    ) -> Heartbeat:
        def write(conn: Conn) -> Heartbeat:
            now = self._clock()
            row = conn.execute(
                "UPDATE workers SET heartbeat_at = ?, current_jobs = ? WHERE id = ? "
                "RETURNING stop_requested",
                (now, json.dumps([j for j, _ in running]), worker_id),
            ).fetchone()
            lost = set()
            for job_id, run in running:
                renewed = conn.execute(
                    "UPDATE jobs SET lease_expires_at = ? WHERE id = ? AND worker_id = ? "
                    "AND runs = ? AND state = 'processing'",
                    (now + lease, job_id, worker_id, run),
                ).rowcount
                if not renewed:
                    lost.add(job_id)
            return Heartbeat(frozenset(lost), bool(row[0]) if row else False)

        return await self._tx(write)

    def _claimer(
        self, worker_id: str, queues: Sequence[str] | None, limit: int, lease: float
    ) -> Callable[[Conn], list[Job]]:
        params: dict[str, Any] = {"worker": worker_id, "limit": limit}
        queue_filter = ""
        if queues:
            names = [f":q{i}" for i in range(len(queues))]
            queue_filter = f"AND queue IN ({', '.join(names)})"
            params.update({f"q{i}": q for i, q in enumerate(queues)})
        statement = sql.CLAIM.format(queue_filter=queue_filter)

        def claim(conn: Conn) -> list[Job]:
            now = self._clock()
            rows = conn.execute(statement, {**params, "now": now, "lease": now + lease})
            jobs = [job_from_row(r) for r in rows.fetchall()]
            jobs.sort(key=lambda j: (-j.priority, j.created_at))
            return jobs

        return claim

    async def claim(
        self, worker_id: str, queues: Sequence[str] | None, limit: int, lease: float
    ) -> list[Job]:
        return await self._tx(self._claimer(worker_id, queues, limit, lease))

    async def save_output(self, items: Sequence[tuple[str, int, str, str]]) -> None:
        if items:
            await self._tx(lambda conn: conn.executemany(sql.SAVE_LIVE_OUTPUT, items))

    def _finish(self, conn: Conn, finishes: Sequence[Finish]) -> list[bool]:
        if not finishes:
            return []
        config = _get_config(conn)
        now = self._clock()
        owned = []
        for item in finishes:
            outcome = item.outcome
            params = {
                "id": item.job_id,
                "worker": item.worker_id,
                "run": item.attempt,
                "now": now,
                "ok": outcome.succeeded,
                "exit_code": outcome.exit_code,
                "error": outcome.error,
            }
            attempts = conn.execute("SELECT attempts FROM jobs WHERE id = ?", (item.job_id,))
            row = attempts.fetchone()
            retry_at = now + config.backoff(row[0] if row else 1)
            updated = conn.execute(sql.FINISH_JOB, {**params, "retry_at": retry_at}).rowcount
            conn.execute(sql.FINISH_ATTEMPT, params)
            if outcome.stdout or outcome.stderr:
                conn.execute(
                    sql.SAVE_OUTPUT, (item.job_id, item.attempt, outcome.stdout, outcome.stderr)
                )
            owned.append(bool(updated))
        return owned

    async def finish(self, finishes: Sequence[Finish]) -> list[bool]:
        return await self._tx(lambda conn: self._finish(conn, finishes))

    async def finish_and_claim(
        self,
        finishes: Sequence[Finish],
        worker_id: str,
        queues: Sequence[str] | None,
        limit: int,
        lease: float,
    ) -> tuple[list[bool], list[Job]]:
        claim = self._claimer(worker_id, queues, limit, lease)

        def write(conn: Conn) -> tuple[list[bool], list[Job]]:
            owned = self._finish(conn, finishes)
            return owned, claim(conn) if limit > 0 else []

        return await self._tx(write)

    async def release(self, job_id: str, worker_id: str, run: int) -> bool:
        def write(conn: Conn) -> bool:
            now = self._clock()
            released = conn.execute(
                "UPDATE jobs SET state = 'pending', attempts = max(attempts - 1, 0), "
                "runs = runs - 1, run_at = ?, updated_at = ?, started_at = NULL, "
                "lease_expires_at = NULL WHERE id = ? AND worker_id = ? AND runs = ? "
                "AND state = 'processing'",
                (now, now, job_id, worker_id, run),
            ).rowcount
            if released:
                conn.execute("DELETE FROM attempts WHERE job_id = ? AND attempt = ?", (job_id, run))
                conn.execute("DELETE FROM outputs WHERE job_id = ? AND attempt = ?", (job_id, run))
            return bool(released)

        return await self._tx(write)

    async def recover(self, dead_workers: Sequence[str] = ()) -> list[str]:
        def write(conn: Conn) -> list[str]:
            config = _get_config(conn)
            now = self._clock()
            lost = LOST_ERROR.format(config.lease_timeout)
            found = [(*row[:3], lost) for row in conn.execute(sql.EXPIRED, (now,))]
            for worker_id in dead_workers:
                gone = f"worker lost (process of {worker_id} is gone)"
                found += [(*row[:3], gone) for row in conn.execute(sql.OWNED_BY, (worker_id,))]
                conn.execute("DELETE FROM workers WHERE id = ?", (worker_id,))
            recovered = []
            for job_id, run, attempts, error in found:
                retry_at = now + config.backoff(attempts)
                conn.execute(sql.RECOVER_JOB, (retry_at, now, now, error, job_id, run))
                conn.execute(sql.CLOSE_ATTEMPT, (now, error, job_id, run))
                recovered.append(job_id)
            # Rows of workers that vanished long ago only clutter the workers pane.
            conn.execute(
                "DELETE FROM workers WHERE heartbeat_at < ?", (now - 10 * config.lease_timeout,)
            )
            if recovered:
                self._notify_local(conn, wake.WORK)
            return recovered

        return await self._tx(write)

    async def next_due(self, queues: Sequence[str] | None) -> float | None:
        query = "SELECT min(run_at) FROM jobs WHERE state IN ('pending', 'failed')"
        params: list[str] = []
        if queues:
            query += f" AND queue IN ({', '.join('?' * len(queues))})"
            params = list(queues)

        def read(conn: Conn) -> float | None:
            value = conn.execute(query, params).fetchone()[0]
            return None if value is None else float(value)

        return await self._read(read)

    async def has_unfinished(self) -> bool:
        def read(conn: Conn) -> bool:
            row = conn.execute(
                "SELECT sum(n) FROM state_counts WHERE state IN ('pending', 'failed', 'processing')"
            ).fetchone()
            return bool(row[0])

        return await self._read(read)

    async def listen(self, worker_id: str, callback: WakeCallback) -> None:
        await self.unlisten()
        try:
            self._listener = await wake.Listener.bind(wake.address(self.url, worker_id), callback)
        except OSError:
            self._listener = None  # no wake-ups: workers fall back to polling

    async def unlisten(self) -> None:
        if self._listener is not None:
            self._listener.close()
            self._listener = None


def _as_dict(config: Config) -> dict[str, Any]:
    return {name: getattr(config, name) for name in config.__slots__}
