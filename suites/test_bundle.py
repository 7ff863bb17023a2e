"""Public assets: no server-side secret, no test-mode key in live mode, no public source maps,
no staging configuration, no development build and no library with known vulnerabilities, in
the pages and every same-origin script a visitor can load (the framework manifests' chunks
included, up to ``[envs.X.bundle]``), and the URLs of other origins' scripts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from pytest_prodready import AssertNoFindings
from pytest_prodready.checks import build, bundle, libraries, secret_rules
from pytest_prodready.config import Environment
from pytest_prodready.http import ResponseCache
from pytest_prodready.probes import vulndata
from pytest_prodready.probes.bundle import gather_all, loaded_scripts

pytestmark = [pytest.mark.smoke, pytest.mark.security]


def public_assets(
    target: Environment,
    fetch: ResponseCache,
    gather_once: Callable[..., Any],
    record_figure: Callable[[str, object], None],
) -> tuple[list[bundle.Asset], bundle.Coverage]:
    """Every public script (gathered once per session), with how far the scan went recorded
    as figures; read inside the test, so a network error is its one-line failure."""
    assets, coverage = gather_once(
        "bundle", lambda: gather_all(fetch, target.page_paths, target.bundle)
    )
    record_figure("bundle_scripts_read", coverage.read)
    record_figure("bundle_mb_read", round(coverage.bytes / 1e6, 2))
    record_figure("bundle_scripts_left", coverage.left)
    return assets, coverage


def test_no_secrets_in_public_assets(
    target: Environment,
    fetch: ResponseCache,
    gather_once: Callable[..., Any],
    record_figure: Callable[[str, object], None],
    assert_no_findings: AssertNoFindings,
    pytestconfig: pytest.Config,
) -> None:
    assets, coverage = public_assets(target, fetch, gather_once, record_figure)
    # The key patterns from pytest's cache when it has them (see secret_rules.prime).
    secret_rules.prime(getattr(pytestconfig, "cache", None))
    live = build.live_mode(target.expect.build, protected=target.protected)
    assert_no_findings(bundle.evaluate(assets, production=live) + bundle.coverage(coverage))


def test_bundle_is_a_production_build(
    target: Environment,
    fetch: ResponseCache,
    gather_once: Callable[..., Any],
    record_figure: Callable[[str, object], None],
    assert_no_findings: AssertNoFindings,
) -> None:
    assets, _ = public_assets(target, fetch, gather_once, record_figure)
    assert target.base_url is not None
    assert_no_findings(build.evaluate(assets, target.expect.build, site=target.base_url))


def test_no_known_vulnerable_libraries(
    target: Environment,
    fetch: ResponseCache,
    gather_once: Callable[..., Any],
    record_figure: Callable[[str, object], None],
    assert_no_findings: AssertNoFindings,
    pytestconfig: pytest.Config,
) -> None:
    assets, _ = public_assets(target, fetch, gather_once, record_figure)
    try:
        with libraries.needles_kept_in(getattr(pytestconfig, "cache", None)):
            dataset = vulndata.load(target.bundle.vulnerability_data)
    except vulndata.DatasetError as exc:
        problem = str(exc)
    else:
        problem = ""
    if problem:
        pytest.fail(problem, pytrace=False)
    scripts = loaded_scripts(fetch, target.page_paths, assets)
    record_figure("vulnerability_data", dataset.label)
    assert_no_findings(libraries.evaluate(dataset, scripts))
