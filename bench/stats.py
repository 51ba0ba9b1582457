"""Results: one ``Row`` per measured figure, medians over repetitions with min-max."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the results table."""

    id: str
    workload: str
    store: str
    unit: str
    samples: tuple[float, ...]
    target: str = "-"
    met: bool | None = None
    note: str = ""
    load: float = 0.0

    @property
    def median(self) -> float | None:
        return statistics.median(self.samples) if self.samples else None

    @property
    def low(self) -> float | None:
        return min(self.samples) if self.samples else None

    @property
    def high(self) -> float | None:
        return max(self.samples) if self.samples else None


@dataclass(slots=True)
class Results:
    """Every row of one run, in the order measured."""

    rows: list[Row] = field(default_factory=list)

    def add(self, row: Row) -> Row:
        self.rows.append(row)
        return row

    def find(self, row_id: str, store: str, text: str = "") -> Row | None:
        """The first row with this id and store whose workload contains ``text``."""
        for row in self.rows:
            if row.id == row_id and row.store == store and text in row.workload:
                return row
        return None


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (``fraction`` in 0..1) of a non-empty list."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return ordered[rank]


def check(
    value: float | None, *, at_least: float | None = None, at_most: float | None = None
) -> bool | None:
    """Whether ``value`` meets the target (None when nothing was measured)."""
    if value is None:
        return None
    if at_least is not None and value < at_least:
        return False
    return not (at_most is not None and value > at_most)
