"""The modules of accountrules import downwards only, lazy imports included, and never in a circle."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"

#: Lowest first; a module may import from its own layer or a lower one. Each entry is a module or a package (with
#: its modules), except the root package, which stands for itself alone.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("vocabulary and errors", ("accountrules.vocabulary", "accountrules.errors", "accountrules.lazy")),
    ("models and validation", ("accountrules.models", "accountrules.validation")),
    ("rule packs", ("accountrules.rulepack",)),
    ("engine", ("accountrules.engine",)),
    ("batch, tooling and views", ("accountrules.batch", "accountrules.tooling", "accountrules.render")),
    ("the library's Engine", ("accountrules.api",)),
    ("command line and service", ("accountrules.cli", "accountrules.server", "accountrules.__main__")),
    ("public names", ("accountrules",)),
]

Graph = dict[str, set[str]]


def modules_under(root: Path, package: str) -> dict[str, tuple[Path, bool]]:
    """Every module of ``package`` under ``root``: name → (file, whether it is a package's ``__init__``)."""
    found = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        found[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return found


def _type_checking_only(tree: ast.AST) -> set[int]:
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) in {"TYPE_CHECKING", "typing.TYPE_CHECKING"}:
            for child in node.body:
                skipped.update(id(n) for n in ast.walk(child))
    return skipped


def _targets(name: str, is_package: bool, node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        parts = name.split(".") if is_package else name.split(".")[:-1]
        parts = parts[: len(parts) - (node.level - 1)]
        base = ".".join([*parts, *([node.module] if node.module else [])])
    return [f"{base}.{alias.name}" for alias in node.names]


def import_graph(root: Path, package: str) -> Graph:
    """Which modules of ``package`` each module imports, anywhere in its body except under ``TYPE_CHECKING``.

    ``from p import x`` counts as importing module ``p.x`` when that is a module, else ``p``.
    """
    modules = modules_under(root, package)
    graph: Graph = {}
    for name, (path, is_package) in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skipped = _type_checking_only(tree)
        imported: set[str] = set()
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Import, ast.ImportFrom)) or id(node) in skipped:
                continue
            for target in _targets(name, is_package, node):
                while target not in modules and "." in target:
                    target = target.rsplit(".", 1)[0]
                if target in modules and target != name:
                    imported.add(target)
        graph[name] = imported
    return graph


def library_graph() -> Graph:
    """The graph of accountrules, with the root package's public names, imported on first use, as its edges."""
    graph = import_graph(SRC, "accountrules")
    root = importlib.import_module("accountrules")
    graph["accountrules"] |= set(root._HOMES.values())
    return graph


def cycles(graph: Graph) -> list[list[str]]:
    """The strongly connected components of more than one module (each holds an import cycle), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def layer_of(module: str) -> int | None:
    """The number of the layer that names ``module`` or its package; None when no layer does."""
    for number, (_, members) in enumerate(LAYERS):
        for member in members:
            if module == member or (member != "accountrules" and module.startswith(member + ".")):
                return number
    return None


def layer_name(module: str) -> str:
    number = layer_of(module)
    return "no layer" if number is None else LAYERS[number][0]


def test_the_graph_counts_imports_inside_functions_and_skips_type_checking(tmp_path: Path) -> None:
    """A lazy import is an edge, an import under TYPE_CHECKING is not, and relative imports resolve."""
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("def f():\n    from pkg.sub import b\n")
    (package / "sub" / "__init__.py").write_text("")
    (package / "sub" / "b.py").write_text(
        "from typing import TYPE_CHECKING\nfrom .. import a\nif TYPE_CHECKING:\n    from pkg import c\n"
    )
    (package / "c.py").write_text("import pkg.sub.b\n")
    graph = import_graph(tmp_path, "pkg")
    assert graph == {
        "pkg": set(),
        "pkg.a": {"pkg.sub.b"},
        "pkg.sub": set(),
        "pkg.sub.b": {"pkg.a"},
        "pkg.c": {"pkg.sub.b"},
    }
    assert cycles(graph) == [["pkg.a", "pkg.sub.b"]]


def test_every_module_has_a_layer() -> None:
    """A new module is placed in a layer before it can be checked."""
    assert [m for m in sorted(library_graph()) if layer_of(m) is None] == []


def test_no_import_cycle_between_modules() -> None:
    """No module imports, directly or through others, a module that imports it back."""
    assert cycles(library_graph()) == []


def test_imports_run_down_the_layers() -> None:
    """Every import goes to the module's own layer or a lower one (the engine never imports batch or tooling;
    rule packs never run the engine)."""
    upward = [
        f"{module} ({layer_name(module)}) imports {target} ({layer_name(target)})"
        for module, targets in sorted(library_graph().items())
        for target in sorted(targets)
        if (layer_of(target) or 0) > (layer_of(module) or 0)
    ]
    assert upward == []


@pytest.mark.parametrize(
    ("module", "layer"),
    [
        ("accountrules.engine.durable", "engine"),
        ("accountrules.tooling.verify", "batch, tooling and views"),
        ("accountrules.cli.common", "command line and service"),
        ("accountrules.server.app", "command line and service"),
        ("accountrules", "public names"),
        ("accountrules.unplaced", "no layer"),
    ],
)
def test_a_module_belongs_to_the_layer_of_its_package(module: str, layer: str) -> None:
    """The layer of a module is the one that names it or its package; the root package names only itself."""
    assert layer_name(module) == layer
