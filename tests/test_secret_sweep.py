"""No secret in anything a failing run leaves behind.

One child ``pytest`` runs every suite against an environment built to fail while using its
secrets: the embedded demo-broken (every suite finds its flaws), a login flow that types the
real password and then fails (its test keeps browser artifacts), and an API on the fault
server that reflects the request's headers, the bearer token included, into its error pages
(it also stands in for a Supabase project, the token as its public key, and the token is an
access-matrix role's).
The secrets are fresh random values in the environment variables. The run writes every
report (terminal, HTML, JUnit XML, JSON summary, SARIF, Playwright screenshots and traces);
none may hold a secret in any spelling :mod:`tests.faults.secret_scan` knows (raw, escaped,
base64 at every alignment, hex, and in any case). ``tests/test_secret_encodings.py`` has a
target that echoes the credentials base64- and hex-encoded.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults import harness
from tests.faults.secret_scan import (
    BINARY,
    fresh_values,
    occurrences,
    playwright_args,
    report_args,
    texts,
)
from tests.faults.server import FaultServer
from tests.test_browser import one_browser_at_a_time  # noqa: F401 - a fixture: one Chromium

ROOT = Path(__file__).resolve().parent.parent
SECRETS = ("PRODREADY_DEMO_ADMIN_PASSWORD", "PRODREADY_DEMO_API_TOKEN")
# Startup, about 60 tests against 127.0.0.1 and two logins that wait out timeout_s.
WATCHDOG_S = 55.0
CONFIG = """
[envs.sweep]
embedded = "demo-broken"
api_url = "http://127.0.0.1:{port}/echo"
openapi = "http://127.0.0.1:{port}/echo/api/openapi.json"
pages = ["/", "/login", "/api/health"]
protected_pages = ["/dashboard"]
release = {{ expect = "1.4.2" }}
timeout_s = 3

[envs.sweep.secrets]
admin_password = "PRODREADY_DEMO_ADMIN_PASSWORD"
api_token = "PRODREADY_DEMO_API_TOKEN"

[[envs.sweep.health.endpoints]]
path = "/api/health/detailed"
components_ok = ["operational", "ok"]

[[envs.sweep.guarded_endpoints]]
path = "/api/cron/cleanup"
method = "GET"

[envs.sweep.contract]
max_examples = 5
headers = {{ Authorization = "Bearer {{api_token}}" }}

[envs.sweep.flows.login]
path = "/login"
username = "admin@demo.test"
password_secret = "admin_password"
submit_selector = "#login-submit"
success_url = "/not-where-login-lands"
logout_selector = "#logout-submit"
session_cookie = "session"

[envs.sweep.identities.admin]
token_secret = "api_token"

[[envs.sweep.access]]
path = "/dashboard"
allow = ["admin"]

# The echo API stands in for Supabase: it reflects the key into its error pages.
[envs.sweep.supabase]
url = "http://127.0.0.1:{port}/echo/api/echo"
anon_key_secret = "api_token"
private_tables = ["profiles"]
private_buckets = ["uploads"]

[[envs.sweep.rate_limits]]
name = "login"
path = "/api/auth/login"
method = "POST"
json = {{ email = "probe@example.com", password = "not-the-password" }}
limit = 5
window_s = 60

[envs.sweep.budgets]
page_weight_kb = 1  # every page is over it: the budgets suite fails too

# demo-broken ships staging's noindex and Disallow: / to an env meant to be indexed.
[envs.sweep.seo]
indexable = true
"""


@pytest.fixture
def echo_server(tmp_path: Path) -> Iterator[FaultServer]:
    with FaultServer(tmp_path / "server") as server:
        yield server
    assert not server.leftovers() + server.errors


def failed_suites(junit: Path) -> set[str]:
    failed = set()
    for case in ET.parse(junit).getroot().iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed.add(case.get("classname", "").rpartition(".")[2])
    return failed


@pytest.mark.usefixtures("one_browser_at_a_time")
def test_a_run_failing_everywhere_with_secrets_leaves_none_behind(
    echo_server: FaultServer, tmp_path: Path
) -> None:
    out = tmp_path / "run"
    out.mkdir()
    config = out / "prodready.toml"
    config.write_text(CONFIG.format(port=echo_server.http_port))
    values = fresh_values(SECRETS)
    args = [str(ROOT / "suites"), "--prodready-config", str(config), "--target-env", "sweep"]
    launched = harness.launch(
        [*args, *playwright_args(out), *report_args(out), "-p", "no:xdist"],
        cwd=out,
        watchdog_s=WATCHDOG_S,
        env=harness.child_env(values),
    )
    output = launched.output
    assert launched.ret == 1, f"exit {launched.ret} after {launched.wall_s:.0f} s:\n{output}"

    # The run failed in every suite (but load and email: the env declares neither, and the
    # email suite only reads public DNS records; and Lighthouse, a minute a page, whose saved
    # report tests/test_lighthouse.py sweeps for a page-echoed secret), and really used both
    # secrets.
    declared_by_none = {"test_load", "test_email", "test_lighthouse"}
    suites = {path.stem for path in (ROOT / "suites").glob("test_*.py")} - declared_by_none
    passed = suites - failed_suites(out / "junit.xml")
    assert not passed, f"suites without a failure: {sorted(passed)}"
    # The demo took the typed password: the login got through, only to the wrong page.
    assert "the browser is at /dashboard, not at the URL /not-where-login-lands" in output
    # The echo API got the token and reflected it; the report quotes it masked.
    assert "authorization: Bearer [masked:api_token]" in output

    scanned = [("terminal output", output), *texts(out)]
    names = {name for name, _ in scanned}
    assert {"dashboard.html", "summary.md"} <= names, "the dashboard and job summary are swept"
    assert any(name.startswith("history/") for name in names), "the history entry is swept"
    assert any("trace.zip!" in name for name, _ in scanned), "no trace kept: nothing to scan"
    # Screenshots and a trace's screencast frames are read too, byte for byte (what that
    # proves: see secret_scan.BINARY). No video: that needs --video and Playwright's ffmpeg.
    kinds = {Path(name).suffix for name, _ in scanned}
    assert {".png", ".jpeg"} <= kinds & BINARY, f"no screenshot scanned: {sorted(kinds)}"
    count, found = occurrences(scanned, values)
    assert count > 10
    assert found == {}, f"secrets found in {len(found)} of {count} texts"
    # The logout test typed the password into its own page: its trace was withheld, not lost.
    assert "trace of this test not kept: the log_in fixture typed the login's password" in output
