"""The layers, as a test: arrows point inward, SQL stays in `store/`, faces call services only.

Imports are read with `ast` from `src/territorial`; for the faces, each imported name is traced to
the module that defines it, so a name re-exported through `services` still counts as its own
layer's. `ALLOWED` lists the violations the code still has; it only shrinks, and an entry that no
longer happens fails too, so it cannot go stale."""

from __future__ import annotations

import ast
import importlib
import inspect
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "territorial"

SQL_LIBRARIES = {"sqlalchemy", "alembic"}
# What the faces may use of ours, besides their own package.
FACE_MAY_USE = ("services", "domain", "errors", "progress", "io.output")
FACES = ("cli", "api", "web")
# The centre: pure computation that reads no file and knows no database or face.
CENTRE = ("engine", "rules", "optimize", "routing", "scoring", "evaluate")
EDGES = ("io", "store", "services", "generate", "cli", "api", "web", "channels", "backends", "queues")
DOMAIN_MAY_USE = ("domain", "rules", "errors", "geo")
# Files in and out: io reads and writes, and knows only the domain's types.
IO_MAY_USE = ("io", "domain", "rules", "errors", "geo", "progress")

# (rule, importing module, imported module or name): today's violations, each slice removes some.
ALLOWED: set[tuple[str, str, str]] = set()


@dataclass(frozen=True)
class Import:
    module: str  # the importing module
    target: str  # the imported module (`import x`, `from x import y` where y is no module: x)
    name: str | None  # the imported name, for `from x import name`


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted((SRC / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


MODULES = modules()


def imports_of(module: str) -> Iterator[Import]:
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(module, alias.name, None)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                kept = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*kept, *([node.module] if node.module else [])])
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                if submodule in MODULES:
                    yield Import(module, submodule, None)
                else:
                    yield Import(module, base, alias.name)


ALL_IMPORTS = [found for module in MODULES for found in imports_of(module)]


def layer(module: str) -> str:
    """`territorial.io.output` -> `io`; a top-level module (`territorial.errors`) is its own layer."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def within(module: str, prefixes: tuple[str, ...]) -> bool:
    rest = module.removeprefix(f"{PACKAGE}.")
    return any(rest == p or rest.startswith(f"{p}.") for p in prefixes)


def ours(module: str) -> bool:
    return module == PACKAGE or module.startswith(f"{PACKAGE}.")


def defined_in(found: Import) -> str:
    """The module that defines an imported name: its `__module__` for classes and functions, else
    the module it is assigned in, found by following `from ... import` re-exports."""
    if found.name is None:
        return found.target
    value = getattr(importlib.import_module(found.target), found.name)
    if (inspect.isclass(value) or inspect.isfunction(value)) and ours(value.__module__):
        return str(value.__module__)
    target, name = found.target, found.name
    for _ in range(10):
        again = next(
            (i for i in imports_of(target) if i.name == name and ours(i.target)),
            None,
        )
        if again is None:
            return target
        target = again.target
    return target


def violations(imports: list[Import]) -> set[tuple[str, str, str]]:
    found: set[tuple[str, str, str]] = set()
    for item in imports:
        root = item.target.split(".")[0]
        if root in SQL_LIBRARIES and not within(item.module, ("store",)):
            found.add(("sql outside store", item.module, root))
        if not ours(item.target):
            continue
        if item.name is not None and item.name.startswith("_") and item.target != item.module:
            found.add(("private name", item.module, f"{item.target}.{item.name}"))
        if within(item.module, CENTRE) and within(item.target, EDGES):
            found.add(("centre reaches the edge", item.module, item.target))
        if within(item.module, ("domain",)) and not within(item.target, DOMAIN_MAY_USE):
            found.add(("domain beyond its leaves", item.module, item.target))
        if within(item.module, ("io",)) and not within(item.target, IO_MAY_USE):
            found.add(("io beyond the domain", item.module, item.target))
        if within(item.module, FACES):
            source = defined_in(item)
            face = item.module.split(".")[1]
            if not within(source, (*FACE_MAY_USE, face)) and ours(source) and source != PACKAGE:
                found.add(("face beyond services", item.module, source))
    return found


def import_cycles(imports: list[Import]) -> list[list[str]]:
    """Strongly connected groups of modules (Tarjan), each a cycle of imports."""
    graph: dict[str, set[str]] = {}
    for item in imports:
        graph.setdefault(item.module, set())
        if ours(item.target) and item.target != item.module:
            graph[item.module].add(item.target)
            graph.setdefault(item.target, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

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
                cycles.append(sorted(group))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return cycles


def test_no_new_violations() -> None:
    new = sorted(violations(ALL_IMPORTS) - ALLOWED)
    assert not new, "imports that break the layers:\n" + "\n".join(f"  {v}" for v in new)


def test_the_allowlist_only_holds_what_still_happens() -> None:
    gone = sorted(ALLOWED - violations(ALL_IMPORTS))
    assert not gone, "fixed, so take them out of ALLOWED:\n" + "\n".join(f"  {v}" for v in gone)


def test_no_import_cycles() -> None:
    assert import_cycles([i for i in ALL_IMPORTS if i.target in MODULES]) == []


@pytest.mark.parametrize(
    ("found", "expected"),
    [
        (Import("territorial.services.x", "sqlalchemy", "select"), "sql outside store"),
        (Import("territorial.services.x", "territorial.errors", "_hidden"), "private name"),
        (Import("territorial.engine.x", "territorial.io.tables", None), "centre reaches the edge"),
        (Import("territorial.domain.x", "territorial.engine.assign", None), "domain beyond its leaves"),
        (Import("territorial.io.x", "territorial.optimize.problem", None), "io beyond the domain"),
        # Re-exported through a service, a name is still its own layer's.
        (
            Import("territorial.cli.x", "territorial.services.assign", "evaluate_membership"),
            "face beyond services",
        ),
    ],
)
def test_each_rule_catches_what_it_is_for(found: Import, expected: str) -> None:
    assert expected in {rule for rule, _module, _target in violations([found])}


def test_a_cycle_is_found() -> None:
    ring = [
        Import("territorial.a", "territorial.b", None),
        Import("territorial.b", "territorial.c", None),
        Import("territorial.c", "territorial.a", None),
    ]
    assert import_cycles(ring) == [["territorial.a", "territorial.b", "territorial.c"]]
