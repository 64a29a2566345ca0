"""The import graph of the ``validate`` package: no cycle in the SEM engine, no private name imported
across modules.

The graph is read statically with :mod:`ast`, so an import inside a function (a "lazy" import, often
used to hide a cycle) counts as much as one at the top of a module.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "validate"

#: Cycles outside the SEM engine that exist today, each a plug-in between a generic layer and one
#: of its users: the report writers call the PLS section (and PLS reuses their helpers), the power
#: study calls its report writer, and the CLI starts the web app, which builds the CLI's parser. They
#: may shrink or go; a new cycle, or a module joining one of these, fails the test.
KNOWN_CYCLES = [
    {"validate.app.command", "validate.app.options", "validate.app.server", "validate.cli"},
    {
        "validate.pls.report",
        "validate.pls.hoc_report",
        "validate.report.excel",
        "validate.report.html",
        "validate.report.tables",
        "validate.report.word",
    },  # hoc_report: the PLS report's higher-order tables
    {"validate.power.study", "validate.report.power"},
]


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def _imports(name: str, path: Path, modules) -> list[tuple[str, str, int]]:
    """Every ``validate`` import of a module, wherever it stands: (module, imported name, line)."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                out.append((sub, "", node.lineno) if sub in modules else (target, alias.name, node.lineno))
        elif isinstance(node, ast.Import):
            out += [(alias.name, "", node.lineno) for alias in node.names]
    return [(m, n, line) for m, n, line in out if m == "validate" or m.startswith("validate.")]


def _graph():
    modules = _modules()
    edges = {name: set() for name in modules}
    for name, path in modules.items():
        for target, _, _ in _imports(name, path, modules):
            if target in modules and target != name:
                edges[name].add(target)
    return edges


def _cycles(edges) -> list[set[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(comp)

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def test_the_graph_sees_lazy_imports():
    edges = _graph()
    # validate.sem.api imports fiml only inside functions; the graph must still have the edge
    assert "validate.sem.fiml" in edges["validate.sem.api"]
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [{"a", "b", "c"}]


def test_no_import_cycle_in_the_sem_engine():
    edges = _graph()
    sem = {k: {w for w in v if w.startswith("validate.sem")} for k, v in edges.items() if k.startswith("validate.sem")}
    assert _cycles(sem) == []


def test_no_new_import_cycle_in_the_package():
    for comp in _cycles(_graph()):
        assert any(comp <= known for known in KNOWN_CYCLES), f"new import cycle: {sorted(comp)}"


def test_no_private_name_is_imported_across_modules():
    """A helper another module needs is public in the module that owns it (dunders aside)."""
    modules = _modules()
    bad = []
    for mod, path in modules.items():
        for target, imported, line in _imports(mod, path, modules):
            if imported.startswith("_") and not imported.startswith("__") and target != mod:
                bad.append(f"{path.relative_to(ROOT)}:{line}: {imported} from {target}")
    assert bad == []
