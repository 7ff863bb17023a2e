"""The wheel carries the suites and locustfiles, so an installed package runs them
(``pytest --pyargs pytest_prodready.suites``) without a copy of this repository."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from pytest_prodready.config import load as profiles
from pytest_prodready.config._table import Table

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(ROOT)],
        check=True,
        timeout=300,
        capture_output=True,
    )
    (built,) = out.glob("pytest_prodready-*.whl")
    return built


def test_the_wheel_ships_every_suite_and_locustfile(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for suite in sorted((ROOT / "suites").glob("*.py")):
        assert f"pytest_prodready/suites/{suite.name}" in names
    for locustfile in sorted((ROOT / "locustfiles").glob("*.py")):
        assert f"pytest_prodready/locustfiles/{locustfile.name}" in names
    assert "pytest_prodready/py.typed" in names


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
