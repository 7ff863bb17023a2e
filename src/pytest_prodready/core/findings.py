"""Findings: what a check reports, and how a list of them reads as one assertion message."""

from __future__ import annotations

import enum
import importlib
import pkgutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pytest_prodready.config import Acceptance

__all__ = [
    "CATALOGUE",
    "Finding",
    "Rule",
    "Severity",
    "Verdict",
    "catalogue",
    "format_findings",
    "judge",
    "rule",
]


class Severity(enum.IntEnum):
    """Ordered: a higher value is worse."""

    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            valid = ", ".join(s.name.lower() for s in cls)
            raise ValueError(f"unknown severity {text!r}; valid: {valid}") from None

    def __str__(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Finding:
    """One problem with the target: a stable id, how bad it is, the proof, and the fix."""

    id: str
    severity: Severity
    title: str
    evidence: str = ""
    remediation: str = ""
    url: str | None = None

    def line(self) -> str:
        text = f"[{self.severity.name}] {self.id}  {self.title}"
        if self.evidence:
            text += f" (evidence: {self.evidence})"
        if self.url:
            text += f" at {self.url}"
        if self.remediation:
            text += f" → fix: {self.remediation}"
        return text


@dataclass(frozen=True)
class Rule:
    """A catalogue entry: the public contract behind a finding id."""

    id: str
    severity: Severity
    title: str
    remediation: str

    def __call__(
        self, evidence: str = "", *, url: str | None = None, severity: Severity | None = None
    ) -> Finding:
        """A finding of this rule (``severity`` overrides the default, e.g. by days left)."""
        return Finding(
            id=self.id,
            severity=self.severity if severity is None else severity,
            title=self.title,
            evidence=printable(evidence),
            remediation=self.remediation,
            url=url,
        )

    @property
    def anchor(self) -> str:
        """Where the README's finding catalogue documents this id."""
        return f"README.md#{self.id}"


def printable(text: str) -> str:
    """``text`` with control characters escaped (``\\x1b``): evidence quotes what a target
    sent, and a Location or header carrying ANSI sequences must not rewrite the terminal."""
    if text.isprintable():
        return text
    return "".join(
        c if c.isprintable() else (f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}")
        for c in text
    )


_RULES: dict[str, Rule] = {}
CATALOGUE: Mapping[str, Rule] = MappingProxyType(_RULES)


def rule(id: str, severity: Severity, title: str, remediation: str) -> Rule:
    """Declare a finding id once, at import time of the check module that reports it."""
    declared = Rule(id, severity, title, remediation)
    # A module imported again (importlib.reload, pytester) re-declares the same rule: fine.
    if _RULES.get(id, declared) != declared:
        raise ValueError(f"finding id {id!r} is declared twice, differently")
    _RULES[id] = declared
    return declared


# Modules outside checks/ that declare finding ids (browser, contracts, load).
_DECLARING = (
    "pytest_prodready.browser.checks",
    "pytest_prodready.browser.flows",
    "pytest_prodready.browser.vitals",
    "pytest_prodready.contracts.checks",
    "pytest_prodready.load.runner",
)


def catalogue() -> Mapping[str, Rule]:
    """Every finding id of every check module (imports them all)."""
    from pytest_prodready import checks

    for module in pkgutil.iter_modules(checks.__path__):
        importlib.import_module(f"{checks.__name__}.{module.name}")
    for name in _DECLARING:
        importlib.import_module(name)
    return CATALOGUE


def format_findings(findings: Iterable[Finding]) -> str:
    """Every finding on its own line, worst first, then by id (stable for diffs)."""
    ordered = sorted(findings, key=lambda f: (-f.severity, f.id, f.url or "", f.evidence))
    if not ordered:
        return "no findings"
    count = len(ordered)
    head = f"{count} finding{'s' if count != 1 else ''}:"
    return "\n".join([head, *(f"- {f.line()}" for f in ordered)])


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
