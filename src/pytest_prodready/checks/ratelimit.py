"""Rate limits: does the live limiter enforce the policy the team believes it has?

Facts are one bounded burst (:class:`Burst`): each request's status and rate-limit headers,
in order. The check finds where the first 429 came, compares it with the declared limit and
reads what the limiter advertises (``Retry-After``, IETF ``RateLimit``/``RateLimit-Policy``,
``X-RateLimit-*``).
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

from pytest_prodready.config import RateLimitSpec
from pytest_prodready.findings import Finding, Severity, rule

__all__ = [
    "Burst",
    "Sample",
    "advertised_limit",
    "evaluate",
    "evaluate_reset",
    "figure",
    "retry_after_s",
]

LIMIT_HEADERS = (
    "retry-after",
    "ratelimit",
    "ratelimit-policy",
    "ratelimit-limit",
    "ratelimit-remaining",
    "ratelimit-reset",
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
)

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
ERROR_STATUS = rule(
    "ratelimit.error-status",
    Severity.HIGH,
    "The endpoint answered 5xx during the burst",
    "The limiter or the route fails under a short burst: check its store and error handling.",
)


@dataclass(frozen=True)
class Sample:
    """One request of the burst (1-based ``index``)."""

    index: int
    status: int
    elapsed_s: float
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Burst:
    """The requests a probe sent, in order, and the policy they tested."""

    spec: RateLimitSpec
    samples: tuple[Sample, ...]
    url: str

    @property
    def first_429(self) -> Sample | None:
        return next((s for s in self.samples if s.status == 429), None)


def retry_after_s(value: str | None, *, now_epoch: float | None = None) -> float | None:
    """Seconds from a ``Retry-After`` value (delta-seconds or HTTP-date); None if invalid."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now_epoch is None else now_epoch))


def _int(text: str | None) -> int | None:
    match = re.match(r"\s*(\d+)", text or "")
    return int(match.group(1)) if match else None


def advertised_limit(headers: Mapping[str, str]) -> int | None:
    """The limit the response advertises (``RateLimit-Policy: 5;w=60``, ``RateLimit:
    limit=5``, ``RateLimit-Limit``, ``X-RateLimit-Limit``), if any."""
    for key in ("ratelimit-policy", "ratelimit-limit", "x-ratelimit-limit"):
        if key in headers:
            return _int(headers[key].split(",")[0])
    match = re.search(r"(?:^|[,;\s])limit=(\d+)", headers.get("ratelimit", ""))
    return int(match.group(1)) if match else None


def advertised_remaining(headers: Mapping[str, str]) -> int | None:
    for key in ("ratelimit-remaining", "x-ratelimit-remaining"):
        if key in headers:
            return _int(headers[key])
    match = re.search(r"(?:^|[,;\s])(?:remaining|r)=(\d+)", headers.get("ratelimit", ""))
    return int(match.group(1)) if match else None


def figure(burst: Burst) -> str:
    """The measured figure, e.g. "declared 5/60s, first 429 at request 6, Retry-After 54 s"."""
    spec = burst.spec
    head = f"{spec.name}: declared {spec.limit}/{spec.window_s:g}s"
    first = burst.first_429
    if first is None:
        return f"{head}, no 429 in {len(burst.samples)} requests"
    wait = retry_after_s(first.headers.get("retry-after"))
    tail = f", Retry-After {wait:.0f} s" if wait is not None else ", no Retry-After"
    return f"{head}, first 429 at request {first.index}{tail}"


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
    first = burst.first_429
    if first is None:
        findings.append(NOT_ENFORCED(f"{measured} (statuses: {_statuses(burst)})", url=url))
        return findings
    accepted = first.index - 1
    if accepted < spec.limit:
        findings.append(TOO_EARLY(f"{measured}: only {accepted} accepted", url=url))
    elif accepted > spec.limit + spec.tolerance:
        findings.append(TOO_LATE(f"{measured}: {accepted} accepted", url=url))
    headers = first.headers
    has_reset_info = retry_after_s(headers.get("retry-after")) is not None or any(
        key in headers for key in LIMIT_HEADERS[1:]
    )
    if not has_reset_info:
        findings.append(
            NO_RETRY_AFTER(f"{measured}; 429 headers: none of {', '.join(LIMIT_HEADERS)}", url=url)
        )
    findings += _inconsistencies(burst, measured)
    return findings


def _inconsistencies(burst: Burst, measured: str) -> list[Finding]:
    spec, url = burst.spec, burst.url
    problems: list[str] = []
    for sample in burst.samples:
        limit = advertised_limit(sample.headers)
        if limit is not None and limit != spec.limit:
            problems.append(f"request {sample.index} advertises limit {limit}")
            break
    remaining = [
        (s.index, r)
        for s in burst.samples
        if s.status != 429 and (r := advertised_remaining(s.headers)) is not None
    ]
    for (_, before), (index, after) in itertools.pairwise(remaining):
        if after >= before:
            problems.append(f"remaining does not count down ({before} then {after} at #{index})")
            break
    first = burst.first_429
    if first is not None and remaining and remaining[-1][1] > 0 and first.index - 1 <= spec.limit:
        problems.append(f"429 at #{first.index} while remaining was {remaining[-1][1]}")
    if not problems:
        return []
    return [INCONSISTENT(f"{measured}; {'; '.join(problems)}", url=url)]


def evaluate_reset(burst: Burst, waited_s: float, after: Sample) -> list[Finding]:
    """After waiting out Retry-After, the next request must be accepted again."""
    if after.status != 429:
        return []
    return [NO_RESET(f"{figure(burst)}; still 429 after waiting {waited_s:.0f} s", url=burst.url)]
