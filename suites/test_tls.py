"""Transport: the certificate, the protocols the server accepts, and HTTP → HTTPS."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from pytest_prodready import AssertNoFindings
from pytest_prodready.checks import redirect, tls
from pytest_prodready.checks.pagefacts import endpoint
from pytest_prodready.config import Environment
from pytest_prodready.probes import redirect as redirect_probe
from pytest_prodready.probes import tls as tls_probe

pytestmark = [pytest.mark.smoke, pytest.mark.security]


def test_certificate_and_protocols(
    target: Environment, gather_once: Callable[..., Any], assert_no_findings: AssertNoFindings
) -> None:
    assert target.base_url is not None
    if not target.base_url.startswith("https://"):
        if target.plain_http:
            pytest.skip(f"base_url {target.base_url} is plain HTTP on purpose (plain_http)")
        assert_no_findings(tls.no_https(target.base_url, plain_http=False))
        return
    host, port = endpoint(target.base_url)
    unreachable = None
    try:
        facts = gather_once(
            "tls",
            lambda: tls_probe.probe(
                host, port, ca_bundle=target.ca_bundle, timeout=min(target.timeout_s, 10)
            ),
        )
    except tls_probe.TlsProbeError as exc:
        unreachable = str(exc)
    if unreachable is not None:
        # Outside the except block: a failure raised there would drag the probe's exception
        # chain into the report, when its message already says what went wrong.
        pytest.fail(unreachable, pytrace=False)
    assert_no_findings(
        tls.evaluate(
            facts,
            now=datetime.now(UTC),
            warn_days=target.expect.cert_warn_days,
            critical_days=target.expect.cert_critical_days,
            url=target.base_url,
        )
    )


def test_http_redirects_to_https(
    target: Environment,
    http: httpx.Client,
    gather_once: Callable[..., Any],
    assert_no_findings: AssertNoFindings,
) -> None:
    assert target.base_url is not None
    if not target.base_url.startswith("https://"):
        pytest.skip(f"base_url {target.base_url} is plain HTTP: nothing to redirect to")
    host, _ = endpoint(target.base_url)
    start = target.http_url or f"http://{host}"
    # Only the env's own hosts are requested: a redirect elsewhere is judged from its Location.
    home = (target.base_url, target.api_url, target.http_url)
    chain = gather_once("redirect", lambda: redirect_probe.follow(http, start + "/", home=home))
    assert_no_findings(redirect.evaluate(chain, https_url=target.base_url))
