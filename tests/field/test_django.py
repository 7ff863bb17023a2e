"""Field test bed: the shipped suites against a real Django 5.2 + nginx deployment.

The good variant (Django's deployment checklist, a strict nonce CSP, nginx limit_req on the
login POST) must raise no failing finding and fail no test; the misconfigured one must fail
on every id of :data:`LEDGER`. See :mod:`tests.field.django_stack` for both deployments.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pytest_prodready.browser.launch import find_chromium
from tests.field.bed import Ledger, Run, false_alarms, misses, run_suites, without_defects
from tests.field.django_stack import DjangoStack, Variant, django_stack

MARKS = "not load"
# The child pytest's hard stop; a run takes 30-40 s (70 s on a loaded 2-core machine).
WATCHDOG_S = 240.0

LEDGER = Ledger(
    stack="Django 5.2 + nginx",
    misconfigured={
        "security": frozenset(
            {
                "tls.protocol-outdated",  # Mozilla's "old" TLS profile
                "redirect.missing",  # one server block listens on the HTTP and HTTPS ports
                "hsts.missing",  # SECURE_HSTS_SECONDS = 0
                "csp.script-unsafe-inline",  # 'unsafe-inline' for the legacy theme
                "csp.object-src-missing",  # default-src 'self' only
                "csp.form-action-missing",
                "permissions-policy.missing",
                "leak.server-version",  # server_tokens on (nginx's default)
                "leak.debug-page",  # DEBUG = True: the 404 page
                "exposure.dotenv",  # root at the deploy directory...
                "exposure.backup",  # ...where Django's db.sqlite3 lives too (a TOOL_MISS)
                "exposure.directory-listing",  # autoindex on /static/
                "compression.missing",  # no gzip
                "xcto.missing",  # /static/ straight from nginx, without nosniff
                "cookie.no-secure",  # CSRF_COOKIE_SECURE = False
                "cookie.csrf-no-samesite",  # CSRF_COOKIE_SAMESITE = None
                "cors.credentialed-reflection",  # CORS_ALLOW_ALL_ORIGINS + credentials
                "cors.null-origin",
            }
        ),
        "health": frozenset(
            {
                "health.component-unhealthy",  # the read replica's volume is not mounted
                "page.protected-exposed",  # LoginRequiredMiddleware forgotten
                "endpoint.unguarded",  # no STRIPE_WEBHOOK_SECRET: signature not checked
            }
        ),
        "rate limits": frozenset({"ratelimit.not-enforced"}),
        "flows": frozenset(
            {
                "flow.protected-not-redirected",
                "flow.logout-kept-session",  # GET logout link: 405 in Django 5
                "cookie.session-no-secure",
                "cookie.session-no-httponly",
                "csp.violation",  # the legacy theme's inline <style>
                "browser.mixed-content",  # SITE_URL = http://...
            }
        ),
    },
)

# Findings on the good deployment that are the tool's error, not the site's: id -> why the
# check judges wrongly (the good-variant test subtracts them).
TOOL_DEFECTS: dict[str, str] = {}
# Ledger ids the misconfigured deployment deserves but the tool does not raise: id -> why.
TOOL_MISSES: dict[str, str] = {}


def _require_chromium() -> None:
    # The child run sees no PRODREADY_* variables (bed.run_suites drops them): auto-detection.
    chromium = find_chromium(None, "", {})
    if not chromium.found:
        pytest.skip(chromium.problem or "no Chromium")


def _stack(variant: Variant, factory: pytest.TempPathFactory) -> Iterator[DjangoStack]:
    _require_chromium()
    with django_stack(variant, factory.mktemp(f"django-{variant}")) as stack:
        yield stack


# One fixture per variant: under xdist each test starts only the stack it judges.
@pytest.fixture(scope="module")
def good_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DjangoStack]:
    yield from _stack("good", tmp_path_factory)


@pytest.fixture(scope="module")
def bad_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DjangoStack]:
    yield from _stack("bad", tmp_path_factory)


def _run(stack: DjangoStack, workdir: Path, record: Callable[[str, object], None]) -> Run:
    start = time.monotonic()
    run = run_suites(stack.target(), workdir, marks=MARKS, watchdog_s=WATCHDOG_S)
    wall = round(time.monotonic() - start, 1)
    record("suites_wall_s", wall)
    record("fired", sorted(run.fired))
    record("below_threshold", sorted(run.below))
    print(f"django {stack.variant}: suites ({MARKS}) took {wall} s; {dict(run.outcomes)}")
    print(f"  failing: {sorted(run.fired)}\n  below threshold: {sorted(run.below)}")
    return run


def test_good_django_deployment_has_no_false_alarm(
    good_stack: DjangoStack, tmp_path: Path, record_property: Callable[[str, object], None]
) -> None:
    workdir = tmp_path / "suites"
    run = _run(good_stack, workdir, record_property)
    assert false_alarms(without_defects(run, workdir, TOOL_DEFECTS)) == [], run.explain()
    # A defect entry that no longer fires is stale: the tool was fixed, drop the entry.
    assert set(TOOL_DEFECTS) <= run.fired, run.explain()
    # Django's JSON /api/health is in pages (for the console and request checks): its vitals,
    # the browser's JSON viewer at work, are not judged (one loaded run measured 807 ms of TBT).
    vitals = "suites.test_browser::test_web_vitals_within_budget"
    reason = run.skipped_tests.get(f"{vitals}[/api/health]", "")
    assert "/api/health is application/json, not an HTML page" in reason, run.explain()
    assert f"{vitals}[/]" not in run.skipped_tests, run.explain()


def test_misconfigured_django_deployment_is_caught(
    bad_stack: DjangoStack, tmp_path: Path, record_property: Callable[[str, object], None]
) -> None:
    run = _run(bad_stack, tmp_path / "suites", record_property)
    assert misses(run, LEDGER.expected - set(TOOL_MISSES)) == [], run.explain()
    # A miss entry the tool now catches is stale: it counts as caught, drop the entry.
    assert not set(TOOL_MISSES) & run.fired, run.explain()
