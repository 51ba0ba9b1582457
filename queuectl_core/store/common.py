"""Backend-neutral Python of the stores: what a new job gets by default, whether an operator's
change may proceed, how a config write merges. Written once; both backends call it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from queuectl_core.config import Config, check_combination, normalize_key, parse_value
from queuectl_core.errors import InvalidState, JobNotFound
from queuectl_core.lifecycle import refusal
from queuectl_core.models import Job, JobSpec, JobState


def sql_states(states: Sequence[JobState]) -> str:
    """A state set as an SQL list, ``('pending', 'failed')``: the stores' statements take their
    state sets from ``lifecycle`` through this (and it spells them as the partial indexes do)."""
    return "(" + ", ".join(f"'{state}'" for state in states) + ")"


def job_timeout(spec: JobSpec, config: Config) -> float | None:
    """The spec's timeout, or the configured default (0 means none)."""
    return spec.timeout if spec.timeout_given else (config.default_timeout or None)


def job_retries(spec: JobSpec, config: Config) -> int:
    """The spec's retries, or the configured default (frozen onto the job at enqueue)."""
    return config.max_retries if spec.max_retries is None else spec.max_retries


def checked_for_change(
    job_ids: Sequence[str], found: Mapping[str, Job], allowed: Sequence[JobState], verb: str
) -> list[Job]:
    """The jobs, in the order asked (duplicates once), if every one exists and is in an
    ``allowed`` state; else JobNotFound or InvalidState naming the first that is not."""
    jobs = []
    for job_id in dict.fromkeys(job_ids):
        job = found.get(job_id)
        if job is None:
            raise JobNotFound(f"no job with id {job_id!r}")
        if job.state not in allowed:
            raise InvalidState(refusal(job_id, job.state, allowed, verb))
        jobs.append(job)
    return jobs


def parse_setting(key: str, value: str) -> tuple[str, int | float]:
    """The key's canonical name and the typed value (InvalidInput if either is wrong), checked
    before the store is touched."""
    spec = normalize_key(key)
    return spec.name, parse_value(spec, value)


def merged_config(current: Config, name: str, value: int | float) -> Config:
    """``current`` with ``name`` set to ``value``, if the keys still agree (cross-key rules)."""
    values = {key: getattr(current, key) for key in current.__slots__}
    updated = Config(**{**values, name: value})
    check_combination(updated)
    return updated
