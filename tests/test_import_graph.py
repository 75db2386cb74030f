"""The package's imports form a tree pointing inward: core <- web <- edges, and no cycles.

Read from the source, not from a running interpreter, so an import that only a type checker
follows (`if TYPE_CHECKING:`) counts as much as one that runs: a cycle there is a cycle a
reader has to untangle, and the next runtime import along it breaks the package. Imports
inside a function body are the deliberate way to defer a heavy module (the pytest plugin,
`fakeovirt.__init__`'s lazy names) and are left out. A module's implicit import of its own
parent packages is no edge; an explicit `from package import name` is one.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "fakeovirt"
WEB_LIBRARIES = ("werkzeug", "xmlschema", "defusedxml", "trustme", "cheroot")
CORE_BANNED = (*WEB_LIBRARIES, "time", "threading")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def module_level(tree: ast.Module) -> Iterator[ast.Import | ast.ImportFrom]:
    """Imports outside any function or class body, in `if`/`try` blocks too."""
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        node = pending.pop(0)
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If | ast.Try | ast.With):
            for block in ("body", "orelse", "finalbody", "handlers"):
                for child in getattr(node, block, []):
                    pending.extend(child.body if isinstance(child, ast.ExceptHandler) else [child])


def every_import(tree: ast.Module) -> Iterator[ast.Import | ast.ImportFrom]:
    yield from (n for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom))


def targets(name: str, node: ast.Import | ast.ImportFrom) -> Iterator[str]:
    """The modules an import statement in module `name` loads, by absolute name."""
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
        return
    base = node.module or ""
    if node.level:
        package = name if is_package(name) else name.rpartition(".")[0]
        for _ in range(node.level - 1):
            package = package.rpartition(".")[0]
        base = f"{package}.{base}" if base else package
    for alias in node.names:
        submodule = f"{base}.{alias.name}"
        yield submodule if submodule in MODULES else base


def edges(*, everywhere: bool = False) -> dict[str, set[str]]:
    """Each of our modules -> the modules of ours it imports (ancestor packages left out)."""
    graph: dict[str, set[str]] = {}
    for name, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        found = every_import(tree) if everywhere else module_level(tree)
        graph[name] = {
            target
            for node in found
            for target in targets(name, node)
            if target in MODULES and not name.startswith(target + ".") and target != name
        }
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan's algorithm)."""
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
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def ring(name: str) -> int:
    """0 for the core, 1 for the web ring, 2 for the edges users hold."""
    if name.startswith("fakeovirt.core"):
        return 0
    if name.startswith("fakeovirt.web"):
        return 1
    return 2


def test_the_package_has_no_import_cycle() -> None:
    found = cycles(edges())
    assert found == [], "import cycles (module-level and TYPE_CHECKING imports):\n" + "\n".join(
        " <-> ".join(group) for group in found
    )


def test_imports_point_inward_only() -> None:
    outward = [
        f"{name} imports {target}"
        for name, imported in edges(everywhere=True).items()
        for target in sorted(imported)
        if ring(target) > ring(name)
    ]
    assert outward == []


def test_the_core_imports_no_web_library_time_or_threading() -> None:
    found = []
    for name, path in MODULES.items():
        if ring(name) != 0:
            continue
        for node in every_import(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            names += (
                [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
            )
            found += [f"{name}: {n}" for n in names if n.split(".")[0] in CORE_BANNED]
    assert found == []


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        ({"a": {"b"}, "b": {"a"}, "c": set()}, [["a", "b"]]),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, [["a", "b", "c"]]),
        ({"a": {"b"}, "b": set()}, []),
    ],
)
def test_the_cycle_finder_finds_cycles(graph: dict[str, set[str]], expected: list[str]) -> None:
    assert cycles(graph) == expected


def test_a_type_checking_import_is_an_edge() -> None:
    tree = ast.parse(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .fake import X\n"
    )
    found = [t for node in module_level(tree) for t in targets("fakeovirt.faults", node)]
    assert "fakeovirt.fake" in found


def test_an_import_inside_a_function_is_no_module_level_edge() -> None:
    tree = ast.parse("def f():\n    from .fake import FakeOvirt\n")
    assert list(module_level(tree)) == []
