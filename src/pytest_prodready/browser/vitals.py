"""Web vitals against the environment's budgets: LCP, CLS, FCP, TTFB and TBT, median of N
loads; INP, the median of N timed clicks on the configured control."""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

from pytest_prodready.browser.facts import PageFacts, VitalsSample, is_page, media_type
from pytest_prodready.config.flows import Vitals
from pytest_prodready.core.findings import Finding, Severity, rule
from pytest_prodready.core.markexpr import selects

__all__ = [
    "interaction_latency",
    "median_vitals",
    "not_a_page",
    "runs_for",
    "samples_wanted",
    "vitals",
]

Sample = TypeVar("Sample")

SMOKE_RUNS = 1
NIGHTLY_RUNS = 3
# Fewer samples than this that miss a budget are not yet a finding: the page is loaded (the
# control clicked) again up to this many, and their median judged. One sample can be slowed by
# a runner busy with other work; a page over budget on most of them is over budget.
CONFIRM_SAMPLES = 3

VITALS_LCP = rule(
    "vitals.lcp",
    Severity.MEDIUM,
    "Largest Contentful Paint is over its budget",
    "Serve the largest above-the-fold element sooner: compress and preload the hero image, "
    "cut render-blocking CSS/JS, cache the HTML at the edge.",
)
VITALS_CLS = rule(
    "vitals.cls",
    Severity.MEDIUM,
    "Cumulative Layout Shift is over its budget",
    "Reserve space for images, embeds and late content (width/height, aspect-ratio); never "
    "insert content above what the user is reading.",
)
VITALS_FCP = rule(
    "vitals.fcp",
    Severity.LOW,
    "First Contentful Paint is over its budget",
    "Reduce render-blocking resources and server time; inline critical CSS, defer scripts.",
)
VITALS_TTFB = rule(
    "vitals.ttfb",
    Severity.LOW,
    "Time to first byte, measured in the browser, is over its budget",
    "Profile the server render and its queries, cache what can be cached, check redirects "
    "and the CDN in front.",
)

VITALS_TBT = rule(
    "vitals.tbt",
    Severity.LOW,
    "Total Blocking Time during the page's load is over its budget",
    "Split long main-thread tasks (over 50 ms) the page runs after its first paint: defer or "
    "code-split scripts, move heavy work to a Web Worker or after user input, yield with "
    "scheduler.yield()/setTimeout in long loops, trim hydration.",
)
VITALS_INP = rule(
    "vitals.inp",
    Severity.MEDIUM,
    "Interaction to Next Paint on the configured control is over its budget",
    "Make the click handler return quickly: do the visible update first and the rest later "
    "(requestAnimationFrame, setTimeout, scheduler.yield()), move heavy work off the main "
    "thread, avoid forced layouts and large re-renders on input.",
)


def runs_for(configured: int | None, markexpr: str) -> int:
    """Loads per page: as configured, else one for a smoke run (``-m`` naming smoke, after a
    deploy, where time counts) and the median of three otherwise (nightly, by hand)."""
    if configured is not None:
        return configured
    return SMOKE_RUNS if _selects_smoke(markexpr) else NIGHTLY_RUNS


def _selects_smoke(markexpr: str) -> bool:
    """Whether ``-m`` picks smoke tests out: it matches a test marked smoke alone, not an
    unmarked one ("smoke", "smoke and security"; not "not smoke", not "")."""
    if not markexpr.strip():
        return False
    smoke, unmarked = selects(markexpr, {"smoke"}), selects(markexpr, ())
    if smoke is None or unmarked is None:  # pytest cannot tell: read the expression's words
        return re.search(r"(?<!not )\bsmoke\b", markexpr) is not None
    return smoke and not unmarked


def samples_wanted(
    samples: Sequence[Sample],
    planned: int,
    within_budget: Callable[[Sequence[Sample]], bool] | None,
) -> int:
    """How many samples to take in all: ``planned``, or ``CONFIRM_SAMPLES`` once the planned
    ones, fewer than that, miss their budget (``within_budget`` None: nothing is confirmed)."""
    if within_budget is None or len(samples) < planned or planned >= CONFIRM_SAMPLES:
        return planned
    return planned if within_budget(samples) else CONFIRM_SAMPLES


def not_a_page(facts: PageFacts) -> str | None:
    """Why the vitals of ``facts`` are not judged (its document is not HTML), else None.

    A JSON, text or image response is shown by the browser's own viewer: its paints and long
    tasks are the browser's, which no change to the app can fix."""
    if is_page(facts.content_type):
        return None
    return (
        f"prodready: {facts.url} is {media_type(facts.content_type)}, not an HTML page: web "
        "vitals judge what a page of the app paints and runs, not the browser's view of a "
        "response (drop it from pages, or keep it there for the console and request checks)"
    )


def median_vitals(samples: Sequence[VitalsSample]) -> VitalsSample:
    """Per metric, the median of the loads that measured it."""

    def median(values: Iterable[float | None]) -> float | None:
        measured = [v for v in values if v is not None]
        return statistics.median(measured) if measured else None

    return VitalsSample(
        lcp_ms=median(s.lcp_ms for s in samples),
        cls=median(s.cls for s in samples),
        fcp_ms=median(s.fcp_ms for s in samples),
        ttfb_ms=median(s.ttfb_ms for s in samples),
        tbt_ms=median(s.tbt_ms for s in samples),
    )


def vitals(samples: Sequence[VitalsSample], budget: Vitals, url: str) -> list[Finding]:
    """Median LCP, CLS, FCP, TTFB and TBT over ``samples`` against the environment's budgets."""
    median = median_vitals(samples)
    loads = f"median of {len(samples)} load{'s' if len(samples) != 1 else ''}"
    checks = (
        (VITALS_LCP, "LCP", median.lcp_ms, budget.lcp_ms, [s.lcp_ms for s in samples], " ms"),
        (VITALS_CLS, "CLS", median.cls, budget.cls, [s.cls for s in samples], ""),
        (VITALS_FCP, "FCP", median.fcp_ms, budget.fcp_ms, [s.fcp_ms for s in samples], " ms"),
        (VITALS_TTFB, "TTFB", median.ttfb_ms, budget.ttfb_ms, [s.ttfb_ms for s in samples], " ms"),
        (VITALS_TBT, "TBT", median.tbt_ms, budget.tbt_ms, [s.tbt_ms for s in samples], " ms"),
    )
    findings: list[Finding] = []
    for check, name, value, limit, each, unit in checks:
        if value is None or value <= limit:
            continue
        shown = ", ".join(_number(v) for v in each if v is not None)
        findings.append(
            check(
                f"{name} {_number(value)}{unit} ({loads}: {shown}) > budget {_number(limit)}{unit}",
                url=url,
            )
        )
    return findings


def interaction_latency(
    samples: Sequence[float], budget: Vitals, url: str, selector: str
) -> list[Finding]:
    """The median of the clicks' latencies (each the longest Event Timing entry of its
    interaction; 0 when none reached the API's 16 ms floor) against ``inp_ms``."""
    if not samples:
        return []
    value = statistics.median(samples)
    if value <= budget.inp_ms:
        return []
    clicks = f"median of {len(samples)} click{'s' if len(samples) != 1 else ''}"
    shown = ", ".join(_number(v) for v in samples)
    return [
        VITALS_INP(
            f"INP {_number(value)} ms clicking {selector!r} ({clicks}: {shown}) > budget "
            f"{_number(budget.inp_ms)} ms",
            url=url,
        )
    ]


def _number(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".") if value < 10 else f"{value:.0f}"
