"""Exposed files and debug leaks: what an attacker requests first.

Every exposed-file finding is confirmed by a content signature and compared with the answer
for a random missing path, so a catch-all page (a soft 404) is never a finding. At most
``expect.max_exposure_requests`` requests per host (40 by default).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from pytest_prodready import AssertNoFindings
from pytest_prodready.checks import exposure, leaks
from pytest_prodready.config import Environment
from pytest_prodready.probes import exposure as exposure_probe

pytestmark = [pytest.mark.smoke, pytest.mark.security]


def test_no_exposed_files(
    target: Environment,
    http: httpx.Client,
    gather_once: Callable[..., Any],
    assert_no_findings: AssertNoFindings,
) -> None:
    assert target.base_url is not None
    baseline, results = gather_once(
        "exposure",
        lambda: exposure_probe.probe(
            http, target.base_url, max_requests=target.expect.max_exposure_requests
        ),
    )
    assert_no_findings(exposure.evaluate(results, baseline=baseline))


@pytest.mark.parametrize(
    "path",
    [
        pytest.param(f"/prodready-missing-{secrets.token_hex(6)}", id="missing-path"),
        pytest.param("/%E0%A4%A?x=%ff%fe&page[]=<x>", id="malformed-request"),
    ],
)
def test_error_pages_leak_no_debug_output(
    path: str, http: httpx.Client, assert_no_findings: AssertNoFindings
) -> None:
    assert_no_findings(leaks.evaluate_error_page(http.get(path)))
