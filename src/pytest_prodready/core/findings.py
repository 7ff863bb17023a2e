"""Findings: what a check reports, and how a list of them reads as one assertion message."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from pytest_prodready.core.evidence import printable

__all__ = [
    "CATALOGUE",
    "AssertNoFindings",
    "Finding",
    "Rule",
    "Severity",
    "docs_anchor",
    "format_findings",
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
        """Where the documentation's finding catalogue (docs/findings.md) documents this id."""
        return docs_anchor(self.id)


def docs_anchor(finding_id: str) -> str:
    """Where the finding catalogue page of the source tree documents ``finding_id``."""
    return f"docs/findings.md#{finding_id}"


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


def format_findings(findings: Iterable[Finding]) -> str:
    """Every finding on its own line, worst first, then by id (stable for diffs)."""
    ordered = sorted(findings, key=lambda f: (-f.severity, f.id, f.url or "", f.evidence))
    if not ordered:
        return "no findings"
    count = len(ordered)
    head = f"{count} finding{'s' if count != 1 else ''}:"
    return "\n".join([head, *(f"- {f.line()}" for f in ordered)])


AssertNoFindings = Callable[[Iterable[Finding]], None]
"""The type of the ``assert_no_findings`` fixture: fail the test listing every finding."""
