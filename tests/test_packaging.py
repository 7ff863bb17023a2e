"""What goes to the package index: an sdist and a wheel that ``twine check`` accepts, holding
what users need and nothing they do not. The wheel carries the suites and locustfiles, so an
installed package runs them (``pytest --pyargs pytest_prodready.suites``) without a copy of this
repository."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from collections.abc import Iterator
from email.parser import Parser
from pathlib import Path

import pytest

from pytest_prodready.config import load as profiles
from pytest_prodready.config._table import Table
from pytest_prodready.report.docs import documentation_url, finding_url
from pytest_prodready.report.sarif import to_sarif
from pytest_prodready.report.summary import findings_table

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
# What a checkout accumulates and no distribution may carry.
NEVER = (
    "node_modules/",
    "/.next/",
    "__pycache__",
    ".pyc",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    ".hypothesis",
    ".venv/",
    "test-results/",
    "/reports/",
)


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The sdist, and the wheel built from it, as `python -m build` makes them for a release
    (with the build backend of the test extra rather than an isolated one: 10 s faster; CI
    runs the isolated build)."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "-o", str(out), str(ROOT)],
        check=True,
        timeout=300,
        capture_output=True,
    )
    (sdist,) = out.glob("pytest_prodready-*.tar.gz")
    (wheel,) = out.glob("pytest_prodready-*.whl")
    return {"sdist": sdist, "wheel": wheel}


@pytest.fixture(scope="module")
def wheel(dists: dict[str, Path]) -> Path:
    return dists["wheel"]


def source_files(directory: Path) -> Iterator[str]:
    """The files under ``directory`` (relative to the checkout) that are the project's own: not
    a cache, not the field bed's Node install or build."""
    for here, dirs, files in os.walk(directory):
        dirs[:] = [d for d in dirs if d not in {"__pycache__", "node_modules", ".next"}]
        for name in files:
            path = Path(here, name).relative_to(ROOT).as_posix()
            if not name.endswith(".pyc") and not name.startswith(".build"):
                yield path


def sdist_names(sdist: Path) -> set[str]:
    with tarfile.open(sdist) as archive:
        # Inside its top directory, pytest_prodready-VERSION/.
        return {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}


def test_twine_accepts_both_distributions(dists: dict[str, Path]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", *map(str, dists.values())],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("PASSED") == 2, result.stdout


def test_the_wheel_ships_every_suite_and_locustfile(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for suite in sorted((ROOT / "suites").glob("*.py")):
        assert f"pytest_prodready/suites/{suite.name}" in names
    for locustfile in sorted((ROOT / "locustfiles").glob("*.py")):
        assert f"pytest_prodready/locustfiles/{locustfile.name}" in names
    assert "pytest_prodready/py.typed" in names


def test_the_wheel_holds_the_package_data_and_no_tests(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    package = ROOT / "src" / "pytest_prodready"
    data = [
        *(package / "schemas").glob("*.json"),
        *(package / "demo" / "static").iterdir(),
        # The known-vulnerable-library dataset, its provenance and its licences.
        *(package / "data").glob("retirejs.*"),
    ]
    assert len([p for p in data if p.name.startswith("retirejs.")]) == 3
    for path in data:
        assert f"pytest_prodready/{path.relative_to(package).as_posix()}" in names
    tops = {name.split("/", 1)[0] for name in names}
    assert tops == {
        "pytest_prodready",
        "pytest_prodready-" + wheel.name.split("-")[1] + ".dist-info",
    }
    assert not [n for n in names if n.startswith(("tests/", "benchmarks/")) or "/tests/" in n]
    assert not [n for n in names if any(never in n for never in NEVER)]


def test_the_wheel_and_sdist_carry_the_licence_text(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names), names


def test_the_wheel_metadata_names_the_project_urls_and_the_plugin(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        info = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        meta = Parser().parsestr(archive.read(info).decode())
        entry_points = archive.read(info.replace("METADATA", "entry_points.txt")).decode()
    urls = dict(entry.split(", ", 1) for entry in meta.get_all("Project-URL") or [])
    assert urls == PYPROJECT["project"]["urls"]
    assert set(urls) == {"Documentation", "Source", "Issues", "Changelog"}
    assert meta["Description-Content-Type"] == "text/markdown"
    assert "[pytest11]\nprodready = pytest_prodready.plugin" in entry_points


def test_report_links_go_to_the_documentation_url() -> None:
    # The editable install's metadata is this pyproject's: the links follow it.
    documentation = PYPROJECT["project"]["urls"]["Documentation"]
    assert documentation_url() == documentation
    link = f"{documentation.rstrip('/')}/findings/#hsts.missing"
    assert finding_url("hsts.missing") == link
    finding = {
        "id": "hsts.missing",
        "severity": "high",
        "title": "No HSTS",
        "evidence": "",
        "remediation": "Send it.",
        "url": "https://example.test/",
        "test": "suites/test_headers.py::test_security_headers[/]",
    }
    assert f'<a href="{link}">' in findings_table([finding])
    driver = to_sarif({"findings": [finding], "accepted": [], "env": {"name": "x"}})["runs"][0][
        "tool"
    ]["driver"]
    assert driver["informationUri"] == documentation
    assert driver["rules"][0]["helpUri"] == link


def test_the_sdist_builds_the_wheel_and_runs_the_tests_without_a_checkouts_debris(
    dists: dict[str, Path],
) -> None:
    names = sdist_names(dists["sdist"])
    for needed in (
        "pyproject.toml",
        "README.md",
        "CHANGELOG.md",
        "LICENSE",
        "prodready.toml",
        "conftest.py",
        "mkdocs.yml",
        "docs/findings.md",
    ):
        assert needed in names
    for directory in ("src", "suites", "locustfiles", "tests"):
        wanted = set(source_files(ROOT / directory))
        assert wanted, directory
        assert wanted <= names, sorted(wanted - names)[:10]
    assert "tests/field/nextjs/package-lock.json" in names
    debris = sorted(n for n in names if any(never in f"/{n}" for never in NEVER))
    assert not debris, debris
    assert not [n for n in names if n.startswith((".", "dist/", "build/")) and n != ".gitignore"]


def test_installed_suites_run_by_package_name(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), wheel],
        check=True,
        timeout=300,
        capture_output=True,
    )
    work = tmp_path / "project"
    work.mkdir()
    (work / "prodready.toml").write_text('default_env = "demo"\n[envs.demo]\nembedded = "demo"\n')
    (work / "conftest.py").write_text(
        "import pytest_prodready.suites as suites\n\n"
        "def pytest_report_header():\n"
        "    return f'suites from {suites.__file__}'\n"
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--pyargs",
            "pytest_prodready.suites",
            "-m",
            "smoke",
            "-v",
        ],
        check=False,
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    # The installed copy ran, not this repository's.
    assert f"suites from {target}/pytest_prodready/suites/__init__.py" in result.stdout
    assert " passed" in result.stdout
    assert not re.search(r"\d+ failed", result.stdout)


def test_a_missing_project_locustfile_falls_back_to_the_shipped_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shipped = tmp_path / "site" / "locustfiles"
    shipped.mkdir(parents=True)
    (shipped / "smoke.py").write_text("# shipped\n")
    monkeypatch.setattr(profiles, "SHIPPED_LOCUSTFILES", shipped)
    project = tmp_path / "project"
    project.mkdir()
    spec = profiles.parse_load(
        Table(project / "prodready.toml", "[envs.x.load]", {"p95_ms": 500}),
        base=project,
        protected=False,
    )
    assert spec is not None
    assert spec.locustfile == shipped / "smoke.py"
    # A project's own locustfile of the same name wins.
    (project / "locustfiles").mkdir()
    (project / "locustfiles" / "smoke.py").write_text("# ours\n")
    spec = profiles.parse_load(
        Table(project / "prodready.toml", "[envs.x.load]", {"p95_ms": 500}),
        base=project,
        protected=False,
    )
    assert spec is not None
    assert spec.locustfile == project / "locustfiles" / "smoke.py"
