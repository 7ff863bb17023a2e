"""Which shipped suite files a ``-m`` expression leaves with nothing to run, known without
importing them.

The suites ship with an index of their tests' marks (``suites/marks.json``): for each file,
its SHA-256 and the distinct sets of mark names its tests carry. A file none of whose sets
passes the expression, even with the marks a run may add to a test (``skip`` and ``xfail``
for an empty parameter set or the safety gate, ``destructive`` for the contract suite's
writes), is not collected: its module, and what it imports, are never loaded. On the embedded
demo's smoke run that is six files and about 80 ms of a 1.2 s run.

The index is a shortcut, never a judge. The file is collected as usual, and deselected by
pytest as before, when the index is missing or broken, when the file changed since the index
was written, when the expression names a mark the suites do not carry (a project's hook may
add it to them), or when this pytest cannot evaluate the expression.

``python -m pytest_prodready.target.suite_marks --write`` rebuilds the index;
``tests/test_suite_marks.py`` fails while it is stale.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import re
import sys
import tempfile
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path

import pytest

from pytest_prodready.config.shipped import shipped_dir
from pytest_prodready.core.markexpr import may_select

__all__ = ["INDEX", "RUN_ADDED", "build", "main", "unselectable"]

INDEX = "marks.json"
RUN_ADDED = ("skip", "xfail", "destructive")
"""Marks a test may gain from the run rather than from its file."""
_OPERATORS = frozenset({"and", "or", "not"})
_NAME = re.compile(r"[A-Za-z_][\w.\-]*")

Entry = tuple[str, tuple[frozenset[str], ...]]  # the file's SHA-256, its tests' mark sets


@cache
def _index(suites: Path) -> tuple[Mapping[str, Entry], frozenset[str]] | None:
    """The index beside the suites and every mark name in it (with the run's), or None when
    it is missing or not one."""
    try:
        data = json.loads((suites / INDEX).read_text(encoding="utf-8"))
        files = {
            name: (str(entry["sha256"]), tuple(_names(s) for s in entry["marks"]))
            for name, entry in data["files"].items()
        }
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    names = frozenset(RUN_ADDED).union(*(s for _, sets in files.values() for s in sets))
    return files, names


def _names(marks: str) -> frozenset[str]:
    """A set of mark names as the index writes it: comma-separated ("" for none)."""
    return frozenset(name for name in marks.split(",") if name)


@cache
def _suites() -> Path | None:
    return shipped_dir("suites")


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def unselectable(path: Path, markexpr: str, *, suites: Path | None = None) -> bool:
    """Whether ``path``, a shipped suite file, holds no test that ``-m markexpr`` can select
    (False whenever that is not certain). ``suites``: another indexed directory to judge by."""
    suites = suites or _suites()
    if suites is None or path.parent.name != suites.name or path.parent.resolve() != suites:
        return False
    index = _index(suites)
    if index is None or "(" in markexpr:  # keyword arguments: a matcher of names cannot tell
        return False
    files, known = index
    entry = files.get(path.name)
    if entry is None or not set(_NAME.findall(markexpr)) - _OPERATORS <= known:
        return False
    digest, mark_sets = entry
    try:
        if _digest(path) != digest:
            return False
    except OSError:
        return False
    return not any(may_select(markexpr, marks, RUN_ADDED) for marks in mark_sets)


class _Recorder:
    """Records each collected test's mark names, by file."""

    def __init__(self) -> None:
        self.marks: dict[str, set[frozenset[str]]] = {}

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        for item in session.items:
            names = frozenset(mark.name for mark in item.iter_markers())
            self.marks.setdefault(item.path.name, set()).add(names)


def build(suites: Path) -> dict[str, object]:
    """The index of ``suites``, from a collection of them in this process."""
    recorder = _Recorder()
    # Without the plugin or a project's configuration: no environment, so no demo started
    # and no marks of their making (those are RUN_ADDED's, allowed for at every file).
    with tempfile.TemporaryDirectory(prefix="prodready-marks-") as bare:
        ini = Path(bare) / "pytest.ini"
        ini.write_text("[pytest]\n", encoding="utf-8")
        args = [str(suites), "-c", str(ini), "--rootdir", bare, "--collect-only", "-qq"]
        args += ["-p", "no:cacheprovider", "-p", "no:prodready", "-p", "no:warnings"]
        with contextlib.redirect_stdout(io.StringIO()) as said:
            code = pytest.main(args, plugins=[recorder])
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
        raise SystemExit(
            f"{said.getvalue()}\nprodready: collecting {suites} failed (exit {int(code)})"
        )
    files = {
        name: {
            "sha256": _digest(suites / name),
            "marks": sorted(",".join(sorted(marks)) for marks in recorder.marks[name]),
        }
        for name in sorted(recorder.marks)
    }
    return {
        "about": "The marks of each suite file's tests, for -m without importing it "
        "(pytest_prodready.target.suite_marks). Regenerate: python -m "
        "pytest_prodready.target.suite_marks --write",
        "files": files,
    }


def _render(index: Mapping[str, object]) -> str:
    return json.dumps(index, indent=1) + "\n"


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pytest_prodready.target.suite_marks",
        description="Rebuild (--write) or verify (--check) the shipped suites' mark index.",
    )
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--write", action="store_true", help="write suites/marks.json")
    action.add_argument("--check", action="store_true", help="exit 1 if it is stale")
    parser.add_argument("--suites", type=Path, help="the suites directory (default: shipped)")
    options = parser.parse_args(list(argv) if argv is not None else None)
    suites = options.suites or _suites()
    if suites is None or not suites.is_dir():
        where = f"{suites} is not a directory" if suites else "this installation has none"
        print(f"prodready: no suites to index: {where}. Pass --suites DIR.", file=sys.stderr)
        return 2
    fresh = _render(build(suites))
    path = suites / INDEX
    if options.write:
        path.write_text(fresh, encoding="utf-8")
        print(f"prodready: wrote {path}")
        return 0
    try:
        current = path.read_text(encoding="utf-8")
    except OSError:
        current = ""
    if current != fresh:
        print(
            f"prodready: {path} is stale: the suites' files or marks changed. Rebuild it with "
            "python -m pytest_prodready.target.suite_marks --write",
            file=sys.stderr,
        )
        return 1
    print(f"prodready: {path} is up to date")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
