"""``pytest -m smoke --target-env demo``, exactly as typed, runs the suites that ship with the
package: in this checkout (once each), and in a project that installed the package from a
wheel or as an editable checkout. Which selections add them, and what turns them off.

The installs are real: a fresh venv per install, the package installed without its
dependencies, which come from the venv running these tests through a ``.pth`` file (fast, and
no network beyond building the wheel).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import sysconfig
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from pytest_prodready import plugin
from pytest_prodready.config.shipped import shipped_dir
from pytest_prodready.options import BUILTIN_SUITES_VAR
from pytest_prodready.target.selection import TARGET_ENV_VAR

ROOT = Path(__file__).resolve().parents[1]
CONFIG = '[envs.demo]\nembedded = "demo"\n'
AS_TYPED = ["-m", "smoke", "--target-env", "demo"]
SUITES = sorted(p.name for p in (ROOT / "suites").glob("test_*.py"))
# Suites with a smoke test the bare demo config above reaches (the others need pages, health
# endpoints or a login the config does not declare).
SMOKE_SUITES = ("test_headers.py", "test_health.py", "test_release.py", "test_tls.py")
TIMEOUT_S = 300


def clean_env() -> dict[str, str]:
    """The environment a user's shell would have: nothing of the run around these tests (its
    xdist worker, its addopts, its opt-out of the shipped suites)."""
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PRODREADY_", "PYTEST_")) and k != "PYTHONPATH"
    }


def run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        cwd=cwd,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        check=False,
    )


def output(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n{result.stdout[-4000:]}\n{result.stderr[-3000:]}"


@dataclass(frozen=True)
class Venv:
    python: Path
    pytest: Path  # the console script, so a run is `pytest ...` exactly as typed
    site_packages: Path


def make_venv(where: Path) -> Venv:
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(where)], check=True, timeout=120
    )
    python = where / "bin" / "python"
    site_packages = Path(
        run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], where
        ).stdout.strip()
    )
    # Listed after the venv's own packages, so the package under test comes from the install.
    ours = dict.fromkeys([sysconfig.get_path("purelib"), sysconfig.get_path("platlib")])
    (site_packages / "zz_test_dependencies.pth").write_text("\n".join(ours) + "\n")
    script = where / "bin" / "pytest"
    script.write_text(
        f"#!{python}\nimport sys\nfrom pytest import console_main\nsys.exit(console_main())\n"
    )
    script.chmod(0o755)
    return Venv(python, script, site_packages)


def pip_install(venv: Venv, *what: str) -> None:
    pip = [sys.executable, "-m", "pip", "--python", str(venv.python), "install", "-q"]
    subprocess.run(
        [*pip, "--no-deps", *what],
        check=True,
        timeout=TIMEOUT_S,
        capture_output=True,
    )


def project(where: Path) -> Path:
    where.mkdir(parents=True, exist_ok=True)
    (where / "prodready.toml").write_text(CONFIG)
    return where


def assert_smoke_suites_ran_once(result: subprocess.CompletedProcess[str]) -> list[str]:
    assert result.returncode == 0, output(result)
    assert not re.search(r"\d+ (failed|error)", result.stdout), output(result)
    ran = re.findall(r"^(\S+::\S+) (?:PASSED|SKIPPED)", result.stdout, re.MULTILINE)
    assert ran, output(result)
    assert len(ran) == len(set(ran)), f"collected twice: {sorted(ran)}"
    for suite in SMOKE_SUITES:
        assert any(nodeid.split("::")[0].endswith(suite) for nodeid in ran), (suite, ran)
    return ran


def where_it_resolves(venv: Venv, cwd: Path) -> tuple[str, str, str]:
    """The installed package, its shipped suites, and the locustfile a ``[envs.X.load]``
    without ``locustfile`` gets, as the venv's interpreter sees them."""
    (cwd / "load.toml").write_text(CONFIG + "[envs.demo.load]\nusers = 1\n")
    code = textwrap.dedent(
        """
        from pathlib import Path
        import pytest_prodready
        from pytest_prodready.config import load_config
        from pytest_prodready.config.shipped import shipped_dir
        cfg = load_config(Path("load.toml"), "test", known_ids=())
        print(pytest_prodready.__file__)
        print(shipped_dir("suites"))
        print(cfg.envs["demo"].load.locustfile)
        """
    )
    result = run([str(venv.python), "-c", code], cwd)
    assert result.returncode == 0, output(result)
    package, suites, locustfile = result.stdout.split()
    return package, suites, locustfile


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # With the test extra's build backend: an isolated build environment costs 10 s more, and
    # CI's `python -m build` checks that one (the editable install below uses one too).
    pip = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation"]
    subprocess.run(
        [*pip, "-w", str(out), str(ROOT)],
        check=True,
        timeout=TIMEOUT_S,
        capture_output=True,
    )
    (built,) = out.glob("pytest_prodready-*.whl")
    return built


def test_in_this_checkout_the_shipped_suites_run_once_each() -> None:
    # testpaths holds only the plugin's own tests; suites/ is the shipped copy, added once.
    pytest_script = Path(sysconfig.get_path("scripts")) / "pytest"
    result = run([str(pytest_script), *AS_TYPED, "-v"], ROOT)
    ran = assert_smoke_suites_ran_once(result)
    assert all(nodeid.startswith("suites/") for nodeid in ran), ran


def test_from_a_wheel_in_an_empty_project_and_beside_its_own_venv(
    wheel: Path, tmp_path: Path
) -> None:
    # The common layout: the venv inside the project as .venv, which pytest does not walk.
    inside = tmp_path / "with-venv"
    venv = make_venv(project(inside) / ".venv")
    pip_install(venv, str(wheel))
    empty = project(tmp_path / "empty")
    assert sorted(p.name for p in empty.iterdir()) == ["prodready.toml"]

    for where in (empty, inside):
        result = run([str(venv.pytest), *AS_TYPED, "-v"], where)
        assert_smoke_suites_ran_once(result)
    package, suites, locustfile = where_it_resolves(venv, empty)
    assert package.startswith(str(venv.site_packages)), package
    assert suites == str(venv.site_packages / "pytest_prodready" / "suites")
    assert locustfile == str(venv.site_packages / "pytest_prodready" / "locustfiles" / "smoke.py")


def test_from_an_editable_install(tmp_path: Path) -> None:
    venv = make_venv(tmp_path / "venv")
    pip_install(venv, "-e", str(ROOT))
    where = project(tmp_path / "project")

    result = run([str(venv.pytest), *AS_TYPED, "-v"], where)
    assert_smoke_suites_ran_once(result)
    # The checkout's own files, live: an edit to a suite needs no reinstall.
    package, suites, locustfile = where_it_resolves(venv, where)
    assert package == str(ROOT / "src" / "pytest_prodready" / "__init__.py")
    assert suites == str(ROOT / "suites")
    assert locustfile == str(ROOT / "locustfiles" / "smoke.py")


# In-process runs for which selections add the shipped suites: collection only, fast.


@pytest.fixture
def user_project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A project with a smoke test of its own, and the shipped suites not turned off (the
    plugin's own tests turn them off for every other pytester run)."""
    monkeypatch.delenv(BUILTIN_SUITES_VAR, raising=False)
    monkeypatch.delenv(TARGET_ENV_VAR, raising=False)
    (pytester.path / "prodready.toml").write_text('default_env = "demo"\n' + CONFIG)
    pytester.makepyfile(
        test_ours="import pytest\n\n@pytest.mark.smoke\ndef test_ours():\n    pass\n"
    )
    return pytester


def collected(pytester: pytest.Pytester, *args: str) -> tuple[set[str], set[str]]:
    """(the project's own test files, the shipped suites) a run with ``args`` collects."""
    result = pytester.runpytest("--co", "-q", *args)
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    files = {line.split("::")[0] for line in result.outlines if "::" in line}
    ours = {f for f in files if f.startswith("test_ours")}
    suites = {Path(f).name for f in files - ours}
    return ours, suites


def test_an_explicit_choice_adds_the_suites_beside_the_projects_tests(
    user_project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    everything = {"test_ours.py"}, set(SUITES)
    assert collected(user_project, "--target-env", "demo") == everything
    header = user_project.runpytest("--co", "--target-env", "demo").stdout.str()
    assert f"prodready: built-in suites from {ROOT / 'suites'} (no test paths given" in header
    monkeypatch.setenv(TARGET_ENV_VAR, "demo")
    assert collected(user_project) == everything
    monkeypatch.delenv(TARGET_ENV_VAR)
    assert collected(user_project, "-o", "prodready_target_env=demo") == everything


def test_default_env_and_explicit_paths_collect_only_what_they_name(
    user_project: pytest.Pytester,
) -> None:
    # default_env is a fallback for fixtures: a bare `pytest` runs the project's own tests.
    assert collected(user_project) == ({"test_ours.py"}, set())
    assert collected(user_project, "--target-env", "demo", "test_ours.py") == (
        {"test_ours.py"},
        set(),
    )
    suite = str(ROOT / "suites" / "test_tls.py")
    assert collected(user_project, "--target-env", "demo", suite) == (set(), {"test_tls.py"})


def test_the_option_the_variable_and_the_ini_turn_them_off(
    user_project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    ours_only = ({"test_ours.py"}, set())
    chosen = ("--target-env", "demo")
    assert collected(user_project, *chosen, "--no-builtin-suites") == ours_only
    assert collected(user_project, *chosen, "-o", "prodready_builtin_suites=false") == ours_only
    assert collected(user_project, *chosen, f"--ignore={ROOT / 'suites'}") == ours_only
    monkeypatch.setenv(BUILTIN_SUITES_VAR, "off")
    assert collected(user_project, *chosen) == ours_only
    monkeypatch.setenv(BUILTIN_SUITES_VAR, "1")  # the variable wins over the ini
    assert collected(user_project, *chosen, "-o", "prodready_builtin_suites=false")[1]
    monkeypatch.setenv(BUILTIN_SUITES_VAR, "maybe")
    result = user_project.runpytest(*chosen)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert f"${BUILTIN_SUITES_VAR} is 'maybe'" in result.stderr.str()


def test_pyproject_table_selects_the_same_way(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(BUILTIN_SUITES_VAR, raising=False)
    pytester.makepyprojecttoml('[tool.prodready.envs.demo]\nembedded = "demo"\n')
    assert collected(pytester, "--target-env", "demo") == (set(), set(SUITES))


def test_an_install_without_its_suites_says_so_in_one_paragraph(
    user_project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(plugin, "shipped_dir", lambda name: None)
    result = user_project.runpytest("--target-env", "demo")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    text = " ".join(result.stderr.str().split())
    assert "this installation has none (looked in" in text
    assert "--no-builtin-suites" in text
    assert shipped_dir("suites") == ROOT / "suites"
