"""Find import cycles in a package, counting every import: module level and inside functions.

    python scripts/import_cycles.py [package ...]   (default: queuectl_core)

Prints each cycle (a group of modules that all reach each other) and exits 1 if any.
``from pkg import name`` counts as importing ``pkg.name`` when that is a module, else ``pkg``.
Imports under ``if TYPE_CHECKING:`` are skipped: they never run.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def modules(package: str, root: Path = ROOT) -> dict[str, Path]:
    """Every module of ``package`` by dotted name (a package by its ``__init__``)."""
    found = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _type_checking_only(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement, at any depth, except those only type checkers see."""
    hidden: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _type_checking_only(node):
            hidden.update(id(inner) for stmt in node.body for inner in ast.walk(stmt))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom) and id(node) not in hidden:
            yield node


def _base(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    parts = module.split(".")
    keep = len(parts) - node.level + (1 if is_package else 0)
    return ".".join(parts[:keep] + ([node.module] if node.module else []))


def imports_of(module: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The modules of ``known`` that ``module`` imports, anywhere in its body."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    targets: set[str] = set()
    for node in _imports(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            # ``from pkg import sub`` imports the module pkg.sub; ``from mod import name``, mod.
            base = _base(module, path.name == "__init__.py", node)
            subs = [f"{base}.{alias.name}" for alias in node.names]
            names = [n for n in subs if n in known]
            if len(names) < len(subs):
                names.append(base)
        for name in names:
            while name and name not in known:  # import a.b.c: the deepest module that exists
                name = name.rpartition(".")[0]
            if name and name != module:
                targets.add(name)
    return targets


def reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    """Every module ``start`` imports, directly or through others."""
    seen: set[str] = set()
    todo = list(graph[start])
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(graph.get(name, ()))
    return seen


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that import each other, directly or not (a package has ~50
    modules: mutual reachability is plenty fast and plain to check)."""
    reach = {name: reachable(graph, name) for name in graph}
    found: list[list[str]] = []
    placed: set[str] = set()
    for name in sorted(graph):
        if name in placed or name not in reach[name]:
            continue
        group = sorted(other for other in reach[name] if name in reach[other])
        placed.update(group)
        if len(group) > 1:  # a module importing itself is no cycle worth reporting
            found.append(group)
    return found


def graph_of(package: str, root: Path = ROOT) -> dict[str, set[str]]:
    known = modules(package, root)
    return {name: imports_of(name, path, known) for name, path in known.items()}


def main(packages: list[str], root: Path = ROOT) -> int:
    status = 0
    for package in packages or ["queuectl_core"]:
        for component in cycles(graph_of(package, root)):
            print(f"import cycle in {package}: {' <-> '.join(component)}")
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
