"""Reproducible benchmarks for queuectl: ``python -m bench`` (see docs/PERFORMANCE.md)."""
