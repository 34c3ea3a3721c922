"""The layout docs/architecture.md describes: imports flow one way, reads never import the
write side, and no module grows past what a reader takes in at once."""

import ast
from pathlib import Path

import pytest

from app.config import PROJECT_ROOT

APP = PROJECT_ROOT / "app"
LONGEST_MODULE = 400
# What writes: curation, the seeder and ingest, and the derived data they refresh (its data
# version aside, which every reader watches).
WRITE_SIDE = ("app.curation", "app.seed", "app.ingest", "app.derived")
READ_SIDE = ("app.queries", "app.presenters", "app.dated", "app.exports", "app.routes.lists")
# Layers from the bottom: a module imports only from its own layer or those below it.
LAYERS = [
    (
        "app.models",
        "app.schemas",
        "app.dates",
        "app.history",
        "app.changes",
        "app.names",
        "app.config",
        "app.db",
    ),
    ("app.kinds",),
    ("app.queries",),
    ("app.dated", "app.presenters"),
]


def _name(path: Path) -> str:
    parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_name(p): p for p in sorted(APP.rglob("*.py"))}


def _imports(name: str) -> set[str]:
    """The app modules `name` imports at its top level."""
    found: set[str] = set()
    for node in ast.parse(MODULES[name].read_text()).body:
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            targets = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        found |= {t for t in targets if t in MODULES and t != name}
    return found


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def test_no_import_cycles() -> None:
    graph = {name: _imports(name) for name in MODULES}
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> None:
        if name in path:
            cycle = path[path.index(name) :] + [name]
            pytest.fail("import cycle: " + " -> ".join(cycle))
        if name in done:
            return
        for imported in sorted(graph[name]):
            visit(imported, [*path, name])
        done.add(name)

    for name in MODULES:
        visit(name, [])


def test_reads_never_import_the_write_side() -> None:
    wrong = [
        f"{name} imports {imported}"
        for name in MODULES
        if _within(name, READ_SIDE)
        for imported in _imports(name)
        if _within(imported, WRITE_SIDE)
    ]
    assert not wrong


def test_imports_go_down_the_layers() -> None:
    def layer(name: str) -> int | None:
        return next((n for n, layer in enumerate(LAYERS) if _within(name, layer)), None)

    wrong = [
        f"{name} imports {imported}"
        for name in MODULES
        if (own := layer(name)) is not None
        for imported in _imports(name)
        if (theirs := layer(imported)) is None or theirs > own
    ]
    assert not wrong


def test_no_module_is_longer_than_a_reader_takes_in() -> None:
    lengths = {name: len(path.read_text().splitlines()) for name, path in MODULES.items()}
    assert {name: n for name, n in lengths.items() if n > LONGEST_MODULE} == {}


def test_a_dated_field_is_spelled_out_in_few_modules() -> None:
    """Adding a field takes its model, its wire schemas and its seed-file entry: the other
    layers read the field lists from those."""
    naming = [name for name, path in MODULES.items() if "status_since_note" in path.read_text()]
    assert len(naming) <= 4, naming
