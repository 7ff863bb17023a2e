"""Rate limits: each declared limiter policy, verified against the live limiter.

A burst can lock out a shared IP, so these tests are ``ratelimit`` + ``destructive``: on a
protected environment they run only with ``--allow-destructive=<env>`` and only for policies
marked ``safe_on_protected``. Every burst is bounded (``limit + margin``, at most
``limit + 10`` requests) and the output always states the measured figure.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

import httpx
import pytest

from pytest_prodready.checks import ratelimit
from pytest_prodready.config import Environment, RateLimitSpec
from pytest_prodready.findings import Finding
from pytest_prodready.probes.ratelimit import burst
from pytest_prodready.secrets import Secret

pytestmark = [pytest.mark.ratelimit, pytest.mark.destructive]

MAX_RESET_WAIT_S = 120.0

GatherOnce = Callable[[str, Callable[[], ratelimit.Burst]], ratelimit.Burst]


@pytest.fixture
def measured_burst(
    rate_limit: RateLimitSpec,
    target: Environment,
    http: httpx.Client,
    secret: Callable[[str], Secret],
    gather_once: GatherOnce,
    record_figure: Callable[[str, object], None],
) -> ratelimit.Burst:
    """The policy's burst, sent once per session and shared by the tests below."""
    if target.protected and not rate_limit.safe_on_protected:
        pytest.skip(
            f"prodready safety: rate-limit policy {rate_limit.name!r} is not marked "
            f"safe_on_protected on protected environment {target.name!r}"
        )
    headers: dict[str, str] = {}
    if rate_limit.tier is not None:
        tier = target.tiers[rate_limit.tier]
        headers[tier.header] = tier.format.format(secret=secret(tier.secret).reveal())
    deadline = min(MAX_RESET_WAIT_S, rate_limit.cap * target.timeout_s)
    result = gather_once(
        f"ratelimit:{rate_limit.name}",
        lambda: burst(http, rate_limit, headers=headers, deadline_s=deadline),
    )
    figure = ratelimit.figure(result)
    record_figure("ratelimit", figure)
    print(figure)
    return result


def test_rate_limit_is_enforced(
    measured_burst: ratelimit.Burst, assert_no_findings: Callable[[Iterable[Finding]], None]
) -> None:
    assert_no_findings(ratelimit.evaluate(measured_burst))


@pytest.mark.slow
def test_rate_limit_resets_after_retry_after(
    measured_burst: ratelimit.Burst,
    http: httpx.Client,
    assert_no_findings: Callable[[Iterable[Finding]], None],
) -> None:
    first = measured_burst.first_429
    if first is None:
        pytest.skip("no 429 was seen, so there is no reset to wait for")
    spec = measured_burst.spec
    wait = ratelimit.retry_after_s(first.headers.get("retry-after"))
    wait = min(wait if wait is not None else spec.window_s, spec.window_s + 5)
    if wait > MAX_RESET_WAIT_S:
        pytest.skip(f"Retry-After {wait:.0f} s exceeds the {MAX_RESET_WAIT_S:.0f} s budget")
    time.sleep(wait + 0.5)
    body = dict(spec.json) if spec.json is not None else None
    response = http.request(spec.method, spec.path, json=body)
    after = ratelimit.Sample(len(measured_burst.samples) + 1, response.status_code, 0.0)
    assert_no_findings(ratelimit.evaluate_reset(measured_burst, wait, after))
