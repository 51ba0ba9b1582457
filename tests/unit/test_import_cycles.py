"""No import cycle in queuectl_core or queuectl_tui, imports in functions included
(scripts/import_cycles.py), and console screens that reach neither the app nor the store."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
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


def test_queuectl_core_has_no_import_cycle() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "queuectl_core"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout == ""


def test_the_checker_sees_a_cycle_hidden_in_a_function(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("")
    (package / "a.py").write_text("from pkg.sub import b\n")
    (package / "sub" / "b.py").write_text("def later():\n    from pkg import a\n")
    (package / "c.py").write_text("import typing\nif typing.TYPE_CHECKING:\n    import pkg.a\n")
    checker = _checker()
    graph = checker.graph_of("pkg", tmp_path)
    assert graph["pkg.a"] == {"pkg.sub.b"}
    assert graph["pkg.sub.b"] == {"pkg.a"}
    assert graph["pkg.c"] == set()  # only type checkers see that import
    assert checker.cycles(graph) == [["pkg.a", "pkg.sub.b"]]
    assert checker.main(["pkg"], tmp_path) == 1


def test_the_checker_passes_an_acyclic_graph() -> None:
    checker = _checker()
    assert checker.cycles({"a": {"b"}, "b": {"c"}, "c": set(), "d": {"a", "c"}}) == []
    assert checker.cycles({"a": {"b"}, "b": {"a"}, "c": {"c"}}) == [["a", "b"]]


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
