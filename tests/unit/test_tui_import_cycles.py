"""No import cycle in the console package, imports inside functions included (the same checker
as the core's, scripts/import_cycles.py), and screens that reach neither the app nor the store."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "import_cycles.py"


def _checker() -> ModuleType:
    spec = importlib.util.spec_from_file_location("import_cycles", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CHECKER = _checker()


def test_the_checker_reads_the_consoles_imports_inside_functions() -> None:
    graph = CHECKER.graph_of("queuectl_tui")
    assert "queuectl_tui.factory" in graph["queuectl_tui.cli"]


def test_no_import_cycle_in_the_console() -> None:
    found = CHECKER.cycles(CHECKER.graph_of("queuectl_tui"))
    if found:
        pytest.fail("import cycles: " + "; ".join(" <-> ".join(c) for c in found))


def test_screens_and_widgets_reach_neither_the_app_nor_the_store() -> None:
    """Dependencies point one way: screens see the app only through ``console.Console``."""
    graph = CHECKER.graph_of("queuectl_tui")
    screens = [m for m in graph if m.startswith(("queuectl_tui.screens", "queuectl_tui.widgets"))]
    assert screens
    for module in screens:
        assert "queuectl_tui.app" not in graph[module], module
        assert "queuectl_tui.operator" not in graph[module], module
        path = ROOT / module.replace(".", "/")
        source = (path / "__init__.py" if path.is_dir() else path.with_suffix(".py")).read_text()
        assert "queuectl_core.store" not in source, module
        assert ".store." not in source and ".store)" not in source, module
