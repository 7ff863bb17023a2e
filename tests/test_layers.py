"""The package's rooms and layers, as docs/ARCHITECTURE.md states them, enforced on the source.

Every import counts: top-level, lazy (inside a function) and under ``TYPE_CHECKING``.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "pytest_prodready"
NAME = "pytest_prodready"
ARCHITECTURE = ROOT / "docs" / "ARCHITECTURE.md"
HEAVY = ("playwright", "schemathesis", "requests", "locust", "gevent")
IO_LIBRARIES = ("socket", "subprocess", *HEAVY)


@dataclass(frozen=True)
class Import:
    source: str  # the importing module, dotted
    target: str  # the imported module, dotted (a submodule when ``from pkg import sub``)
    line: int


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(package: Path = PACKAGE) -> dict[str, Path]:
    return {module_name(p): p for p in sorted(package.rglob("*.py"))}


def imports_of(name: str, path: Path, known: set[str]) -> Iterator[Import]:
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(name, alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = name.split(".") if is_package else name.split(".")[:-1]
                parent = parent[: len(parent) - node.level + 1]
                base = ".".join([*parent, *([node.module] if node.module else [])])
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                yield Import(name, sub if sub in known else base, node.lineno)


def graph() -> list[Import]:
    found = modules()
    known = set(found)
    return [edge for name, path in found.items() for edge in imports_of(name, path, known)]


def room_of(module: str) -> str:
    """The room of one of our modules: its subpackage, ``core`` for the package's own
    ``__init__``, ``top`` for an entry module."""
    parts = module.split(".")
    if len(parts) == 1:
        return "core"
    if (PACKAGE / parts[1]).is_dir():
        return parts[1]
    return "top"


def table(heading: str, which: int = 0) -> list[list[str]]:
    """The rows (cells, backticks dropped) of a table under ``## heading`` in
    docs/ARCHITECTURE.md: the first one, or the ``which``-th."""
    text = ARCHITECTURE.read_text(encoding="utf-8")
    section = text.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"(?:^\|.*\n?)+", section, re.MULTILINE)
    rows = blocks[which].strip().splitlines()[2:]
    return [[cell.strip().strip("`") for cell in row.strip("|").split("|")] for row in rows]


def allowed_rooms() -> dict[str, set[str]]:
    return {room: {r.strip() for r in may.split(",")} | {room} for room, may in table("Layers")}


def ours(edges: list[Import]) -> list[Import]:
    return [e for e in edges if e.target == NAME or e.target.startswith(f"{NAME}.")]


def where(edge: Import) -> str:
    return f"{edge.source}:{edge.line} imports {edge.target}"


# -- the rules ---------------------------------------------------------------------------


def violations_of_layers(edges: list[Import], allowed: dict[str, set[str]]) -> list[str]:
    bad = []
    for edge in ours(edges):
        source, target = room_of(edge.source), room_of(edge.target)
        if edge.source == NAME and target != "core":
            bad.append(f"{where(edge)}: the package's __init__ may import core only")
        elif target not in allowed.get(source, set()):
            bad.append(f"{where(edge)}: room {source!r} may not import room {target!r}")
    return bad


def cycles(edges: list[Import]) -> list[list[str]]:
    """Every strongly connected component of more than one module (Tarjan's algorithm)."""
    succ: dict[str, set[str]] = {}
    for edge in ours(edges):
        if edge.source != edge.target:
            succ.setdefault(edge.source, set()).add(edge.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(succ.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(succ):
        if node not in index:
            visit(node)
    return found


def pure_rules() -> list[tuple[list[str], list[str]]]:
    """(pure module patterns, forbidden module patterns) from the doc's table."""

    def names(cell: str) -> list[str]:
        return [
            f"{NAME}." + n.strip().strip("`").replace("/", ".")
            for n in cell.split(";", maxsplit=1)[0].split(",")
        ]

    return [(names(pure), names(forbidden)) for pure, forbidden in table("Pure beside I/O")]


def matches(module: str, pattern: str) -> bool:
    if pattern.endswith(".*"):
        return module.startswith(pattern[:-1])
    return module == pattern or module.startswith(pattern + ".")


def violations_of_purity(edges: list[Import]) -> list[str]:
    bad = []
    for pure, forbidden in pure_rules():
        for edge in edges:
            if not any(matches(edge.source, p) for p in pure):
                continue
            library = edge.target.split(".")[0]
            if library in IO_LIBRARIES or any(matches(edge.target, f) for f in forbidden):
                bad.append(f"{where(edge)}: a pure module imports I/O")
    return bad


def violations_of_doors(edges: list[Import]) -> list[str]:
    bad = []
    for edge in ours(edges):
        parts = edge.source.split(".")
        own_door = ".".join(parts[:2])
        if len(parts) > 2 and edge.target == own_door:
            bad.append(f"{where(edge)}: inside a room, import the sibling module, not the door")
        if edge.target == f"{NAME}.fixtures" and edge.source != f"{NAME}.plugin":
            bad.append(f"{where(edge)}: only the plugin imports the user fixtures")
    return bad


# -- the tests ---------------------------------------------------------------------------


def test_the_top_level_holds_only_entry_modules_and_documented_rooms() -> None:
    rooms = {row[0].rstrip("/") for row in table("Rooms")}
    entries = {row[0] for row in table("Rooms", 1)}
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    assert {p.stem for p in PACKAGE.glob("*.py")} == entries, (
        "a new module goes in a room, not at the top level (docs/ARCHITECTURE.md)"
    )
    assert packages == rooms, "every room is documented in docs/ARCHITECTURE.md, and only those"
    assert {row[0] for row in table("Layers")} == rooms | {"top"}


def test_imports_go_down_only() -> None:
    assert violations_of_layers(graph(), allowed_rooms()) == []


def test_the_import_graph_has_no_cycle() -> None:
    assert cycles(graph()) == []


def test_pure_modules_import_no_io() -> None:
    assert violations_of_purity(graph()) == []


def test_rooms_import_siblings_and_only_the_plugin_imports_fixtures() -> None:
    assert violations_of_doors(graph()) == []


# The rules fail when broken: each is fed one offending import.


@pytest.mark.parametrize(
    ("source", "target", "expected"),
    [
        (f"{NAME}.checks.csp", f"{NAME}.http.client", "room 'checks' may not import room 'http'"),
        (f"{NAME}.browser.watch", f"{NAME}.load.slo", "room 'browser' may not import room 'load'"),
        (f"{NAME}.core.findings", f"{NAME}.config", "room 'core' may not import room 'config'"),
        (f"{NAME}.demo.app", f"{NAME}.core.findings", "room 'demo' may not import room 'core'"),
        (NAME, f"{NAME}.http", "the package's __init__ may import core only"),
    ],
)
def test_the_layer_rule_catches_an_upward_or_sideways_import(
    source: str, target: str, expected: str
) -> None:
    [message] = violations_of_layers([Import(source, target, 1)], allowed_rooms())
    assert expected in message


def test_the_cycle_rule_catches_a_cycle_through_a_lazy_import() -> None:
    edges = [
        Import(f"{NAME}.config.sections", f"{NAME}.core.findings", 1),
        Import(f"{NAME}.core.findings", f"{NAME}.core.verdict", 1),
        Import(f"{NAME}.core.verdict", f"{NAME}.config.sections", 9),
    ]
    assert cycles(edges) == [sorted(e.source for e in edges)]


@pytest.mark.parametrize(
    ("source", "target"),
    [
        (f"{NAME}.checks.tls", "socket"),
        (f"{NAME}.browser.checks", "playwright.sync_api"),
        (f"{NAME}.browser.checks", f"{NAME}.browser.watch"),
        (f"{NAME}.contracts.policy", "schemathesis"),
        (f"{NAME}.load.slo", f"{NAME}.load.process"),
        (f"{NAME}.checks.headers", f"{NAME}.probes.redirect"),
    ],
)
def test_the_purity_rule_catches_io_in_a_pure_module(source: str, target: str) -> None:
    assert violations_of_purity([Import(source, target, 1)]) != []


def test_the_door_rule_catches_a_room_importing_its_own_door() -> None:
    edges = [
        Import(f"{NAME}.browser.watch", f"{NAME}.browser", 3),
        Import(f"{NAME}.report.summary", f"{NAME}.fixtures", 4),
    ]
    assert len(violations_of_doors(edges)) == 2


def test_the_import_reader_sees_lazy_and_type_checking_imports(tmp_path: Path) -> None:
    source = tmp_path / "m.py"
    source.write_text(
        textwrap.dedent(
            """
            from typing import TYPE_CHECKING
            if TYPE_CHECKING:
                from pytest_prodready.load import slo
            def f():
                import pytest_prodready.browser.watch
                from . import sibling
            """
        )
    )
    known = {f"{NAME}.load.slo", f"{NAME}.checks.sibling"}
    targets = {e.target for e in imports_of(f"{NAME}.checks.m", source, known)}
    assert {f"{NAME}.load.slo", f"{NAME}.browser.watch", f"{NAME}.checks.sibling"} <= targets


# -- what importing costs ----------------------------------------------------------------


def imported_after(code: str) -> set[str]:
    probe = f"import sys\n{code}\nprint(' '.join(sorted(m.split('.')[0] for m in sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    return set(done.stdout.split())


def test_the_public_api_and_load_slo_import_no_pytest() -> None:
    loaded = imported_after("import pytest_prodready, pytest_prodready.load.slo")
    assert {"pytest", "_pytest"} & loaded == set()


def test_the_plugin_and_every_door_import_no_heavy_library() -> None:
    doors = ", ".join(
        f"{NAME}.{p.name}" for p in sorted(PACKAGE.iterdir()) if (p / "__init__.py").is_file()
    )
    loaded = imported_after(f"import {NAME}.plugin, {doors}")
    assert set(HEAVY) & loaded == set()


def test_the_import_probe_sees_a_heavy_import() -> None:
    assert "requests" in imported_after("import requests")


# -- the catalogue -----------------------------------------------------------------------


def test_importing_every_module_adds_no_rule_the_catalogue_missed() -> None:
    # locust_plugin first: locust must monkey-patch ssl before anything imports it.
    names = sorted(
        (n for n in modules() if not n.startswith(f"{NAME}.demo")),
        key=lambda n: (n != f"{NAME}.locust_plugin", n),
    )
    probe = textwrap.dedent(
        f"""
        import importlib
        from pytest_prodready.core.catalogue import catalogue
        from pytest_prodready.core.findings import CATALOGUE
        listed = set(catalogue())
        for name in {names!r}:
            importlib.import_module(name)
        print(sorted(set(CATALOGUE) - listed))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == "[]", "add the module to core.catalogue.RULE_MODULES"


def test_the_catalogue_names_only_modules_that_declare_rules() -> None:
    from pytest_prodready.core.catalogue import RULE_MODULES

    for name in RULE_MODULES:
        source = modules()[name].read_text(encoding="utf-8")
        assert re.search(r"^[A-Z_]+ = rule\(", source, re.MULTILINE), name
