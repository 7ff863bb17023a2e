"""Findings, their formatting, and acceptances, on plain data."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from pytest_prodready.core.catalogue import catalogue
from pytest_prodready.core.findings import CATALOGUE, Finding, Severity, format_findings
from pytest_prodready.core.verdict import Acceptance, judge

TODAY = date(2026, 11, 23)


def finding(id: str, severity: Severity = Severity.LOW, url: str = "https://a.test/") -> Finding:
    return Finding(id, severity, f"title of {id}", evidence="ev", remediation="fix it", url=url)


def test_format_lists_worst_first_one_line_each() -> None:
    text = format_findings(
        [finding("b.low"), finding("a.high", Severity.HIGH), finding("c.med", Severity.MEDIUM)]
    )
    lines = text.splitlines()
    assert lines[0] == "3 findings:"
    assert [line.split()[1] for line in lines[1:]] == ["[HIGH]", "[MEDIUM]", "[LOW]"]
    assert lines[1] == (
        "- [HIGH] a.high  title of a.high (evidence: ev) at https://a.test/ → fix: fix it"
    )


def test_acceptance_removes_a_finding_until_its_date() -> None:
    acceptance = Acceptance("a.x", "known", date(2026, 12, 31))
    verdict = judge([finding("a.x"), finding("b.y")], [acceptance], TODAY)
    assert [f.id for f in verdict.failing] == ["b.y"]
    assert [(f.id, a.reason) for f, a in verdict.accepted] == [("a.x", "known")]
    assert verdict.expired == ()


def test_expired_acceptance_fails_and_says_when() -> None:
    acceptance = Acceptance("a.x", "legacy page", date(2026, 11, 20))
    verdict = judge([finding("a.x")], [acceptance], TODAY)
    assert [f.id for f in verdict.failing] == ["a.x"]
    assert "expired on 2026-11-20, 3 days ago" in verdict.message(TODAY)


def test_acceptance_by_path() -> None:
    acceptance = Acceptance("a.x", "legacy", date(2027, 1, 1), path="/legacy")
    verdict = judge(
        [finding("a.x", url="https://a.test/legacy"), finding("a.x", url="https://a.test/")],
        [acceptance],
        TODAY,
    )
    assert [f.url for f in verdict.failing] == ["https://a.test/"]


def test_catalogue_ids_are_unique_well_formed_and_documented() -> None:
    rules = catalogue()
    assert rules is CATALOGUE
    assert len(rules) >= 20
    for rule_id, rule in rules.items():
        assert rule.id == rule_id
        assert rule_id == rule_id.lower()
        assert "." in rule_id
        assert rule.title
        assert rule.remediation


def test_the_docs_catalogue_is_current() -> None:
    from pathlib import Path

    from pytest_prodready.report.docs import update

    page = Path(__file__).resolve().parent.parent / "docs" / "findings.md"
    current = page.read_text(encoding="utf-8")
    assert update(current, catalogue()) == current, "run: python -m pytest_prodready.report.docs"


def test_the_catalogue_generator_without_its_page_is_one_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from pytest_prodready.report.docs import main

    with pytest.raises(SystemExit) as exited:
        main(["--page", str(tmp_path / "missing.md"), "--check"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "cannot update the catalogue in" in err
    assert "Traceback" not in err
