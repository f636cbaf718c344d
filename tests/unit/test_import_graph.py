"""No import cycle anywhere in Jaring's own packages, imports inside functions and TYPE_CHECKING included.

A cycle is how a "composition root" quietly stops being one: Faust registers
agents on the app as their modules are imported, and a module that imports
its importer sees it half-built. The layers between packages are an
import-linter contract (``pyproject.toml``); this test covers every module,
within a package too, where no contract looks.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[2]
UPSTREAM = {"faust", "mode", "aiokafka"}
"""Root packages import-linter analyses that are not Jaring's (``pyproject.toml`` says why)."""


def first_party() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = [p for p in config["tool"]["importlinter"]["root_packages"] if p not in UPSTREAM]
    assert all((ROOT / p).is_dir() for p in packages), packages
    return packages


def cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Each strongly connected set of two or more modules, or a module importing itself (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(root: str) -> None:  # iterative: a deep graph must not hit the recursion limit
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            module, successors = work[-1]
            for nxt in successors:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph.find_modules_directly_imported_by(nxt)))))
                    break
                if nxt in on_stack:
                    low[module] = min(low[module], index[nxt])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[module])
                if low[module] == index[module]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == module:
                            break
                    if len(component) > 1 or graph.direct_import_exists(importer=module, imported=module):
                        found.append(sorted(component))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def test_no_module_of_jaring_imports_itself_through_others() -> None:
    graph = grimp.build_graph(*first_party(), cache_dir=None)

    found = cycles(graph)

    explained = []
    for component in found:
        first, second = component[0], component[1 % len(component)]
        there = graph.find_shortest_chain(importer=first, imported=second) or (first, second)
        back = graph.find_shortest_chain(importer=second, imported=first) or (second, first)
        explained.append(" -> ".join([*there, *back[1:]]))
    assert not found, "import cycles (break each, e.g. by moving what both need below both):\n" + "\n".join(
        explained
    )


def test_the_cycle_finder_finds_a_cycle_and_a_self_import() -> None:
    graph = grimp.ImportGraph()
    for module in ("a", "b", "c", "d", "e"):
        graph.add_module(module)
    graph.add_import(importer="a", imported="b")
    graph.add_import(importer="b", imported="c")
    graph.add_import(importer="c", imported="a")
    graph.add_import(importer="c", imported="d")
    graph.add_import(importer="e", imported="e")

    assert cycles(graph) == [["a", "b", "c"], ["e"]]
