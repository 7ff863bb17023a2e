"""Rate limits: each declared limiter policy, verified against the live limiter.

A burst can lock out a shared IP, so these tests are ``ratelimit`` + ``destructive``: on a
protected environment they run only with ``--allow-destructive=<env>`` and only for policies
marked ``safe_on_protected``. Every burst is bounded (``limit + margin``, at most
``limit + 10`` requests) and the output always states the measured figure.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import pytest

from pytest_prodready import SAFETY_PREFIX, AssertNoFindings, Secret
from pytest_prodready.checks import ratelimit
from pytest_prodready.config import Environment, RateLimitSpec
from pytest_prodready.http import describe_error
from pytest_prodready.probes.ratelimit import burst, safe_reads

pytestmark = [pytest.mark.ratelimit, pytest.mark.destructive]

MAX_BURST_S = 120.0

GatherOnce = Callable[[str, Callable[[], ratelimit.Burst]], ratelimit.Burst]


@pytest.fixture
def safe_rate_limit(rate_limit: RateLimitSpec, target: Environment) -> RateLimitSpec:
    """The policy, once the safety gate allows a burst of it on this environment."""
    if target.protected and not rate_limit.safe_on_protected:
        pytest.skip(
            f"{SAFETY_PREFIX} rate-limit policy {rate_limit.name!r} is not marked "
            f"safe_on_protected on protected environment {target.name!r}"
        )
    return rate_limit


@pytest.fixture
def tier_headers(
    safe_rate_limit: RateLimitSpec, target: Environment, secret: Callable[[str], Secret]
) -> dict[str, str]:
    """The policy's tier token header (``tier = "premium"``); empty for anonymous policies."""
    if safe_rate_limit.tier is None:
        return {}
    tier = target.tiers[safe_rate_limit.tier]
    return {tier.header: tier.format.format(secret=secret(tier.secret).reveal())}


@pytest.fixture
def measured_burst(
    safe_rate_limit: RateLimitSpec,
    target: Environment,
    http: httpx.Client,
    tier_headers: dict[str, str],
    gather_once: GatherOnce,
    record_figure: Callable[[str, object], None],
) -> ratelimit.Burst:
    """The policy's burst, sent once per session and shared by the tests below.

    Its figure goes to the JSON summary (``figures``) of every test using it, and to the
    terminal's prodready summary, so a passing run shows it without ``-rP``.
    """
    rate_limit = safe_rate_limit
    deadline = min(MAX_BURST_S, rate_limit.cap * target.timeout_s)

    def measure() -> ratelimit.Burst:
        return burst(http, rate_limit, headers=tier_headers, deadline_s=deadline)

    try:
        measured = gather_once(f"ratelimit:{rate_limit.name}", measure)
        _hold_until_reset(measured, target, http, gather_once)
    except httpx.RequestError as exc:
        pytest.fail(f"rate-limit burst {rate_limit.name!r}: {describe_error(exc)}", pytrace=False)
    record_figure("ratelimit", ratelimit.figure(measured))
    return measured


def _hold_until_reset(
    measured: ratelimit.Burst, target: Environment, http: httpx.Client, gather_once: GatherOnce
) -> None:
    """Let the other tests run while this policy's lockout lasts, safely.

    The reset test runs last (plugin.py orders it), so its wait overlaps their work. Until
    the reset, the session's client sends nothing to the locked path; and one GET of another
    path tells a limiter that locks out everything (one bucket per client) from one that
    locks out this path alone: for the former, the wait happens here, before anything else.
    """
    due = ratelimit.reset_due(measured)
    first = measured.first_429
    if due is None or first is None:
        return
    if ratelimit.reset_wait_s(first, measured.spec) > measured.spec.max_reset_wait_s:
        return  # not awaited at all: reset_unverified says so
    hold = getattr(http, "hold", None)
    if hold is not None:
        hold(measured.spec.path, due)
    other = next((h.path for h in target.health if h.path != measured.spec.path), None)
    other = other or ("/" if measured.spec.path != "/" else None)

    def probe_other() -> bool:
        return other is not None and http.get(other).status_code == 429

    if gather_once(f"ratelimit-global:{measured.spec.name}", probe_other):
        time.sleep(max(0.0, due - time.perf_counter()))


def test_rate_limit_is_enforced(
    measured_burst: ratelimit.Burst, assert_no_findings: AssertNoFindings
) -> None:
    assert_no_findings(ratelimit.evaluate(measured_burst))


@pytest.mark.slow
@pytest.mark.waits
def test_rate_limit_resets_after_retry_after(
    measured_burst: ratelimit.Burst,
    http: httpx.Client,
    tier_headers: dict[str, str],
    record_figure: Callable[[str, object], None],
    assert_no_findings: AssertNoFindings,
) -> None:
    first = measured_burst.first_429
    if first is None:
        pytest.skip("no 429 was seen, so there is no reset to wait for")
    spec = measured_burst.spec
    wait = ratelimit.reset_wait_s(first, spec)
    if wait > spec.max_reset_wait_s:
        # A 15-minute lockout is a policy: said (info), never failed for being long.
        assert_no_findings(ratelimit.reset_unverified(measured_burst, wait))
        return
    # Counted from the 429, not from now: the tests run since then waited for us.
    record_figure("wait_s", round(wait + ratelimit.RESET_MARGIN_S, 2))
    due = ratelimit.reset_due(measured_burst) or 0.0
    time.sleep(max(0.0, due - time.perf_counter()))
    body = dict(spec.json) if spec.json is not None else None
    response = http.request(spec.method, spec.path, json=body, headers=tier_headers)
    after = ratelimit.Sample(len(measured_burst.samples) + 1, response.status_code, 0.0)
    assert_no_findings(ratelimit.evaluate_reset(measured_burst, wait, after))


def test_some_rate_limit_is_observed(
    target: Environment, http: httpx.Client, assert_no_findings: AssertNoFindings
) -> None:
    """With no policy declared, a bounded burst of one safe read must meet a limiter: a 429
    or a rate-limit header ([envs.X.ratelimit_probe]: path, requests, within_s, enabled)."""
    probe = target.ratelimit_probe
    if target.rate_limits:
        pytest.skip("policies are declared: each is verified by the tests above")
    if not probe.enabled:
        pytest.skip(f"[envs.{target.name}.ratelimit_probe] enabled = false")
    path = probe.path or (target.health[0].path if target.health else "/")
    samples = safe_reads(http, path, count=probe.requests, within_s=probe.within_s)
    url = str(http.base_url).rstrip("/") + path
    assert_no_findings(ratelimit.none_observed(samples, url, probe.within_s))
