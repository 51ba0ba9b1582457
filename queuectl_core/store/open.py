"""Opening a store by URL: the one module that knows every backend.

The backends are imported when a URL names them, so a SQLite user never loads asyncpg (start-up
time of every CLI call). Nothing imports this module from inside the store package, so these
imports cannot close a cycle (scripts/import_cycles.py counts them).
"""

from __future__ import annotations

from collections.abc import Callable

from queuectl_core.store.base import Store, is_postgres_url


async def open_store(
    url: str, *, clock: Callable[[], float] | None = None, create: bool = True
) -> Store:
    """Open the store behind ``url``, migrating it; without ``create``, a missing queue is
    ``StoreMissing`` and nothing is written."""
    if is_postgres_url(url):
        from queuectl_core.store.postgres import PostgresStore

        return await PostgresStore.open(url, clock=clock, create=create)
    from queuectl_core.store.sqlite import SqliteStore

    return await SqliteStore.open(url, clock=clock, create=create)
