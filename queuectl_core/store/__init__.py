"""Storage backends behind one ``Store`` protocol."""

from queuectl_core.store.base import Store, WakeCallback, is_postgres_url, open_store

__all__ = ["Store", "WakeCallback", "is_postgres_url", "open_store"]
