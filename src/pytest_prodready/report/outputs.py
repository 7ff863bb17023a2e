"""The run's readable outputs beside the JSON and SARIF: the dashboard, the history entry, the
CI job summary, and the grade lines of the terminal summary."""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from pytest_prodready.report.history import Drift

# pytest-playwright's user properties for what it kept of a test.
MEDIA = {
    "playwright_screenshot": "screenshot",
    "playwright_video": "video",
    "playwright_trace": "trace",
}

__all__ = ["HISTORY_VAR", "STEP_SUMMARY_VAR", "Outputs", "add_options"]

DEFAULT_KEEP = 30
HISTORY_VAR = "PRODREADY_HISTORY"
STEP_SUMMARY_VAR = "GITHUB_STEP_SUMMARY"


def add_options(group: Any, parser: pytest.Parser) -> None:
    group.addoption(
        "--prodready-report",
        metavar="PATH",
        default=None,
        help="write the one-page dashboard (self-contained HTML: grade, scorecard, findings "
        "grouped by id, history).",
    )
    group.addoption(
        "--prodready-history",
        metavar="DIR",
        default=None,
        help=f"keep each run's JSON summary in DIR (also ${HISTORY_VAR}, ini prodready_history) "
        "for the dashboard's trend and new/fixed findings.",
    )
    group.addoption(
        "--prodready-history-keep",
        metavar="N",
        type=_keep,
        default=None,
        help=f"how many runs per environment the history keeps (default {DEFAULT_KEEP}; "
        "also ini prodready_history_keep).",
    )
    group.addoption(
        "--prodready-markdown",
        metavar="PATH",
        default=None,
        help=f"write a short Markdown summary (written to ${STEP_SUMMARY_VAR} when set).",
    )
    parser.addini("prodready_history", "directory keeping each run's JSON summary")
    parser.addini(
        "prodready_history_keep", f"runs per environment the history keeps (default {DEFAULT_KEEP})"
    )


def _keep(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 10_000:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to 10000, got {text!r}")
    return value


class Outputs:
    """Collects what the dashboard needs beyond the summary, and writes the files at the end."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        # Plain fields: the dashboard module is imported only by a run that writes it.
        self.outcomes: dict[str, str] = {}
        self.charts: list[str] = []
        self.media: list[tuple[str, str, str]] = []
        self.drift: Drift | None = None
        self.history_dir = self._history_dir()
        self.keep = self._keep()

    def _history_dir(self) -> Path | None:
        value = (
            self.config.getoption("prodready_history", None)
            or os.environ.get(HISTORY_VAR)
            or self.config.getini("prodready_history")
        )
        return Path(str(value)) if value else None

    def _keep(self) -> int:
        option = self.config.getoption("prodready_history_keep", None)
        if option:
            return int(option)
        ini = str(self.config.getini("prodready_history_keep") or "").strip()
        if not ini:
            return DEFAULT_KEEP
        try:
            return _keep(ini)
        except argparse.ArgumentTypeError:
            raise pytest.UsageError(
                f"prodready: ini prodready_history_keep is {ini!r}; it must be a whole number "
                "from 1 to 10000 (the runs per environment the history keeps). Fix it in your "
                f"pytest configuration or remove it for the default of {DEFAULT_KEEP}."
            ) from None

    def note(self, report: pytest.TestReport) -> None:
        if report.when == "call" or (report.when == "setup" and not report.passed):
            self.outcomes[report.nodeid] = report.outcome
        elif report.when == "teardown" and not report.passed:
            self.outcomes[report.nodeid] = "error"
        extras = getattr(report, "extras", None) or []
        if any("prodready-load-chart" in str(e) for e in extras):
            from pytest_prodready.report.dashboard import load_charts

            self.charts += load_charts(extras)
        for name, value in report.user_properties:
            kind = MEDIA.get(str(name))
            # Kept on failure only (the artifacts policy): no outcome check needed here.
            if kind is not None and (report.nodeid, kind, str(value)) not in self.media:
                self.media.append((report.nodeid, kind, str(value)))

    def write(self, data: dict[str, Any], scrub: Callable[[str], str], written: list[str]) -> None:
        """Write every requested output; ``data`` is the run's summary."""
        from pytest_prodready.report import dashboard, markdown
        from pytest_prodready.report.history import append, drift, load_runs

        runs: list[dict[str, Any]] = []
        if self.history_dir is not None:
            runs = load_runs(self.history_dir, data["env"]["name"])
            self.drift = drift(runs[-1] if runs else None, data)
            text = scrub(json.dumps(data, indent=2, ensure_ascii=False))
            append(self.history_dir, data, text, self.keep)
            runs = [*runs, data][-self.keep :]
        report = self.config.getoption("prodready_report", None)
        links = {
            label: os.path.relpath(path, Path(report).parent) if report else path
            for label, path in ((Path(p).name, p) for p in written)
        }
        if report:
            here = Path(report).resolve().parent
            # pytest-playwright names its files from the directory pytest was started in.
            root = self.config.invocation_params.dir
            media = [
                (test, kind, os.path.relpath(Path(root, path).resolve(), here))
                for test, kind, path in self.media
            ]
            extras = dashboard.Extras(self.outcomes, self.charts, media)
            page = dashboard.render(data, extras=extras, runs=runs, drift=self.drift, links=links)
            self._write(Path(report), scrub(page), written)
        targets = [self.config.getoption("prodready_markdown", None)]
        step_summary = os.environ.get(STEP_SUMMARY_VAR)
        text = scrub(markdown.render(data, drift=self.drift, artifact=report or ""))
        for target in filter(None, targets):
            self._write(Path(target), text, written)
        if step_summary:
            # GitHub gathers every step's summary from this one file: append, never replace.
            with open(step_summary, "a", encoding="utf-8") as out:
                out.write(text)

    @staticmethod
    def _write(path: Path, text: str, written: list[str]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(str(path))

    def terminal_lines(self, data: dict[str, Any]) -> list[str]:
        from pytest_prodready.report.grade import grade_summary

        grade = grade_summary(data)
        line = f"grade {grade.letter} (score {grade.score}; how: docs/reports.md)"
        if self.drift is not None and self.drift.previous is not None:
            line += (
                f"; since the previous run: {len(self.drift.new)} new, "
                f"{len(self.drift.fixed)} fixed, {len(self.drift.still_open)} still open"
            )
        return [line]
