"""Page weight budgets: the bytes a first visit transfers, from HTTP alone (no browser).

A page's weight is its HTML plus the same-origin scripts, stylesheets and fonts it loads, as
transferred (compressed, when the server compresses); its first-load JavaScript is the scripts
alone (``nomodule`` fallbacks excluded: modern browsers skip them), as Next.js's build output
counts "First Load JS". The facts come from :mod:`pytest_prodready.probes.budget`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pytest_prodready.config.bundle import Budgets
from pytest_prodready.core.findings import Finding, Severity, rule

__all__ = ["PageWeight", "Part", "evaluate", "kb"]

FIRST_LOAD_JS = rule(
    "budget.first-load-js",
    Severity.MEDIUM,
    "First-load JavaScript is over budget",
    "Split the page's code (dynamic import() for what is not needed at first paint), drop "
    "heavy dependencies, and keep client components small; or raise [envs.X.budgets] "
    "first_load_js_kb if the weight is intended.",
)
PAGE_WEIGHT = rule(
    "budget.page-weight",
    Severity.MEDIUM,
    "Page weight is over budget",
    "Compress text assets (gzip/brotli), subset fonts to WOFF2, split scripts and styles; or "
    "raise [envs.X.budgets] page_weight_kb if the weight is intended.",
)

Kind = Literal["html", "script", "stylesheet", "font"]
LARGEST_NAMED = 3


@dataclass(frozen=True)
class Part:
    """One transfer of a page load: its URL, what it is, its bytes on the wire."""

    url: str
    kind: Kind
    bytes: int


@dataclass(frozen=True)
class PageWeight:
    """A listed page and every part its first load transfers (the HTML first)."""

    url: str
    parts: tuple[Part, ...]

    @property
    def total(self) -> int:
        return sum(p.bytes for p in self.parts)

    @property
    def first_load_js(self) -> int:
        return sum(p.bytes for p in self.parts if p.kind == "script")


def kb(size: int) -> float:
    return round(size / 1000, 1)


def _largest(parts: list[Part]) -> str:
    top = sorted(parts, key=lambda p: p.bytes, reverse=True)[:LARGEST_NAMED]
    return ", ".join(f"{p.url} {kb(p.bytes)} kB" for p in top)


def evaluate(pages: list[PageWeight], budgets: Budgets) -> list[Finding]:
    """A finding per page over a budget, naming the largest parts."""
    findings: list[Finding] = []
    for page in pages:
        js = page.first_load_js
        if js > budgets.first_load_js_kb * 1000:
            scripts = [p for p in page.parts if p.kind == "script"]
            findings.append(
                FIRST_LOAD_JS(
                    f"{kb(js)} kB of JavaScript in {len(scripts)} scripts, budget "
                    f"{budgets.first_load_js_kb:g} kB; largest: {_largest(scripts)}",
                    url=page.url,
                )
            )
        if page.total > budgets.page_weight_kb * 1000:
            findings.append(
                PAGE_WEIGHT(
                    f"{kb(page.total)} kB in {len(page.parts)} transfers, budget "
                    f"{budgets.page_weight_kb:g} kB; largest: {_largest(list(page.parts))}",
                    url=page.url,
                )
            )
    return findings
