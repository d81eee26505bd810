"""No import cycle between tissue_sim's packages (DESIGN.md: no stage imports a later one).

The imports are read from the source with :mod:`ast` — every ``import`` and
``from … import`` anywhere in a module, at module level, inside functions (a lazy import
hides a cycle from the interpreter, not from the design) and under ``TYPE_CHECKING``. A
package is a top-level folder of ``tissue_sim`` (``tissue_sim.config``,
``tissue_sim.mechanics`` with its sub-packages, …); top-level modules (``pipeline``, ``cli``,
``errors``, ``resources``) are nodes of their own. The root ``tissue_sim/__init__.py`` is the
public facade: it re-exports from the stages lazily, so its own imports are not edges
(``from tissue_sim import __version__`` is an edge into it, which leads nowhere).
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parents[1] / "tissue_sim"


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imported_names(path: Path, module: str) -> Iterator[str]:
    """Absolute dotted names a module imports (``from a import b`` gives ``a`` and ``a.b``)."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".") if is_package else module.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                source = ".".join([*base, node.module] if node.module else base)
            else:
                source = node.module or ""
            yield source
            yield from (f"{source}.{alias.name}" for alias in node.names)


def _node(module: str, root_name: str) -> str:
    """The package-level node of a module: ``tissue_sim.<first part>``."""
    return ".".join(module.split(".")[:2]) if module != root_name else root_name


def package_graph(root: Path = PACKAGE_ROOT) -> dict[str, set[str]]:
    """Package → packages it imports (edges between different packages only)."""
    return {node: set(targets) for node, targets in _package_graph(root).items()}


@lru_cache(maxsize=8)
def _package_graph(root: Path) -> dict[str, frozenset[str]]:
    root_name = root.name
    files = {_module_name(path, root): path for path in sorted(root.rglob("*.py"))}
    graph: dict[str, set[str]] = defaultdict(set)
    for module, path in files.items():
        graph[_node(module, root_name)]
        if module == root_name:
            continue  # the lazy public facade
        for name in _imported_names(path, module):
            if name != root_name and not name.startswith(f"{root_name}."):
                continue
            while name not in files and "." in name:
                name = name.rsplit(".", 1)[0]  # ``from pkg.module import function``
            source, target = _node(module, root_name), _node(name, root_name)
            if source != target:
                graph[source].add(target)
    return {node: frozenset(targets) for node, targets in graph.items()}


def package_cycles(root: Path = PACKAGE_ROOT) -> list[frozenset[str]]:
    """Strongly connected sets of two or more packages (Tarjan's algorithm)."""
    graph = package_graph(root)
    index: dict[str, int] = {}
    lowest: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []

    def visit(node: str) -> None:
        index[node] = lowest[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                lowest[node] = min(lowest[node], lowest[target])
            elif target in on_stack:
                lowest[node] = min(lowest[node], index[target])
        if lowest[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(frozenset(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _describe(cycle: frozenset[str], graph: dict[str, set[str]]) -> str:
    edges = [f"{a} -> {b}" for a in sorted(cycle) for b in sorted(graph[a] & cycle)]
    return "{" + ", ".join(sorted(cycle)) + "}: " + "; ".join(edges)


def test_no_package_level_import_cycle() -> None:
    graph = package_graph()
    assert "tissue_sim.loading" in graph and "tissue_sim.pipeline" in graph
    cycles = package_cycles()
    assert not cycles, "package import cycles: " + " | ".join(
        _describe(cycle, graph) for cycle in cycles
    )


def test_config_reads_and_mechanics_builds_the_materials() -> None:
    # The cycle that existed until issue 13's second wave: config validated hyperelastic
    # blocks through mechanics and read the strain-measure names from it, while
    # mechanics parsed YAML with config's reader. Config now owns the parsing
    # (config/materials.py) and mechanics consumes its dataclasses: one direction only.
    graph = package_graph()
    assert "tissue_sim.mechanics" not in graph["tissue_sim.config"]
    assert "tissue_sim.config" in graph["tissue_sim.mechanics"]


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root / "pkg"


def test_the_walker_finds_lazy_relative_and_from_imports(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        {
            "pkg/__init__.py": "from pkg.a import thing\n",
            "pkg/a/__init__.py": "from .core import thing\n",
            "pkg/a/core.py": "def thing():\n    from pkg.b.deep import other\n    return other\n",
            "pkg/b/__init__.py": "",
            "pkg/b/deep.py": "from ..c import helper as other\n",
            "pkg/c.py": "from pkg import a\nhelper = 1\n",
            "pkg/d.py": "import numpy\nfrom pkg.c import helper\n",
        },
    )
    graph = package_graph(root)
    assert graph["pkg.a"] == {"pkg.b"}
    assert graph["pkg.b"] == {"pkg.c"}
    assert graph["pkg.c"] == {"pkg", "pkg.a"}  # `from pkg import a`: the facade and pkg.a
    assert graph["pkg.d"] == {"pkg.c"}
    assert graph["pkg"] == set()  # the facade's imports are not edges
    assert package_cycles(root) == [frozenset({"pkg.a", "pkg.b", "pkg.c"})]


def test_a_chain_without_a_way_back_is_no_cycle(tmp_path: Path) -> None:
    root = _write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/a.py": "from pkg.b import x\n",
            "pkg/b/__init__.py": "from pkg.b.inner import x\n",
            "pkg/b/inner.py": "from pkg import c\nx = 1\n",
            "pkg/c.py": "",
        },
    )
    assert package_cycles(root) == []
    assert package_graph(root)["pkg.b"] == {"pkg", "pkg.c"}
