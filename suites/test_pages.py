"""Critical pages answer; protected pages and guarded endpoints refuse strangers.

The guarded-endpoint requests carry no credentials, so a correct target refuses them: they
are safe on protected environments. So are the forged requests for protected pages: GETs
carrying a made-up session cookie or Next.js's internal middleware header, one each per
protected page (none when the page is served to anonymous visitors already).
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from pytest_prodready import AssertNoFindings
from pytest_prodready.checks import pages
from pytest_prodready.config import Environment, GuardedEndpoint, PageSpec
from pytest_prodready.http import ResponseCache
from pytest_prodready.probes import access

ALREADY_EXPOSED = "served to anonymous visitors already: page.protected-exposed reports it"

pytestmark = pytest.mark.smoke


def test_page_answers(
    page_spec: PageSpec,
    fetch: ResponseCache,
    assert_no_findings: AssertNoFindings,
    record_figure: Callable[[str, object], None],
) -> None:
    response = fetch(page_spec.path)
    ttfb = fetch.ttfb(page_spec.path)
    if ttfb is not None:
        record_figure("ttfb_ms", round(ttfb * 1000, 1))
    assert_no_findings(pages.evaluate_page(page_spec, response, ttfb))


def test_protected_page_refuses_anonymous(
    protected_page: str,
    target: Environment,
    fetch: ResponseCache,
    assert_no_findings: AssertNoFindings,
) -> None:
    response = fetch(protected_page)
    assert_no_findings(pages.evaluate_protected(response, login_path=target.login_path))


def test_forged_session_cookie_is_refused(
    protected_page: str,
    target: Environment,
    fetch: ResponseCache,
    http: httpx.Client,
    gather_once: Callable[[str, Callable[[], tuple[str, ...]]], tuple[str, ...]],
    assert_no_findings: AssertNoFindings,
) -> None:
    anonymous = fetch(protected_page)
    if pages.served(anonymous):
        pytest.skip(ALREADY_EXPOSED)
    refs = gather_once("supabase-refs", lambda: access.find_supabase_refs(fetch, target))
    configured = target.login.session_cookie if target.login else None
    names = access.session_cookie_names(configured, refs)
    forged = access.forged_session(http, protected_page, names)
    assert_no_findings(
        pages.evaluate_forged_session(
            anonymous, forged.response, carried=forged.carried, login_path=target.login_path
        )
    )


def test_middleware_subrequest_header_is_ignored(
    protected_page: str,
    target: Environment,
    fetch: ResponseCache,
    http: httpx.Client,
    assert_no_findings: AssertNoFindings,
) -> None:
    anonymous = fetch(protected_page)
    if pages.served(anonymous):
        pytest.skip(ALREADY_EXPOSED)
    bypass = access.middleware_subrequest(http, protected_page)
    assert_no_findings(
        pages.evaluate_middleware_bypass(
            anonymous, bypass.response, carried=bypass.carried, login_path=target.login_path
        )
    )


def test_guarded_endpoint_refuses_unauthenticated(
    guarded_endpoint: GuardedEndpoint, http: httpx.Client, assert_no_findings: AssertNoFindings
) -> None:
    body = b"{}" if guarded_endpoint.method in ("POST", "PUT", "PATCH") else None
    response = http.request(
        guarded_endpoint.method,
        guarded_endpoint.path,
        content=body,
        headers={"Content-Type": "application/json"} if body else None,
    )
    assert_no_findings(pages.evaluate_guarded(guarded_endpoint, response))
