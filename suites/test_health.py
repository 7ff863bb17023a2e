"""Health endpoints: up, JSON, every component healthy, within budget, never cached."""

from __future__ import annotations

import statistics
from collections.abc import Callable

import httpx
import pytest

from pytest_prodready import AssertNoFindings
from pytest_prodready.checks import health
from pytest_prodready.config import HealthEndpoint
from pytest_prodready.probes.health import sample

LATENCY_SAMPLES = 3

pytestmark = pytest.mark.smoke


def test_health_endpoint(
    health_endpoint: HealthEndpoint,
    http: httpx.Client,
    assert_no_findings: AssertNoFindings,
    record_figure: Callable[[str, object], None],
) -> None:
    samples = LATENCY_SAMPLES if health_endpoint.max_latency_ms is not None else 1
    responses, latencies = sample(http, health_endpoint.path, samples=samples)
    record_figure("latency_median_ms", round(statistics.median(latencies) * 1000, 1))
    record_figure("latency_samples", len(latencies))
    assert_no_findings(health.evaluate(health_endpoint, responses, latencies))
