"""queuectl core: durable job store, subprocess executor and worker pool (no UI imports)."""

__version__ = "0.1.0"
