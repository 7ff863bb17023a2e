"""Public assets: no server-side secret, no test-mode key in production, no public source
maps, in the pages and the same-origin scripts they load (at most 20)."""

from __future__ import annotations

import pytest

from pytest_prodready import AssertNoFindings
from pytest_prodready.checks import bundle
from pytest_prodready.config import Environment
from pytest_prodready.http import ResponseCache
from pytest_prodready.probes.bundle import gather

pytestmark = [pytest.mark.smoke, pytest.mark.security]


def test_no_secrets_in_public_assets(
    target: Environment,
    fetch: ResponseCache,
    assert_no_findings: AssertNoFindings,
) -> None:
    assets = gather(fetch, target.page_paths)
    assert_no_findings(bundle.evaluate(assets, production=target.protected))
