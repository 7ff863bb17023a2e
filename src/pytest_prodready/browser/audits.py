"""The ``lighthouse_audit`` fixture's work: Lighthouse runs of a page, once per session, judged
per category, the report kept (scrubbed) when a budget is missed.

Runs are made by :mod:`pytest_prodready.browser.lighthouse` and judged by
:mod:`pytest_prodready.checks.lighthouse`; this module ties them to the run's configuration:
the environment's budgets, its CA pin, the artifacts policy, the progress lines.
"""

from __future__ import annotations

import json
import os
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn
from urllib.parse import urljoin

import pytest

from pytest_prodready.browser.vitals import runs_for
from pytest_prodready.checks.lighthouse import LighthouseResult, lighthouse_findings, summarize
from pytest_prodready.config.lighthouse import LighthouseSpec
from pytest_prodready.core.findings import Finding
from pytest_prodready.target.runtime import runtime_of

if TYPE_CHECKING:
    from pytest_prodready.browser.lighthouse import LighthouseTool
    from pytest_prodready.config import Environment
    from pytest_prodready.target.runtime import Runtime

__all__ = ["LighthousePage", "LighthouseSession"]


@dataclass(frozen=True)
class _Audited:
    """A page's Lighthouse runs: a result per run, and the (scrubbed) report of the median run,
    or the one line saying why there are none."""

    url: str
    results: tuple[LighthouseResult, ...]
    report: str
    error: str | None = None


class LighthousePage:
    """``lighthouse_audit(path)``: that page's Lighthouse runs. ``findings(category)`` judges a
    category against ``[envs.X.lighthouse]`` and, when it finds something, keeps the scrubbed
    JSON report as an artifact (unless ``--prodready-artifacts=none``)."""

    def __init__(
        self,
        path: str,
        url: str,
        results: tuple[LighthouseResult, ...],
        spec: LighthouseSpec,
        keep: Callable[[], Path | None],
    ) -> None:
        self.path, self.url, self.results, self.spec = path, url, results, spec
        self._keep = keep

    def score(self, category: str) -> float | None:
        """The median score (0 to 100) of ``category`` over the runs."""
        scores = [s for r in self.results if (s := r.scores.get(category)) is not None]
        return statistics.median_low(scores) if scores else None

    def findings(self, category: str) -> list[Finding]:
        found = lighthouse_findings(self.results, self.spec, category, self.url)
        if found:
            self._keep()
        return found


def _write_line(config: pytest.Config, line: str) -> None:
    """A progress line on the terminal, past pytest's output capture."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None:
        return
    if capture is None:
        reporter.write_line(line)
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line(line)


def _slug(path: str) -> str:
    cleaned = "".join(c if c.isalnum() else "-" for c in path.strip("/")).strip("-")
    return cleaned[:80] or "root"


def _missing(target: Environment, problem: str) -> NoReturn:
    if target.lighthouse.configured:
        pytest.fail(
            f"{problem}. [envs.{target.name}.lighthouse] asks for Lighthouse audits, so this "
            "fails rather than skips; install it where the tests run, or remove the table to "
            "skip the audits where Lighthouse is missing.",
            pytrace=False,
        )
    pytest.skip(problem)


def _strip_report(runtime: Runtime, text: str) -> str:
    """The report to keep: without its screenshots (pixels no scrub can read, and most of the
    size) and with every secret of the environment masked."""
    report = json.loads(text)
    audits = report.get("audits") or {}
    for name in ("screenshot-thumbnails", "final-screenshot"):
        if name in audits:
            audits[name] = {"id": name, "details": None, "note": "removed by prodready"}
    report.pop("fullPageScreenshot", None)
    return runtime.redactor.scrub(json.dumps(report, indent=1))


@dataclass
class LighthouseSession:
    """What every Lighthouse run of this session shares: the tool, the browser and its
    switches (the CA pin), the budgets, where artifacts go, whether a report may be kept."""

    config: pytest.Config
    runtime: Runtime
    target: Environment
    tool: LighthouseTool
    chromium: Path
    switches: list[str]
    keep: bool

    @classmethod
    def start(cls, config: pytest.Config, target: Environment, *, keep: bool) -> LighthouseSession:
        """The session's tools, or the test skips (fails, when the environment asked for
        Lighthouse) in one line naming what is missing and how to install it."""
        from pytest_prodready.browser.launch import chromium_switches, find_chromium, leaf_pin
        from pytest_prodready.browser.lighthouse import find_lighthouse

        runtime = runtime_of(config)
        tool = find_lighthouse(config.rootpath, os.environ)
        if not tool.found:
            _missing(target, tool.problem or "prodready: no Lighthouse")
        cfg = runtime.config_file
        chromium = find_chromium(cfg.browser_executable, cfg.path.name, os.environ)
        if chromium.path is None:
            _missing(target, chromium.problem or "prodready: no Chromium for Lighthouse")
        pin = None
        if target.ca_bundle is not None and target.base_url:
            # Trusted the browser suite's way: only the leaf the CA bundle verifies.
            pin = leaf_pin(target.base_url, target.ca_bundle, target.timeout_s)
        root = hasattr(os, "geteuid") and os.geteuid() == 0
        switches = chromium_switches(root=root, pins=[pin] if pin else [])
        return cls(config, runtime, target, tool, chromium.path, switches, keep)

    @property
    def spec(self) -> LighthouseSpec:
        return self.target.lighthouse

    @property
    def artifacts(self) -> Path:
        # pytest-playwright's --output (test-results/ by default): where screenshots go too.
        output = getattr(self.config.option, "output", None) or "test-results"
        return self.config.invocation_params.dir / output

    def cpu_slowdown(self) -> tuple[float | None, str]:
        """The CPU slowdown of the next run, and how it was chosen, for the progress line: as
        configured, else calibrated to this machine right before the run (its load changes
        from minute to minute), on mobile only (the desktop preset simulates none)."""
        from pytest_prodready.browser.lighthouse import benchmark_index, calibrated_slowdown

        spec = self.spec
        if spec.form_factor == "desktop" and spec.cpu_slowdown is None:
            return None, ""
        if spec.cpu_slowdown is not None:
            return spec.cpu_slowdown, f"CPU slowdown {spec.cpu_slowdown:g}x (configured), "
        index = benchmark_index(self.chromium, self.switches, self.target.timeout_s * 3)
        if index is None:
            return None, "no CPU benchmark: Lighthouse's 4x, "
        chosen = calibrated_slowdown(index)
        return chosen, f"CPU benchmark {index:g}: slowdown {chosen:g}x, "

    def _audit(self, path: str) -> _Audited:
        from pytest_prodready.browser.lighthouse import run_lighthouse

        spec = self.spec
        url = urljoin(self.target.base_url or "", path)
        runs = runs_for(spec.runs, self.config.option.markexpr)
        results: list[tuple[LighthouseResult, str]] = []
        for n in range(1, runs + 1):
            slowdown, how = self.cpu_slowdown()
            run = run_lighthouse(
                self.tool,
                url,
                chromium=self.chromium,
                chrome_switches=self.switches,
                form_factor=spec.form_factor,
                max_wait_ms=int(self.target.timeout_s * 1000),
                timeout_s=spec.timeout_s,
                parent=self.artifacts / ".lighthouse-tmp",
                cpu_slowdown=slowdown,
            )
            line = f"prodready lighthouse: {path} {spec.form_factor} run {n}/{runs}: {how}"
            if run.report is None:
                _write_line(self.config, f"{line}{run.seconds:.1f} s, no report")
                error = self.runtime.redactor.scrub(run.error or "no report")
                return _Audited(url, (), "", error)
            result = summarize(run.report)
            shown = ", ".join(f"{k} {v:g}" for k, v in result.scores.items() if v is not None)
            _write_line(self.config, f"{line}{run.seconds:.1f} s ({shown})")
            results.append((result, run.text))
        ordered = sorted(results, key=lambda pair: pair[0].scores.get("performance") or 0.0)
        median_text = ordered[(len(ordered) - 1) // 2][1]
        report = _strip_report(self.runtime, median_text)
        return _Audited(url, tuple(r for r, _ in results), report)

    def page(self, path: str, node: pytest.Item) -> LighthousePage:
        """``path``'s runs (made on first use in the session); a page Lighthouse could not
        audit fails the test in one line."""
        key = f"lighthouse:{self.spec.form_factor}:{path}"
        audited = self.runtime.fact(key, lambda: self._audit(path))
        if audited.error:
            pytest.fail(f"prodready lighthouse: {audited.error}", pytrace=False)

        def keep() -> Path | None:
            if not self.keep:
                return None
            name = f"{_slug(path)}-{self.spec.form_factor}.report.json"
            kept = self.artifacts / "lighthouse" / name
            if not kept.exists():
                kept.parent.mkdir(parents=True, exist_ok=True)
                kept.write_text(audited.report, encoding="utf-8")
            node.user_properties.append(("lighthouse_report", str(kept)))
            return kept

        return LighthousePage(path, audited.url, audited.results, self.spec, keep)
