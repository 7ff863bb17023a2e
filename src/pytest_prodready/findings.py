"""Findings: what a check reports, and how a list of them reads as one assertion message."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["Finding", "Severity", "format_findings"]


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


def format_findings(findings: Iterable[Finding]) -> str:
    """Every finding on its own line, worst first, then by id (stable for diffs)."""
    ordered = sorted(findings, key=lambda f: (-f.severity, f.id, f.url or "", f.evidence))
    if not ordered:
        return "no findings"
    count = len(ordered)
    head = f"{count} finding{'s' if count != 1 else ''}:"
    return "\n".join([head, *(f"- {f.line()}" for f in ordered)])
