"""The packages of gamehub/ import in one direction only, and no module imports itself back.

Read from the source with `ast` (every import, the ones inside functions included), so the
rule holds for the code as written, not for what one run happened to import. The layers are
in docs/architecture.md.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "gamehub"

# What each package may import from gamehub (besides itself). Lower layers first.
MAY_IMPORT = {
    "engine": set(),
    "runtime": set(),
    "i18n": set(),
    "views": {"engine", "i18n"},
    "content": {"engine", "runtime"},
    "storage": {"engine", "content", "runtime"},
    "server": {"engine", "views", "content", "storage", "runtime", "i18n"},
    "server.cluster": {"server", "engine", "views", "content", "storage", "runtime", "i18n"},
    "cli": {"server", "engine", "views", "content", "storage", "runtime", "i18n"},
}
# The one place that may reach into the cluster: the app factory, when a message queue is set.
PLUGS_IN_THE_CLUSTER = {"gamehub.server"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """The gamehub modules `path` imports (a `from X import name` counts X.name when that is a module)."""
    here = module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("gamehub")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("gamehub"):
                continue
            for alias in node.names:
                candidate = f"{target}.{alias.name}"
                found.add(candidate if candidate in MODULES else target)
    return found - {here}


MODULES = {module_name(p) for p in PACKAGE.rglob("*.py")}
GRAPH = {module_name(p): imports_of(p) for p in PACKAGE.rglob("*.py")}


def layer(module: str) -> str | None:
    parts = module.split(".")[1:]
    if parts[:2] == ["server", "cluster"]:
        return "server.cluster"
    return parts[0] if parts and parts[0] in MAY_IMPORT else None


def test_only_packages_sit_at_the_root():
    loose = sorted(p.name for p in PACKAGE.glob("*.py") if p.name not in ("__init__.py", "__main__.py"))
    assert loose == []


def test_every_package_says_its_job_in_one_line():
    for init in PACKAGE.rglob("__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc and doc.strip(), f"{init.relative_to(PACKAGE.parent)} has no docstring"


def test_no_module_imports_a_higher_layer():
    wrong = []
    for module, imported in GRAPH.items():
        mine = layer(module)
        for target in imported:
            theirs = layer(target)
            if mine is None or theirs is None or theirs == mine:
                continue
            if theirs == "server.cluster" and mine == "server" and module in PLUGS_IN_THE_CLUSTER:
                continue
            if theirs not in MAY_IMPORT[mine]:
                wrong.append(f"{module} ({mine}) imports {target} ({theirs})")
    assert wrong == []


def test_there_is_no_import_circle():
    seen, done, circles = [], set(), []

    def visit(module: str) -> None:
        if module in done:
            return
        if module in seen:
            circles.append(" -> ".join(seen[seen.index(module):] + [module]))
            return
        seen.append(module)
        for target in sorted(GRAPH.get(module, ())):
            if target in GRAPH:
                visit(target)
        seen.pop()
        done.add(module)

    for module in sorted(GRAPH):
        visit(module)
    assert circles == []
