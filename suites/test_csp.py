"""Content-Security-Policy: parsed and evaluated per page, and its nonce fresh per response."""

from __future__ import annotations

import httpx
import pytest

from pytest_prodready import AssertNoFindings
from pytest_prodready.checks import csp
from pytest_prodready.checks.pagefacts import csp_headers, is_api
from pytest_prodready.config import Environment, PageSpec
from pytest_prodready.http import ResponseCache

pytestmark = [pytest.mark.smoke, pytest.mark.security]


def test_content_security_policy(
    page_spec: PageSpec,
    target: Environment,
    fetch: ResponseCache,
    http: httpx.Client,
    assert_no_findings: AssertNoFindings,
) -> None:
    response = fetch(page_spec.path)
    content_type = response.headers.get("content-type")
    if not (is_api(response) or csp.governs(content_type)):
        pytest.skip(f"{page_spec.path} is {content_type}: CSP governs documents, not this")
    enforced, report_only = csp_headers(response)
    page_url = str(response.url)
    findings = csp.evaluate_response(
        enforced,
        report_only,
        page_url=page_url,
        api=is_api(response),
        x_frame_options=response.headers.get("x-frame-options"),
    )
    if target.expect.framing_origins:
        findings += csp.evaluate_framing(enforced, target.expect.framing_origins, page_url=page_url)
    if csp.nonces(enforced + report_only):
        # A nonce only protects if it is unguessable: the same page fetched again must differ.
        again = csp_headers(http.get(page_spec.path))
        findings += csp.evaluate_nonce_reuse(
            enforced + report_only, again[0] + again[1], page_url=page_url
        )
    assert_no_findings(findings)
