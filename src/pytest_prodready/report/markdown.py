"""The short Markdown summary for a CI job page (``$GITHUB_STEP_SUMMARY`` or
``--prodready-markdown``): grade, counts, new findings first, the top five with their fixes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from pytest_prodready.report.docs import finding_url
from pytest_prodready.report.grade import grade_summary
from pytest_prodready.report.history import Drift

__all__ = ["render"]

_RANK = {"high": 0, "medium": 1, "low": 2, "info": 3}


def _cell(text: str) -> str:
    return " ".join(text.replace("|", "\\|").split())


def render(summary: Mapping[str, Any], *, drift: Drift | None = None, artifact: str = "") -> str:
    grade = grade_summary(summary)
    env = summary.get("env", {})
    failing = [f for f in summary.get("findings", []) if f.get("status") == "failing"]
    counts = Counter(f["severity"] for f in failing)
    lines = [
        f"## prodready: {env.get('name')} — grade {grade.letter} ({grade.score})",
        "",
        f"{len(failing)} failing findings: "
        + ", ".join(f"{counts[s]} {s}" for s in _RANK)
        + f"; {len(summary.get('accepted', []))} accepted. Target: {env.get('base_url') or '—'}",
    ]
    if drift is not None and drift.previous is not None:
        lines += [
            "",
            f"Since the previous run: **{len(drift.new)} new**, {len(drift.fixed)} fixed.",
        ]
        for f in drift.new[:10]:
            lines.append(f"- new: `{f['id']}` ({f['severity']}) at {f.get('url') or f['test']}")
    top: dict[str, dict[str, Any]] = {}
    new_ids = {f["id"] for f in drift.new} if drift is not None else set()
    for f in sorted(failing, key=lambda f: (f["id"] not in new_ids, _RANK[f["severity"]], f["id"])):
        top.setdefault(f["id"], f)
    if top:
        lines += ["", "| severity | finding | fix |", "| --- | --- | --- |"]
        for f in list(top.values())[:5]:
            lines.append(
                f"| {f['severity']} | [`{f['id']}`]({finding_url(f['id'])}) {_cell(f['title'])} "
                f"| {_cell(f['remediation'])} |"
            )
    if artifact:
        lines += ["", f"Full report: {artifact}"]
    return "\n".join(lines) + "\n"
