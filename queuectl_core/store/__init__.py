"""Storage backends behind one ``Store`` protocol (open one with ``store.open.open_store``)."""

from queuectl_core.store.base import (
    OperatorStore,
    RegistryStore,
    Store,
    StoreHandle,
    WakeCallback,
    WorkerStore,
    is_postgres_url,
)

__all__ = [
    "OperatorStore",
    "RegistryStore",
    "Store",
    "StoreHandle",
    "WakeCallback",
    "WorkerStore",
    "is_postgres_url",
]
