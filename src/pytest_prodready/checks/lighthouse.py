"""Lighthouse category scores against ``[envs.X.lighthouse]``: what a Lighthouse JSON report says.

Pure: the report comes in as parsed JSON (``browser/lighthouse.py`` runs Lighthouse). A score
below its budget is a finding whose evidence names the score, the budget, the form factor, the
runs and the category's worst audits with what fixing them would save.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pytest_prodready.config.lighthouse import LighthouseSpec
from pytest_prodready.core.findings import Finding, Rule, Severity, rule

__all__ = [
    "Audit",
    "LighthouseResult",
    "lighthouse_findings",
    "median_result",
    "summarize",
]

# Audits shown in a finding's evidence, worst first.
TOP_AUDITS = 5
# Lighthouse shows an audit scoring 0.9 or more as passed.
PASSED = 0.9

PERFORMANCE = rule(
    "lighthouse.performance-below",
    Severity.MEDIUM,
    "Lighthouse performance score is below its budget",
    "Work down the audits in the evidence, biggest saving first: compress and size images, "
    "defer or split render-blocking and unused JavaScript, break up long tasks, cache static "
    "assets; the saved report lists every opportunity.",
)
ACCESSIBILITY = rule(
    "lighthouse.accessibility-below",
    Severity.MEDIUM,
    "Lighthouse accessibility score is below its budget",
    "Fix the failing audits in the evidence: alt text on images, names on buttons and links, "
    "labels on form fields, a lang on <html>, text contrast of at least 4.5:1.",
)
BEST_PRACTICES = rule(
    "lighthouse.best-practices-below",
    Severity.LOW,
    "Lighthouse best-practices score is below its budget",
    "Fix the failing audits in the evidence: console errors, deprecated APIs, libraries with "
    "known vulnerabilities, images at the wrong resolution, missing source maps or HTTPS.",
)
SEO = rule(
    "lighthouse.seo-below",
    Severity.LOW,
    "Lighthouse SEO score is below its budget",
    "Fix the failing audits in the evidence: a noindex meta or header left from staging, a "
    "robots.txt that disallows the site, a missing title or meta description, links "
    "without descriptive text, a canonical pointing elsewhere.",
)
RULES: Mapping[str, Rule] = {
    "performance": PERFORMANCE,
    "accessibility": ACCESSIBILITY,
    "best-practices": BEST_PRACTICES,
    "seo": SEO,
}
_SKIPPED_MODES = frozenset({"notApplicable", "manual", "informative", "error"})


@dataclass(frozen=True)
class Audit:
    """A failing audit of a category: its score (0 to 1) and what fixing it would save."""

    id: str
    title: str
    score: float
    weight: float
    savings_ms: float | None = None
    savings_bytes: float | None = None
    display: str = ""

    def describe(self) -> str:
        saves = []
        if self.savings_ms:
            saves.append(f"{self.savings_ms:,.0f} ms")
        if self.savings_bytes:
            saves.append(f"{self.savings_bytes / 1024:,.0f} KiB")
        shown = f" ({self.display})" if self.display and not saves else ""
        return f"{self.id}{shown}" + (f": saves {', '.join(saves)}" if saves else "")


@dataclass(frozen=True)
class LighthouseResult:
    """One Lighthouse run of one page: scores (0 to 100; None when the category could not be
    scored) and each category's failing audits, worst first."""

    url: str
    scores: Mapping[str, float | None]
    failing: Mapping[str, tuple[Audit, ...]]
    warnings: tuple[str, ...] = ()
    # The CPU slowdown Lighthouse simulated, and its benchmark of the host (None: not said).
    cpu_slowdown: float | None = None
    benchmark_index: float | None = None


def _savings(audit: Mapping[str, Any]) -> tuple[float | None, float | None]:
    details = audit.get("details") or {}
    ms = details.get("overallSavingsMs")
    byte_count = details.get("overallSavingsBytes")
    metric = audit.get("metricSavings") or {}
    # CLS savings are unitless; the rest are milliseconds of a metric.
    timed = [v for k, v in metric.items() if k != "CLS" and isinstance(v, int | float)]
    if timed and not ms:
        ms = max(timed)
    return (
        float(ms) if isinstance(ms, int | float) and ms > 0 else None,
        float(byte_count) if isinstance(byte_count, int | float) and byte_count > 0 else None,
    )


def _failing(report: Mapping[str, Any], category: Mapping[str, Any]) -> tuple[Audit, ...]:
    audits = report.get("audits") or {}
    found: list[Audit] = []
    for ref in category.get("auditRefs") or []:
        if ref.get("group") == "hidden":
            continue  # Lighthouse 12's insight audits repeat the visible ones: not shown either
        audit = audits.get(ref.get("id")) or {}
        score = audit.get("score")
        if audit.get("scoreDisplayMode") in _SKIPPED_MODES or not isinstance(score, int | float):
            continue
        if score >= PASSED and not (audit.get("details") or {}).get("overallSavingsMs"):
            continue
        ms, byte_count = _savings(audit)
        if score >= PASSED and not ms:
            continue
        found.append(
            Audit(
                id=str(ref.get("id")),
                title=str(audit.get("title", "")),
                score=float(score),
                weight=float(ref.get("weight") or 0),
                savings_ms=ms,
                savings_bytes=byte_count,
                display=str(audit.get("displayValue") or "").replace("\xa0", " "),
            )
        )
    # Weighted audits first (they move the score), then what saves most.
    found.sort(key=lambda a: (-(a.weight * (1 - a.score)), -(a.savings_ms or 0), a.score))
    return tuple(found)


def summarize(report: Mapping[str, Any]) -> LighthouseResult:
    """The scores and failing audits of a Lighthouse JSON report (``--output=json``)."""
    categories = report.get("categories") or {}
    scores: dict[str, float | None] = {}
    failing: dict[str, tuple[Audit, ...]] = {}
    for cid in RULES:
        category = categories.get(cid)
        if category is None:
            continue
        score = category.get("score")
        scores[cid] = round(score * 100, 1) if isinstance(score, int | float) else None
        failing[cid] = _failing(report, category)
    throttling = (report.get("configSettings") or {}).get("throttling") or {}
    slowdown = throttling.get("cpuSlowdownMultiplier")
    index = (report.get("environment") or {}).get("benchmarkIndex")
    return LighthouseResult(
        url=str(report.get("finalDisplayedUrl") or report.get("requestedUrl") or ""),
        scores=scores,
        failing=failing,
        warnings=tuple(str(w) for w in report.get("runWarnings") or ()),
        cpu_slowdown=float(slowdown) if isinstance(slowdown, int | float) else None,
        benchmark_index=float(index) if isinstance(index, int | float) else None,
    )


def median_result(results: Sequence[LighthouseResult], category: str) -> LighthouseResult:
    """The run whose ``category`` score is the median (the lower middle for an even count),
    so its audits explain the score reported."""
    scored = sorted(
        (r for r in results if r.scores.get(category) is not None),
        key=lambda r: r.scores[category] or 0.0,
    )
    if not scored:
        return results[0]
    return scored[(len(scored) - 1) // 2]


def _number(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def lighthouse_findings(
    results: Sequence[LighthouseResult], spec: LighthouseSpec, category: str, url: str
) -> list[Finding]:
    """The ``category`` score of ``results`` (one per run, median taken) against its budget."""
    budget = spec.budget(category)
    scores = [r.scores.get(category) for r in results]
    measured = [s for s in scores if s is not None]
    if not measured:
        return []
    median = statistics.median_low(measured)
    if median >= budget:
        return []
    median_run = median_result(results, category)
    profile = spec.form_factor
    if category == "performance" and median_run.cpu_slowdown is not None:
        profile += f", CPU slowdown {_number(median_run.cpu_slowdown)}x"
    plural = "s" if len(measured) != 1 else ""
    runs = f"{profile}, median of {len(measured)} run{plural}"
    if len(measured) > 1:
        runs += f": {', '.join(_number(s) for s in measured)}"
    failing = median_run.failing.get(category, ())
    # The metrics that weigh on the score, then what would save most (Lighthouse gives the
    # performance opportunities no weight): a few of each, so a fix is always in sight.
    weighted = [a for a in failing if a.weight > 0]
    savings = [a for a in failing if a.weight == 0]
    split = category == "performance" and savings
    worst = weighted[:3] + savings[:3] if split else list(failing[:TOP_AUDITS])
    top = "; ".join(a.describe() for a in worst)
    evidence = f"{category} {_number(median)} < budget {_number(budget)} ({runs})"
    if top:
        evidence += f"; failing: {top}"
    return [RULES[category](evidence, url=url)]
