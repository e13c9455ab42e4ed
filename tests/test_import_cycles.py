"""No import cycle inside ``dis_annotator`` (docs/adr/0093).

Walks the source, not ``sys.modules``: every ``import`` statement of every module —
including those inside functions, which run later but still tie the two modules
together — becomes an edge to the module it names. ``if TYPE_CHECKING:`` blocks never run
and are left out, and so is the implicit import of a parent package (importing
``a.b.c`` runs ``a/b/__init__``), which every submodule of a package would otherwise share.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = "dis_annotator"
ROOT = Path(__file__).resolve().parents[1] / PACKAGE


def _modules() -> dict[str, Path]:
    out = {}
    for path in ROOT.rglob("*.py"):
        parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, name: str, is_package: bool, known: set[str]) -> set[str]:
    """Modules of ``known`` that module ``name`` imports (at any depth of its code)."""
    out: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                out.add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[: len(base) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            for alias in node.names:
                sub = f"{mod}.{alias.name}"
                out.add(sub if sub in known else mod)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return {m for m in out if m in known and m != name}


def import_graph() -> dict[str, set[str]]:
    mods = _modules()
    known = set(mods)
    return {
        name: _imports(ast.parse(path.read_text(encoding="utf-8")), name,
                       path.name == "__init__.py", known)
        for name, path in mods.items()
    }


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def strong(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    import sys

    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, 10_000))
    try:
        for v in sorted(graph):
            if v not in index:
                strong(v)
    finally:
        sys.setrecursionlimit(old)
    return found


def test_the_walker_sees_imports_and_cycles():
    tree = ast.parse(
        "import dis_annotator.b\n"
        "from dis_annotator import c\n"
        "from .d import x\n"
        "def f():\n    from dis_annotator.e import y\n"
        "if TYPE_CHECKING:\n    from dis_annotator import f\n"
    )
    known = {f"dis_annotator.{m}" for m in "abcdef"} | {"dis_annotator"}
    got = _imports(tree, "dis_annotator.a", False, known)
    assert got == {f"dis_annotator.{m}" for m in "bcde"}
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles_inside_the_package():
    graph = import_graph()
    assert len(graph) > 100 and "dis_annotator.engine.pipeline" in graph
    assert "dis_annotator.engine.types" in graph["dis_annotator.engine.pipeline"]
    assert cycles(graph) == []
