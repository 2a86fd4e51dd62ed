"""No two packages import each other, directly or round a longer loop (data flows one way:
drivers -> station -> outbox -> scorer -> marks; benchscore/app is the one place that imports
everything). Every import counts, also those inside functions and under TYPE_CHECKING. A
package here is a folder with an ``__init__.py``: ``scorer.console`` and ``scorer.accounts``
are two packages; a module belongs to the folder it is in."""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ROOTS = ("benchscore", "drivers", "firmware_py", "scorer")


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for root in ROOTS:
        for path in (REPO / root).rglob("*.py"):
            parts = path.relative_to(REPO).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def _package(module: str, modules: dict[str, Path]) -> str:
    return module if modules[module].name == "__init__.py" else module.rsplit(".", 1)[0]


def _imports(module: str, path: Path, modules: dict[str, Path]) -> set[str]:
    base = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = base.split(".")[: len(base.split(".")) - (node.level - 1)]
                target = ".".join([*parts, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            names = [f"{target}.{a.name}" for a in node.names] + [target]
            names = [n for n in names if n in modules][:1] or names
        for name in names:
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name:
                out.add(name)
    return out


def package_graph() -> dict[str, set[str]]:
    """Package -> the other packages its modules import (a package and its own subpackages
    are not an edge: ``__init__`` re-exports)."""
    modules = _modules()
    graph: dict[str, set[str]] = defaultdict(set)
    for module, path in modules.items():
        src = _package(module, modules)
        for target in _imports(module, path, modules):
            dst = _package(target, modules)
            related = dst.startswith(src + ".") or src.startswith(dst + ".")
            if dst != src and not related:
                graph[src].add(dst)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one package (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in list(graph):
        if v not in index:
            visit(v)
    return found


def test_no_two_packages_import_each_other() -> None:
    graph = package_graph()
    assert "scorer" in graph and "benchscore.app" in graph  # the scan sees the code
    assert cycles(graph) == []


def test_the_core_imports_no_station_or_scorer_code() -> None:
    graph = package_graph()
    core = [p for p in graph if p.split(".")[0] == "benchscore" and p != "benchscore.app"]
    for package in core:
        outside = {d for d in graph[package] if d.split(".")[0] in ("firmware_py", "scorer")}
        assert not outside, (package, outside)


def test_the_scan_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
