"""Rate limits: does the live limiter enforce the policy the team believes it has?

Facts are one bounded burst (:class:`Burst`): each request's status and rate-limit headers,
in order. The check finds where the first 429 came, compares it with the declared limit and
reads what the limiter advertises (``Retry-After``, IETF ``RateLimit``/``RateLimit-Policy``,
``X-RateLimit-*``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from pytest_prodready.checks.ratelimit_headers import (
    LIMIT_HEADERS,
    Quota,
    advertised_limit,
    advertised_quotas,
    date_of,
    retry_after_s,
)
from pytest_prodready.config import RateLimitSpec
from pytest_prodready.core.findings import Finding, Severity, rule

__all__ = [
    "LIMIT_HEADERS",
    "RESET_MARGIN_S",
    "Burst",
    "Quota",
    "Sample",
    "advertised_limit",
    "advertised_quotas",
    "budget_left",
    "evaluate",
    "evaluate_reset",
    "figure",
    "none_observed",
    "reset_due",
    "reset_unverified",
    "reset_wait_s",
    "retry_after_s",
]


NOT_ENFORCED = rule(
    "ratelimit.not-enforced",
    Severity.HIGH,
    "The declared rate limit is not enforced",
    "Check the limiter is wired to this route and its store (e.g. Redis/Upstash) is reachable.",
)
TOO_EARLY = rule(
    "ratelimit.too-early",
    Severity.MEDIUM,
    "The limiter refuses requests before the declared limit",
    "Legitimate users get blocked: check the limit, the window and the key (shared IPs).",
)
TOO_LATE = rule(
    "ratelimit.too-late",
    Severity.MEDIUM,
    "The limiter lets more requests through than declared",
    "Check the configured limit; for distributed limiters raise `tolerance` deliberately.",
)
NO_RETRY_AFTER = rule(
    "ratelimit.no-retry-after",
    Severity.LOW,
    "A 429 does not say when to retry",
    "Send Retry-After (seconds) and RateLimit/RateLimit-Policy headers with every 429.",
)
INCONSISTENT = rule(
    "ratelimit.headers-inconsistent",
    Severity.LOW,
    "Advertised rate-limit headers disagree with the policy or the responses",
    "Make the advertised limit/remaining match what the limiter enforces.",
)
NO_RESET = rule(
    "ratelimit.no-reset",
    Severity.MEDIUM,
    "The limiter still refuses after the advertised Retry-After",
    "Make Retry-After match the window, or fix a limiter that never releases its key.",
)
INCONCLUSIVE = rule(
    "ratelimit.inconclusive",
    Severity.INFO,
    "The burst could not judge the declared limit: the budget was already spent",
    "Earlier traffic (other suites, other clients behind the same address) had used part of "
    "the limiter's budget, and the limiter kept to what it advertised. Run the rate-limit "
    "tests first in the session (they are ordered first), or raise max_reset_wait_s so the "
    "burst can wait out the window.",
)
RESET_UNVERIFIED = rule(
    "ratelimit.reset-unverified",
    Severity.INFO,
    "The limiter's reset was not verified: it asks for a longer wait than allowed",
    "A lockout longer than max_reset_wait_s is a policy, not a fault: raise max_reset_wait_s "
    "on the policy to verify it (the test then waits that long).",
)
NONE_OBSERVED = rule(
    "ratelimit.none-observed",
    Severity.MEDIUM,
    "No rate limiting observed: a burst of a safe read got no 429 and no rate-limit headers",
    "Put a limiter in front of the API (per client and per account: an Upstash/Redis "
    "limiter, nginx limit_req, a CDN rule), then declare its policy in "
    "[[envs.X.rate_limits]] so each is verified; brute force and scraping meet no resistance.",
)
ERROR_STATUS = rule(
    "ratelimit.error-status",
    Severity.HIGH,
    "The endpoint answered 5xx during the burst",
    "The limiter or the route fails under a short burst: check its store and error handling.",
)


@dataclass(frozen=True)
class Sample:
    """One request of the burst (1-based ``index``); header names are kept lower-case."""

    index: int
    status: int
    elapsed_s: float
    headers: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "headers", {k.lower(): v for k, v in self.headers.items()})

    def retry_after(self) -> float | None:
        """``Retry-After`` in seconds; an HTTP-date counts from the response's ``Date``."""
        return retry_after_s(self.headers.get("retry-after"), now_epoch=date_of(self.headers))

    def quotas(self) -> tuple[Quota, ...]:
        return advertised_quotas(self.headers)


@dataclass(frozen=True)
class Burst:
    """The requests a probe sent, in order, and the policy they tested."""

    spec: RateLimitSpec
    samples: tuple[Sample, ...]
    url: str
    # The burst's first answer was a 429 asking for a longer wait than allowed (seconds).
    spent_wait_s: float | None = None
    # The burst waited out this many seconds of a spent budget before it began again.
    waited_s: float = 0.0
    # time.perf_counter() when the samples' clock started (their ``t`` counts from it).
    started: float = 0.0

    @property
    def first_429(self) -> Sample | None:
        return next((s for s in self.samples if s.status == 429), None)


def reset_wait_s(sample: Sample, spec: RateLimitSpec) -> float:
    """How long a 429 asks a client to wait: Retry-After, else the longest advertised reset,
    else the declared window."""
    wait = sample.retry_after()
    if wait is not None:
        return wait
    resets = [q.reset_s for q in sample.quotas() if q.reset_s is not None]
    return max(resets) if resets else spec.window_s


RESET_MARGIN_S = 0.5


def reset_due(burst: Burst) -> float | None:
    """When (``time.perf_counter()``) the limiter should serve again: the first 429's arrival
    plus the wait it asked for and a margin; None without a 429."""
    first = burst.first_429
    if first is None:
        return None
    return burst.started + first.elapsed_s + reset_wait_s(first, burst.spec) + RESET_MARGIN_S


def budget_left(burst: Burst) -> int | None:
    """Requests the limiter still allowed when the burst began, when its first answer says
    so and it is less than the declared limit (earlier traffic spent the rest); else None.

    ``remaining`` counts after the request that carried it, so the budget is one more.
    """
    first = burst.samples[0] if burst.samples else None
    if first is None or first.status == 429:
        return None
    quotas = [q for q in first.quotas() if q.remaining is not None]
    matching = [q for q in quotas if q.matches(burst.spec)] or [
        q for q in quotas if q.limit is None
    ]
    if not matching:
        return None
    budget = min(q.remaining for q in matching if q.remaining is not None) + 1
    return budget if budget < burst.spec.limit else None


def figure(burst: Burst) -> str:
    """The measured figure, e.g. "declared 5/60s, first 429 at request 6, Retry-After 54 s"."""
    spec = burst.spec
    head = f"{spec.name}: declared {spec.limit}/{spec.window_s:g}s"
    first = burst.first_429
    if first is None:
        return f"{head}, no 429 in {len(burst.samples)} requests"
    wait = first.retry_after()
    if wait is not None:
        return f"{head}, first 429 at request {first.index}, Retry-After {wait:.0f} s"
    resets = [q.reset_s for q in first.quotas() if q.reset_s is not None]
    advertised = f" (advertised reset {max(resets):.0f} s)" if resets else ""
    return f"{head}, first 429 at request {first.index}, no Retry-After{advertised}"


def _statuses(burst: Burst) -> str:
    counts: dict[int, int] = {}
    for s in burst.samples:
        counts[s.status] = counts.get(s.status, 0) + 1
    return ", ".join(f"{status} x{n}" for status, n in counts.items())


def evaluate(burst: Burst) -> list[Finding]:
    """Findings for one burst against its declared policy."""
    spec, url = burst.spec, burst.url
    measured = figure(burst)
    findings: list[Finding] = []
    errors = [s for s in burst.samples if s.status >= 500]
    if errors:
        where = ", ".join(f"#{s.index}: {s.status}" for s in errors[:5])
        findings.append(ERROR_STATUS(f"{measured}; 5xx at {where}", url=url))
    if burst.spent_wait_s is not None:
        evidence = (
            f"{measured}: the first request already got a 429 asking to wait "
            f"{burst.spent_wait_s:.0f} s, more than max_reset_wait_s {spec.max_reset_wait_s:g} s"
        )
        return [*findings, INCONCLUSIVE(evidence, url=url)]
    first = burst.first_429
    if first is None:
        findings.append(NOT_ENFORCED(f"{measured} (statuses: {_statuses(burst)})", url=url))
        return findings
    accepted = first.index - 1
    budget = budget_left(burst)
    if budget is not None and budget <= accepted < spec.limit:
        evidence = (
            f"{measured}: the first answer advertised {budget - 1} remaining of "
            f"{spec.limit}, and the limiter kept to it"
        )
        findings.append(INCONCLUSIVE(evidence, url=url))
    elif accepted < spec.limit:
        findings.append(TOO_EARLY(f"{measured}: only {accepted} accepted", url=url))
    elif accepted > spec.limit + spec.tolerance:
        allowed = f" (tolerance {spec.tolerance})" if spec.tolerance else ""
        findings.append(TOO_LATE(f"{measured}: {accepted} accepted{allowed}", url=url))
    headers = first.headers
    if first.retry_after() is None and not any(headers.get(k) for k in LIMIT_HEADERS[1:]):
        value = headers.get("retry-after")
        seen = (
            f"Retry-After {value!r} is neither seconds nor an HTTP-date"
            if value
            else "no Retry-After"
        )
        others = ", ".join(LIMIT_HEADERS[1:])
        findings.append(NO_RETRY_AFTER(f"{measured}; {seen} and none of {others}", url=url))
    findings += _inconsistencies(burst, measured)
    return findings


def _inconsistencies(burst: Burst, measured: str) -> list[Finding]:
    spec, url = burst.spec, burst.url
    problems: list[str] = []
    for sample in burst.samples:
        limits = [q for q in sample.quotas() if q.limit is not None]
        if limits and not any(q.matches(spec) for q in limits):
            shown = ", ".join(q.describe() for q in limits)
            problems.append(f"request {sample.index} advertises {shown}")
            break
    first = burst.first_429
    # Remaining only orders with the requests when they went out one at a time.
    if spec.concurrency == 1:
        problems += _countdown(burst)
    if first is not None:
        left = [q.remaining for q in first.quotas() if q.remaining is not None]
        if left and min(left) > 0:
            problems.append(f"the 429 at #{first.index} advertises {min(left)} remaining")
    if not problems:
        return []
    return [INCONSISTENT(f"{measured}; {'; '.join(problems)}", url=url)]


def _countdown(burst: Burst) -> list[str]:
    """Each quota's remaining drops with every accepted request (unless its window reset
    meanwhile), and the request just before the first 429 has none left."""
    last: dict[tuple[str, str | None, int | None], tuple[Sample, int, float | None]] = {}
    for sample in burst.samples:
        if sample.status == 429:
            break
        for quota in sample.quotas():
            if quota.remaining is None:
                continue
            key = (quota.source, quota.policy, quota.limit)
            if key in last:
                before, was, reset = last[key]
                waited = sample.elapsed_s - before.elapsed_s
                if quota.remaining >= was and (reset is None or waited < reset):
                    return [
                        f"remaining does not count down ({was} at #{before.index}, "
                        f"{quota.remaining} at #{sample.index})"
                    ]
            last[key] = (sample, quota.remaining, quota.reset_s)
    first = burst.first_429
    left = [r for s, r, _ in last.values() if first is not None and s.index == first.index - 1]
    if first is None or not left or min(left) == 0:
        return []
    return [f"request {first.index - 1} advertised {min(left)} remaining, then a 429"]


def evaluate_reset(burst: Burst, waited_s: float, after: Sample) -> list[Finding]:
    """After waiting out Retry-After, the next request must be accepted again."""
    if after.status != 429:
        return []
    return [NO_RESET(f"{figure(burst)}; still 429 after waiting {waited_s:.0f} s", url=burst.url)]


def reset_unverified(burst: Burst, wait_s: float) -> list[Finding]:
    """The info finding for a reset the test may not wait for (``wait_s`` above the cap)."""
    spec = burst.spec
    evidence = (
        f"{figure(burst)}; the limiter asks for {wait_s:.0f} s, more than max_reset_wait_s "
        f"{spec.max_reset_wait_s:g} s"
    )
    return [RESET_UNVERIFIED(evidence, url=burst.url)]


def none_observed(samples: list[Sample], url: str, within_s: float) -> list[Finding]:
    """``ratelimit.none-observed`` when a burst of a safe read saw no 429 and no rate-limit
    header at all: nothing says a limiter is there."""
    if not samples:
        return []
    if any(s.status == 429 or any(s.headers.get(k) for k in LIMIT_HEADERS) for s in samples):
        return []
    counts: dict[int, int] = {}
    for s in samples:
        counts[s.status] = counts.get(s.status, 0) + 1
    shown = ", ".join(f"{status} x{n}" for status, n in counts.items())
    evidence = (
        f"{len(samples)} requests in {within_s:g} s: no 429 and no rate-limit header "
        f"({', '.join(LIMIT_HEADERS)}); statuses: {shown}. A limiter above "
        f"{len(samples)} per {within_s:g} s that sends no header looks the same: declare its "
        "policy in [[envs.X.rate_limits]] (which replaces this probe) or raise "
        "[envs.X.ratelimit_probe] requests"
    )
    return [NONE_OBSERVED(evidence, url=url)]
