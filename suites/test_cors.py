"""CORS: hostile origins (including ``null``) must not be let in, least of all with
credentials. Probed on the API (the first health endpoint), with 8 requests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from pytest_prodready import AssertNoFindings
from pytest_prodready.checks import cors
from pytest_prodready.checks.pagefacts import endpoint
from pytest_prodready.config import Environment
from pytest_prodready.probes import cors as cors_probe

pytestmark = [pytest.mark.smoke, pytest.mark.security]


def test_cors_refuses_hostile_origins(
    target: Environment,
    http: httpx.Client,
    gather_once: Callable[..., Any],
    assert_no_findings: AssertNoFindings,
) -> None:
    assert target.base_url is not None
    url = target.base_url + target.health[0].path
    host, _ = endpoint(target.base_url)
    probes = gather_once("cors", lambda: cors_probe.probe(http, url, host))
    assert_no_findings(cors.evaluate(probes, allowed_origins=target.expect.cors_allowed_origins))
