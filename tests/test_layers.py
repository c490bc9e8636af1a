"""The modules import only downward, and never in a cycle.

Layers, lowest first: the foundation (errors, the calendar, codes, output formatting), the
domain (the rules, the steps around reviews, the policy), the store (the database, its
migrations, the derived data and the stored work list), operations and views (writes of
records, the work list, imports, the demo, checks), documents (letters, reports) and the
command line. A module may import from its own layer or below; every import is read,
those inside functions included. A new module not listed here counts as an operation.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "reviewcli"

LAYERS = {
    "foundation": [
        "reviewcli",
        "errors",
        "calendar",
        "codes",
        "output",
        "files",
        "templating",
        "typed",
    ],
    "domain": ["rules", "steps", "wording", "policy", "factcodes"],
    "store": ["migrations", "auditchain", "dbfile", "sharing", "workitems", "derived", "store"],
    "operations": [
        "records",
        "worklist",
        "events",
        "decisions",
        "disputes",
        "contacts",
        "ssda903",
        "importing",
        "demo",
        "maintenance",
        "batches",
    ],
    "documents": [
        "letters",
        "batches",
        "reports",
        "annual",
        "pdf",
        "wordletters",
        "emails",
        "ical",
    ],
    "cli": ["cli", "entry", "__main__"],
}
ORDER = list(LAYERS)


def _name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts) or "reviewcli"


def _layer(module: str) -> int:
    top = module.split(".")[0]
    for i, layer in enumerate(LAYERS.values()):
        if module in layer or top in layer:
            return i
    return ORDER.index("operations")


def _imports(path: Path) -> set[str]:
    """The reviewcli modules ``path`` imports, anywhere in it (names relative to the
    package; "reviewcli" for the package itself)."""
    module = _name(path)
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    if module == "reviewcli":
        package = []
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
                target = [*base, *(node.module.split(".") if node.module else [])]
                if node.module is None:  # from . import a, b
                    found.update(".".join([*target, a.name]) for a in node.names)
                else:
                    found.add(".".join(target))
            elif node.module and node.module.split(".")[0] == "reviewcli":
                found.add(".".join(node.module.split(".")[1:]) or "reviewcli")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "reviewcli":
                    found.add(".".join(alias.name.split(".")[1:]) or "reviewcli")
    modules = {_name(p) for p in PACKAGE.rglob("*.py")}
    out = set()
    for name in found:
        name = name or "reviewcli"
        # "from .cli import app": the package cli, not a module cli.app
        while name not in modules and "." in name:
            name = name.rsplit(".", 1)[0]
        if name in modules and name != module:
            out.add(name)
    return out


GRAPH = {_name(p): _imports(p) for p in sorted(PACKAGE.rglob("*.py"))}


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_imports_go_only_downward(module):
    upward = {name: ORDER[_layer(name)] for name in GRAPH[module] if _layer(name) > _layer(module)}
    assert not upward, f"{module} ({ORDER[_layer(module)]}) imports from above: {upward}"


def test_there_is_no_import_cycle():
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            cycle = path[path.index(module) :] + [module]
            pytest.fail("import cycle: " + " -> ".join(cycle))
        if module in done:
            return
        for name in sorted(GRAPH.get(module, ())):
            visit(name, [*path, module])
        done.add(module)

    for module in sorted(GRAPH):
        visit(module, [])


def test_the_layers_name_real_modules():
    listed = {m for layer in LAYERS.values() for m in layer}
    assert listed <= {m.split(".")[0] for m in GRAPH} | {"reviewcli"}
