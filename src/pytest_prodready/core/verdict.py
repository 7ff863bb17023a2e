"""Verdicts: findings split by the environment's acceptances and the --fail-on threshold."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

from pytest_prodready.core.findings import Finding, Severity, format_findings

__all__ = ["Acceptance", "Verdict", "judge"]


@dataclass(frozen=True)
class Acceptance:
    """A finding the team has decided to live with, for a reason, until a date."""

    id: str
    reason: str
    until: date
    path: str | None = None

    def matches(self, finding_id: str, url: str | None) -> bool:
        if finding_id != self.id:
            return False
        return self.path is None or (url is not None and urlsplit(url).path == self.path)


@dataclass(frozen=True)
class Verdict:
    """Findings split by the environment's acceptances."""

    failing: tuple[Finding, ...]
    accepted: tuple[tuple[Finding, Acceptance], ...]
    expired: tuple[tuple[Finding, Acceptance], ...]
    below_threshold: tuple[Finding, ...] = ()

    def message(self, today: date) -> str:
        lines = [format_findings(self.failing)]
        if self.below_threshold:
            lines.append(
                f"- ({len(self.below_threshold)} more below the --fail-on threshold: "
                f"{', '.join(sorted({f.id for f in self.below_threshold}))})"
            )
        for finding, acceptance in self.expired:
            days = (today - acceptance.until).days
            lines.append(
                f"- note: the acceptance of {finding.id} ({acceptance.reason!r}) expired on "
                f"{acceptance.until.isoformat()}, {days} day{'s' if days != 1 else ''} ago: "
                "fix the finding, or renew `until` in [envs.*] accept"
            )
        return "\n".join(lines)


def judge(
    findings: Iterable[Finding],
    acceptances: Iterable[Acceptance],
    today: date,
    *,
    fail_on: Severity = Severity.LOW,
) -> Verdict:
    """Split findings: accepted ones (an acceptance past its ``until`` date no longer
    counts), ones below the ``fail_on`` severity (reported, not failed), and the failing."""
    rules = list(acceptances)
    failing: list[Finding] = []
    below: list[Finding] = []
    accepted: list[tuple[Finding, Acceptance]] = []
    expired: list[tuple[Finding, Acceptance]] = []
    for finding in findings:
        matches = [a for a in rules if a.matches(finding.id, finding.url)]
        valid = [a for a in matches if a.until >= today]
        if valid:
            accepted.append((finding, valid[0]))
            continue
        if finding.severity < fail_on:
            below.append(finding)
            continue
        failing.append(finding)
        if matches:
            expired.append((finding, matches[0]))
    return Verdict(tuple(failing), tuple(accepted), tuple(expired), tuple(below))
