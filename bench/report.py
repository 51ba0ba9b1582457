"""Write the results as a Markdown table and a JSON document."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.stats import Results, Row


def _fmt(value: float | None) -> str:
    if value is None:
        return "n/a"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _measured(row: Row) -> str:
    if not row.samples:
        return "not available"
    if len(row.samples) == 1:
        return _fmt(row.median)
    return f"{_fmt(row.median)} ({_fmt(row.low)}-{_fmt(row.high)})"


def _met(row: Row) -> str:
    return {True: "yes", False: "**no**", None: ""}[row.met]


def markdown(results: Results, machine: dict[str, Any], meta: dict[str, Any]) -> str:
    cpu = machine.get("cpu") or "unknown CPU"
    lines = [
        f"# queuectl benchmark ({meta['mode']}, {meta['reps']} repetitions)",
        "",
        f"- machine: {machine['cores']} cores, {cpu}, Linux {machine['kernel']}",
        f"- Python {machine['python']}, SQLite {machine['sqlite']}, "
        f"PostgreSQL {machine['postgresql'] or 'not measured'}",
        f"- date: {machine['date']}; wall time of the run: {meta['elapsed_s']:.0f} s",
        f"- load average (1 min) during the run: {meta['load_min']:.2f}-{meta['load_max']:.2f}"
        f" on {machine['cores']} cores (other work on the machine inflates the figures)",
        "",
        "Median over repetitions, min-max in brackets.",
        "",
        "| id | workload | store | target | measured | unit | met | load | note |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in results.rows:
        lines.append(
            f"| {row.id} | {row.workload} | {row.store} | {row.target} | {_measured(row)} "
            f"| {row.unit} | {_met(row)} | {row.load:.1f} | {row.note} |"
        )
    return "\n".join(lines) + "\n"


def as_json(results: Results, machine: dict[str, Any], meta: dict[str, Any]) -> dict[str, Any]:
    return {
        "machine": machine,
        "run": meta,
        "rows": [
            {
                "id": r.id,
                "workload": r.workload,
                "store": r.store,
                "unit": r.unit,
                "target": r.target,
                "median": r.median,
                "min": r.low,
                "max": r.high,
                "samples": list(r.samples),
                "met": r.met,
                "load": r.load,
                "note": r.note,
            }
            for r in results.rows
        ],
    }


def write(out: Path, results: Results, machine: dict[str, Any], meta: dict[str, Any]) -> Path:
    """Write ``results.md`` and ``results.json`` into ``out``; returns the Markdown path."""
    out.mkdir(parents=True, exist_ok=True)
    document = as_json(results, machine, meta)
    (out / "results.json").write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    path = out / "results.md"
    path.write_text(markdown(results, machine, meta), encoding="utf-8")
    return path
