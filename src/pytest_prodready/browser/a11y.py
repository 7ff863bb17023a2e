"""Accessibility: axe-core's violations on a page against ``[envs.X.a11y]``.

One finding id, ``a11y.violation``, one finding per broken axe rule and page, the rule in the
evidence. axe has about a hundred rules and adds some in most releases; an id per rule would
make the catalogue (a static, public contract) follow whichever axe the run has. A rule the
team has weighed is turned off with ``disable_rules``; an accept entry covers the id as a
whole, on a path.
"""

from __future__ import annotations

from collections.abc import Iterable

from pytest_prodready.browser.facts import AxeViolation
from pytest_prodready.config.flows import A11y
from pytest_prodready.core.findings import Finding, Severity, rule

__all__ = ["AXE_VIOLATION", "MAX_TARGETS", "accessibility", "axe_options"]

MAX_TARGETS = 5

AXE_VIOLATION = rule(
    "a11y.violation",
    Severity.MEDIUM,
    "The page breaks an accessibility rule (axe-core)",
    "Fix the elements the evidence names as the rule's page (its help URL) explains: a text "
    "alternative for images (alt), an accessible name for buttons and links (text or "
    "aria-label), a label for each field, text contrast of 4.5:1. Turn a rule off only with "
    "disable_rules in [envs.X.a11y], saying why.",
)

# critical and serious block users of assistive technology; moderate and minor hinder them.
_SEVERITY = {
    "critical": Severity.HIGH,
    "serious": Severity.MEDIUM,
    "moderate": Severity.LOW,
    "minor": Severity.LOW,
}


def axe_options(settings: A11y) -> dict[str, object]:
    """What ``axe.run`` is given: the rule tags to run, the rules turned off, violations only."""
    options: dict[str, object] = {
        "runOnly": {"type": "tag", "values": list(settings.tags)},
        "resultTypes": ["violations"],
    }
    if settings.disable_rules:
        options["rules"] = {name: {"enabled": False} for name in settings.disable_rules}
    return options


def accessibility(
    violations: Iterable[AxeViolation], settings: A11y, url: str, *, axe_version: str = ""
) -> list[Finding]:
    """One finding per violated rule whose impact is in ``fail_on`` (others are not reported:
    axe's moderate and minor results include much that is a matter of judgement)."""
    findings: list[Finding] = []
    engine = f"axe {axe_version}" if axe_version else "axe"
    for violation in violations:
        if violation.impact not in settings.fail_on or violation.rule in settings.disable_rules:
            continue
        shown = violation.targets[:MAX_TARGETS]
        more = violation.nodes - len(shown)
        where = ", ".join(shown) + (f" and {more} more" if more > 0 else "")
        elements = f"{violation.nodes} element{'s' if violation.nodes != 1 else ''}"
        findings.append(
            AXE_VIOLATION(
                f"{violation.rule} ({violation.impact}, {engine}): {violation.help}; "
                f"{elements}: {where}; see {violation.help_url}",
                url=url,
                severity=_SEVERITY.get(violation.impact, Severity.MEDIUM),
            )
        )
    return findings
