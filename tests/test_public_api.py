"""The public API: what ``pytest_prodready`` exports, and what the shipped suites import.

The suites are the template users copy, so they import only public names: the package's
``__all__``, the room doors, and the modules docs/ARCHITECTURE.md lists under "Suites".
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import pytest_prodready
from pytest_prodready.demo import DemoServer

ROOT = Path(__file__).resolve().parents[1]
NAME = "pytest_prodready"
PUBLIC = [
    "SAFETY_PREFIX",
    "AssertNoFindings",
    "Finding",
    "Rule",
    "Secret",
    "Severity",
    "__version__",
    "format_findings",
    "rule",
]
DOORS = ("config", "http", "browser", "contracts")
ENTRY_MODULES = (
    "browser.a11y",
    "browser.checks",
    "browser.images",
    "browser.vitals",
    "browser.flows",
    "load.runner",
)


def test_all_is_the_public_names_sorted() -> None:
    exported = sorted(
        name
        for name in vars(pytest_prodready)
        if (not name.startswith("_") or name == "__version__")
        and not isinstance(vars(pytest_prodready)[name], type(pytest_prodready))
        and name != "annotations"
    )
    assert pytest_prodready.__all__ == PUBLIC
    assert sorted(pytest_prodready.__all__) == exported


def test_every_door_exports_what_it_names() -> None:
    for door in DOORS:
        module = importlib.import_module(f"{NAME}.{door}")
        assert module.__all__, door
        for name in module.__all__:
            assert hasattr(module, name), f"{door}.{name}"


def test_assert_no_findings_type_is_defined_once() -> None:
    defined = [
        path
        for path in (*ROOT.joinpath("src").rglob("*.py"), *ROOT.joinpath("suites").glob("*.py"))
        if "AssertNoFindings = " in path.read_text(encoding="utf-8")
    ]
    assert [p.relative_to(ROOT).as_posix() for p in defined] == [
        "src/pytest_prodready/core/findings.py"
    ]


def allowed(module: str, name: str) -> bool:
    """Whether ``from module import name`` uses the public API only."""
    if name.startswith("_"):
        return False
    if module == NAME:
        return name in pytest_prodready.__all__
    room, _, rest = module.removeprefix(f"{NAME}.").partition(".")
    if module.startswith(f"{NAME}.") and not rest:
        if room in ("checks", "probes"):
            return importlib.util.find_spec(f"{module}.{name}") is not None
        if room in DOORS or room == "load":
            door = importlib.import_module(module)
            return name in getattr(door, "__all__", ()) or f"{room}.{name}" in ENTRY_MODULES
        return False
    if room in ("checks", "probes"):
        return not rest.startswith("_")
    return f"{room}.{rest}" in ENTRY_MODULES


def suite_imports() -> list[tuple[str, str, str]]:
    found = []
    for path in sorted((ROOT / "suites").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(NAME):
                where = f"{path.name}:{node.lineno}"
                found += [(where, node.module or "", a.name) for a in node.names]
            elif isinstance(node, ast.Import):
                found += [
                    (f"{path.name}:{node.lineno}", a.name, "")
                    for a in node.names
                    if a.name.startswith(NAME)
                ]
    return found


def test_suites_import_only_public_names() -> None:
    imports = suite_imports()
    assert len(imports) > 30, "the suites' imports were read"
    private = [f"{w}: from {m} import {n}" for w, m, n in imports if not allowed(m, n)]
    assert private == []


@pytest.mark.parametrize(
    ("module", "name", "ok"),
    [
        (NAME, "Finding", True),
        (NAME, "catalogue", False),
        (f"{NAME}.core.findings", "Finding", False),
        (f"{NAME}.target.runtime", "Runtime", False),
        (f"{NAME}.config", "Environment", True),
        (f"{NAME}.config.sections", "PageSpec", False),
        (f"{NAME}.browser", "checks", True),
        (f"{NAME}.browser", "watch", False),
        (f"{NAME}.browser.watch", "PageWatch", False),
        (f"{NAME}.checks", "csp", True),
        (f"{NAME}.checks", "nonexistent", False),
        (f"{NAME}.checks._text", "body_excerpt", False),
        (f"{NAME}.probes.tls", "probe", True),
        (f"{NAME}.http", "_transport", False),
        (f"{NAME}.load", "runner", True),
        (f"{NAME}.load.runner", "run", True),
    ],
)
def test_the_suite_rule_tells_public_from_private(module: str, name: str, ok: bool) -> None:
    assert allowed(module, name) is ok


def readme_example() -> str:
    readme = (ROOT / "docs" / "fixtures.md").read_text(encoding="utf-8")
    section = readme.split("## Writing your own suite\n", 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


@pytest.mark.parametrize(("path", "outcome"), [("/status", "failed"), ("/api/health", "passed")])
def test_the_readme_suite_example_runs_on_the_public_api_both_ways(
    pytester: pytest.Pytester, demo_server: DemoServer, path: str, outcome: str
) -> None:
    """The example as written judges the demo: it has no /status page, and has /api/health."""
    pytester.makepyfile(test_own=readme_example().replace('"/status"', f'"{path}"'))
    pytester.makefile(
        ".toml",
        prodready=f'[envs.own]\nbase_url = "{demo_server.base_url}"\n'
        f'ca_bundle = "{demo_server.ca_bundle}"\n',
    )
    result = pytester.runpytest_subprocess("--target-env", "own", "-p", "no:xdist", timeout=60)
    result.assert_outcomes(**{outcome: 1})
    if outcome == "failed":
        result.stdout.fnmatch_lines(["*[[]LOW[]] custom.status-page  No /status page*HTTP 404*"])
