"""``[envs.X.lighthouse]``: Lighthouse category budgets, form factor, pages and run bounds.

Same rules as :mod:`pytest_prodready.config.sections`: a frozen dataclass per table, a parser per
dataclass, every mistake a one-paragraph ``pytest.UsageError``.
"""

from __future__ import annotations

from dataclasses import dataclass

from pytest_prodready.config._table import Table

__all__ = ["CATEGORIES", "FORM_FACTORS", "LighthouseSpec", "parse_lighthouse"]

# Lighthouse's category ids, and the config key of each (TOML keys read better with "_").
CATEGORIES = {
    "performance": "performance",
    "accessibility": "accessibility",
    "best-practices": "best_practices",
    "seo": "seo",
}
FORM_FACTORS = ("mobile", "desktop")
# A Lighthouse run on a slow CI core takes 10 to 30 s; two minutes leaves room for a heavy
# page without letting a wedged Chromium hold the run.
DEFAULT_TIMEOUT_S = 120.0
MAX_TIMEOUT_S = 600.0


@dataclass(frozen=True)
class LighthouseSpec:
    """``[envs.X.lighthouse]``: minimum category scores (0 to 100).

    The defaults are the seeds' Lighthouse CI assertions (performance 0.9, accessibility
    0.95, best practices 0.95, SEO 0.9), on Lighthouse's throttled mobile profile.
    """

    performance: float = 90.0
    accessibility: float = 95.0
    best_practices: float = 95.0
    seo: float = 90.0
    form_factor: str = "mobile"
    # None: the environment's pages.
    pages: tuple[str, ...] | None = None
    # None: by the run's selection (browser_vitals.runs_for): 1 for smoke, 3 otherwise.
    runs: int | None = None
    timeout_s: float = DEFAULT_TIMEOUT_S
    # Lighthouse's CPU slowdown on mobile; None ("auto"): calibrated to this host's benchmark
    # index (4x on a host Lighthouse expects, less on a slower one).
    cpu_slowdown: float | None = None
    # The table was written: Lighthouse was asked for, so a missing one fails, not skips.
    configured: bool = False

    def budget(self, category: str) -> float:
        """The minimum score of a Lighthouse category id (``"best-practices"``)."""
        value: float = getattr(self, CATEGORIES[category])
        return value


def parse_lighthouse(t: Table) -> LighthouseSpec:
    if not t.data:
        t.finish()
        return LighthouseSpec()
    defaults = LighthouseSpec()
    scores = {key: _score(t, key, getattr(defaults, key)) for key in CATEGORIES.values()}
    pages = t.path_list("pages", ())
    if "pages" in t.data and not pages:
        raise t.error(
            "pages",
            "is empty, so Lighthouse would audit nothing",
            'List paths, e.g. pages = ["/", "/pricing"], or remove the key to audit the '
            "environment's pages.",
        )
    spec = LighthouseSpec(
        **scores,
        form_factor=t.choice("form_factor", "mobile", FORM_FACTORS),
        pages=pages or None,
        runs=t.integer("runs", 1, minimum=1, maximum=20) if "runs" in t.data else None,
        timeout_s=t.number("timeout_s", DEFAULT_TIMEOUT_S, minimum=0, maximum=MAX_TIMEOUT_S),
        cpu_slowdown=_slowdown(t),
        configured=True,
    )
    t.finish()
    return spec


def _score(t: Table, key: str, default: float) -> float:
    value = t.data.get(key)
    if isinstance(value, float) and 0 < value <= 1 and value != 1:
        raise t.error(
            key,
            f"is {value!r}, a fraction: scores here are 0 to 100, as Lighthouse shows them",
            f"Write {key} = {value * 100:g}.",
        )
    if value == 0 and not isinstance(value, bool):  # 0: no budget for this category
        t._get(key)
        return 0.0
    return t.number(key, default, minimum=0, maximum=100)


def _slowdown(t: Table) -> float | None:
    if isinstance(t.data.get("cpu_slowdown", "auto"), str):
        value = t.string("cpu_slowdown") or "auto"
        if value != "auto":
            raise t.error(
                "cpu_slowdown",
                f"is {value!r}",
                'Use "auto" (calibrated to this machine) or a number from 1 to 20 (4 is '
                "Lighthouse's own mobile setting).",
            )
        return None
    slowdown = t.number("cpu_slowdown", 4.0, minimum=0, maximum=20)
    if slowdown < 1:
        raise t.error(
            "cpu_slowdown",
            f"is {slowdown:g}, which would make the emulated phone faster than this machine",
            'Use 1 (no slowdown) or more, or "auto".',
        )
    return slowdown
