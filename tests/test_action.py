"""The GitHub Action without a hosted runner: its steps call one script, run here as the
runner would (inputs as environment variables, GITHUB_STEP_SUMMARY and GITHUB_OUTPUT files),
against the embedded demo."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from pytest_prodready.report.ci import command, main, needs_browser

ROOT = Path(__file__).resolve().parent.parent


def action() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "action.yml").read_text())
    return data


@pytest.mark.parametrize(
    ("markers", "browser"),
    [
        ("smoke", False),
        ("smoke and security", False),
        ("", True),
        ("flows", True),
        ("smoke or flows", True),
        ("not load", True),
        ("not flows", False),
        ("smoke and not flows", False),
    ],
)
def test_chromium_is_installed_only_when_browser_suites_may_run(
    markers: str, browser: bool
) -> None:
    assert needs_browser(markers) is browser
    assert main(["--needs-browser"], {"PRODREADY_CI_MARKERS": markers}) == (0 if browser else 1)


def test_command_waits_for_the_commit_by_default_and_writes_every_report() -> None:
    args = command({"PRODREADY_CI_ENV": "prod", "GITHUB_SHA": "abc123"})
    assert args[args.index("--target-env") + 1] == "prod"
    assert args[args.index("-m", 3) + 1] == "smoke"
    assert args[args.index("--wait-for-version") + 1] == "abc123"
    assert args[args.index("--wait-timeout") + 1] == "300"
    for name in ("junit.xml", "summary.json", "prodready.sarif", "dashboard.html", "summary.md"):
        assert any(a.endswith(f"prodready-reports/{name}") for a in args)
    skipped = command({"PRODREADY_CI_ENV": "p", "PRODREADY_CI_EXPECTED_VERSION": "none"})
    assert "--wait-for-version" not in skipped


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({}, "prodready CI: no environment to check. Set the action's `env` input"),
        (
            {"PRODREADY_CI_ENV": "prod", "PRODREADY_CI_WAIT_TIMEOUT": "soon"},
            "prodready CI: wait-timeout is 'soon'; it must be a number of seconds",
        ),
    ],
)
def test_bad_inputs_are_one_paragraph(
    inputs: dict[str, str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([], inputs) == 4
    err = capsys.readouterr().err
    assert err.startswith(message)
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_action_steps_call_the_script_with_every_input() -> None:
    spec = action()
    assert spec["runs"]["using"] == "composite"
    steps = spec["runs"]["steps"]
    run = next(s for s in steps if s.get("id") == "run")
    assert run["run"] == "python -m pytest_prodready.report.ci"
    passed = run["env"]
    for name in ("env", "markers", "expected-version", "wait-timeout", "args", "reports"):
        assert f"${{{{ inputs.{name} }}}}" in passed.values(), name
    assert spec["inputs"]["expected-version"]["default"] == "${{ github.sha }}"
    browser = next(s for s in steps if "--needs-browser" in s.get("run", ""))
    assert "chromium ffmpeg" in browser["run"]
    uploads = [s for s in steps if str(s.get("uses", "")).startswith("actions/upload-artifact")]
    assert uploads[0]["with"]["path"].splitlines() == ["${{ inputs.reports }}", "test-results"]
    assert uploads[0]["if"] == "always()"
    sarif = next(s for s in steps if "upload-sarif" in str(s.get("uses", "")))
    assert "inputs.upload-sarif == 'true'" in sarif["if"]


def test_the_script_runs_the_suites_like_the_runner_would(tmp_path: Path) -> None:
    summary, output = tmp_path / "step-summary.md", tmp_path / "github-output"
    env = {
        **os.environ,
        "PRODREADY_CONFIG": str(ROOT / "prodready.toml"),
        "PRODREADY_CI_ENV": "demo",
        "PRODREADY_CI_MARKERS": "smoke",
        "PRODREADY_CI_EXPECTED_VERSION": "1.4.2",
        "PRODREADY_CI_WAIT_TIMEOUT": "30",
        "PRODREADY_CI_REPORTS": "reports",
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(output),
    }
    proc = subprocess.run(
        [sys.executable, "-m", "pytest_prodready.report.ci"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    assert "--wait-for-version 1.4.2" in out
    reports = tmp_path / "reports"
    for name in ("junit.xml", "summary.json", "prodready.sarif", "dashboard.html", "summary.md"):
        assert (reports / name).is_file(), name
    assert json.loads((reports / "summary.json").read_text())["env"]["name"] == "demo"
    assert summary.read_text().startswith("## prodready: demo — grade A")
    assert output.read_text() == "reports=reports\nexit-code=0\n"
