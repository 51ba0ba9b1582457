"""No import cycle in the console package, counting every import: top-level, inside functions,
and under ``TYPE_CHECKING`` (a cycle held apart by a lazy import is still a cycle to a reader)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "queuectl_tui"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(module: str, node: ast.ImportFrom, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def import_graph(package: str = PACKAGE) -> dict[str, set[str]]:
    """Module -> the package's modules it imports, anywhere in its body."""
    paths = {_module_name(p): p for p in (ROOT / package).rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in paths}
    for name, path in paths.items():
        is_package = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(name, node, is_package)
                targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
            for target in targets:
                # ``from pkg import mod`` names a module; ``from mod import symbol`` the module.
                while target and target not in paths:
                    target = target.rpartition(".")[0]
                if target and target != name and target != package:
                    graph[name].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected component with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_checker_sees_a_cycle_held_apart_by_a_function_level_import() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_checker_reads_imports_inside_functions(tmp_path: Path) -> None:
    source = "def f():\n    from queuectl_tui import app\n    import queuectl_tui.screens.main\n"
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom | ast.Import):
            found.add(type(node).__name__)
    assert found == {"ImportFrom", "Import"}
    graph = import_graph()
    assert "queuectl_tui.factory" in graph["queuectl_tui.cli"]


def test_no_import_cycle_in_the_console() -> None:
    found = cycles(import_graph())
    if found:
        pytest.fail("import cycles: " + "; ".join(" <-> ".join(c) for c in found))


def test_screens_and_widgets_reach_neither_the_app_nor_the_store() -> None:
    """Dependencies point one way: screens see the app only through ``console.Console``."""
    graph = import_graph()
    screens = [m for m in graph if m.startswith(("queuectl_tui.screens", "queuectl_tui.widgets"))]
    assert screens
    for module in screens:
        assert "queuectl_tui.app" not in graph[module], module
        assert "queuectl_tui.operator" not in graph[module], module
        path = ROOT / module.replace(".", "/")
        source = (path / "__init__.py" if path.is_dir() else path.with_suffix(".py")).read_text()
        assert "queuectl_core.store" not in source, module
        assert ".store." not in source and ".store)" not in source, module
