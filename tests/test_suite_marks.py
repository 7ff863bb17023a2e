"""The shipped suites' mark index: up to date, and a file is left out of a run only when no
test of it can pass ``-m``, by an index that still describes it.

The index of a directory is written by the real command (a child process collects it); the
judgement is then asked of it directly, and of real runs of the suites.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_prodready.core.markexpr import may_select
from pytest_prodready.target import suite_marks
from pytest_prodready.target.suite_marks import INDEX, unselectable

ROOT = Path(__file__).resolve().parent.parent

SMOKE = """
import pytest

pytestmark = [pytest.mark.smoke, pytest.mark.security]


def test_headers():
    pass
"""

BROWSER = """
import pytest

pytestmark = pytest.mark.flows


@pytest.mark.slow
@pytest.mark.parametrize("page", ["/", "/login"])
def test_page(page):
    pass


def test_console():
    pass
"""


def _index_command(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest_prodready.target.suite_marks", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def suites(tmp_path: Path) -> Iterator[Path]:
    """A directory of two suite files (smoke; flows with a slow parametrized test), indexed."""
    root = tmp_path / "suites"
    root.mkdir()
    (root / "test_smoke.py").write_text(SMOKE, encoding="utf-8")
    (root / "test_browser.py").write_text(BROWSER, encoding="utf-8")
    done = _index_command("--write", "--suites", str(root))
    assert done.returncode == 0, done.stdout + done.stderr
    yield root
    suite_marks._index.cache_clear()


def test_the_shipped_index_is_up_to_date() -> None:
    done = _index_command("--check")
    assert done.returncode == 0, done.stderr
    assert "is up to date" in done.stdout


def test_the_index_holds_each_files_digest_and_mark_sets(suites: Path) -> None:
    files = json.loads((suites / INDEX).read_text(encoding="utf-8"))["files"]
    assert files["test_smoke.py"]["marks"] == ["security,smoke"]
    assert files["test_browser.py"]["marks"] == ["flows", "flows,parametrize,slow"]
    assert len(files["test_smoke.py"]["sha256"]) == 64


@pytest.mark.parametrize(
    ("markexpr", "smoke_left_out", "browser_left_out"),
    [
        ("smoke", False, True),
        ("smoke and security", False, True),
        ("flows", True, False),
        ("not smoke", True, False),
        ("slow", True, False),
        ("flows and not slow", True, False),  # test_console
        ("smoke and flows", True, True),
        # A mark the run may add to any test: nothing can be left out for it.
        ("destructive", False, False),
        ("flows and not skip", True, False),
        # A mark the suites do not carry (a project's hook may add it): no judgement.
        ("critical", False, False),
        ("smoke or critical", False, False),
        # Keyword arguments, an invalid expression: pytest's to judge.
        ("smoke(level=1)", False, False),
        ("smoke or", False, False),
    ],
)
def test_a_file_is_left_out_only_when_no_test_of_it_can_pass(
    suites: Path, markexpr: str, smoke_left_out: bool, browser_left_out: bool
) -> None:
    assert unselectable(suites / "test_smoke.py", markexpr, suites=suites) is smoke_left_out
    assert unselectable(suites / "test_browser.py", markexpr, suites=suites) is browser_left_out


def test_a_file_changed_since_the_index_is_collected(suites: Path) -> None:
    browser = suites / "test_browser.py"
    assert unselectable(browser, "smoke", suites=suites)
    # Someone marks a browser test smoke and forgets the index: it must still run.
    browser.write_text(BROWSER + "\n\n@pytest.mark.smoke\ndef test_fast():\n    pass\n")
    assert not unselectable(browser, "smoke", suites=suites)


def test_without_a_usable_index_nothing_is_left_out(suites: Path) -> None:
    browser = suites / "test_browser.py"
    (suites / INDEX).write_text('{"files": {"test_browser.py": {"marks": []}}}')
    suite_marks._index.cache_clear()
    assert not unselectable(browser, "smoke", suites=suites)
    (suites / INDEX).unlink()
    suite_marks._index.cache_clear()
    assert not unselectable(browser, "smoke", suites=suites)


def test_a_file_outside_the_suites_is_never_judged(suites: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "test_browser.py"
    elsewhere.write_text(BROWSER, encoding="utf-8")
    assert not unselectable(elsewhere, "smoke", suites=suites)
    assert not unselectable(suites / "test_unknown.py", "smoke", suites=suites)


def test_the_command_says_when_the_index_is_stale(suites: Path) -> None:
    assert _index_command("--check", "--suites", str(suites)).returncode == 0
    (suites / "test_smoke.py").write_text(SMOKE + "\n\ndef test_more():\n    pass\n")
    done = _index_command("--check", "--suites", str(suites))
    assert done.returncode == 1
    assert "is stale" in done.stderr
    assert "--write" in done.stderr


def test_the_command_names_a_missing_directory(tmp_path: Path) -> None:
    done = _index_command("--check", "--suites", str(tmp_path / "nowhere"))
    assert done.returncode == 2
    assert "is not a directory" in done.stderr
    assert "Traceback" not in done.stderr


def _collected(*args: str) -> tuple[dict[str, int], int]:
    """Tests per suite file that ``pytest suites --collect-only --target-env demo *args``
    selects, and how many it collected but deselected."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "suites", "--co", "-q", "--target-env", "demo", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    counts: dict[str, int] = {}
    for line in done.stdout.splitlines():
        if "::" in line:
            name = line.split("::")[0].rsplit("/", 1)[-1]
            counts[name] = counts.get(name, 0) + 1
    deselected = re.search(r"\((\d+) deselected\)", done.stdout)
    return counts, int(deselected.group(1)) if deselected else 0


def test_a_smoke_run_selects_the_same_tests_without_importing_the_others() -> None:
    everything, _ = _collected()
    smoke, deselected = _collected("-m", "smoke")
    # Every smoke-marked test is still selected; the other files were never collected, so
    # none of their tests is even counted as deselected.
    assert {"test_browser.py", "test_contracts.py", "test_load.py"} <= everything.keys()
    assert not {"test_browser.py", "test_flows.py", "test_contracts.py", "test_load.py"} & (
        smoke.keys()
    )
    assert smoke["test_headers.py"] == everything["test_headers.py"]
    assert deselected == 0
    # A selection naming a mark the index does not know: every file is collected (and the
    # same tests selected, the others deselected by pytest).
    same, deselected = _collected("-m", "smoke or skipif")
    assert same == smoke
    assert deselected >= everything["test_browser.py"] + everything["test_flows.py"]
    flows, _ = _collected("-m", "flows")
    assert flows["test_browser.py"] == everything["test_browser.py"]


@pytest.mark.parametrize(
    ("markexpr", "marks", "added", "expected"),
    [
        ("smoke", {"flows"}, (), False),
        ("smoke", {"smoke"}, (), True),
        ("destructive", {"contract"}, (), False),
        ("destructive", {"contract"}, ("destructive",), True),  # a parameter may add it
        ("not destructive", {"contract"}, ("destructive",), True),  # or not
        ("skip and destructive", {"load"}, ("skip", "destructive"), True),  # both at once
        ("smoke and not flows", {"flows"}, ("skip",), False),
        ("smoke or", {"flows"}, (), True),  # invalid: pytest's to report, never ruled out
    ],
)
def test_may_select_rules_a_test_out_only_when_no_added_marks_can_help(
    markexpr: str, marks: set[str], added: tuple[str, ...], expected: bool
) -> None:
    assert may_select(markexpr, marks, added) is expected
