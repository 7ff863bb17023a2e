"""Rate limits: does the live limiter enforce the policy the team believes it has?

Facts are one bounded burst (:class:`Burst`): each request's status and rate-limit headers,
in order. The check finds where the first 429 came, compares it with the declared limit and
reads what the limiter advertises (``Retry-After``, IETF ``RateLimit``/``RateLimit-Policy``,
``X-RateLimit-*``).
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC
from email.utils import parsedate_to_datetime

from pytest_prodready.checks.grammar import SfItem, parse_sf_item
from pytest_prodready.config import RateLimitSpec
from pytest_prodready.findings import Finding, Severity, rule

__all__ = [
    "Burst",
    "Quota",
    "Sample",
    "advertised_limit",
    "advertised_quotas",
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
class Quota:
    """One quota a response advertises, from whichever rate-limit header syntax carried it.

    ``limit``/``window_s`` describe the policy, ``remaining``/``reset_s`` its state after this
    response; each is None when the header does not say. ``source`` names the header.
    """

    source: str
    policy: str | None = None
    limit: int | None = None
    window_s: float | None = None
    remaining: int | None = None
    reset_s: float | None = None

    def matches(self, spec: RateLimitSpec) -> bool:
        return self.limit == spec.limit and self.window_s in (None, spec.window_s)

    def describe(self) -> str:
        window = f"/{self.window_s:g}s" if self.window_s is not None else ""
        name = f" {self.policy!r}" if self.policy else ""
        return f"{self.limit}{window} ({self.source}{name})"


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
        return retry_after_s(self.headers.get("retry-after"), now_epoch=_date(self.headers))

    def quotas(self) -> tuple[Quota, ...]:
        return advertised_quotas(self.headers)


@dataclass(frozen=True)
class Burst:
    """The requests a probe sent, in order, and the policy they tested."""

    spec: RateLimitSpec
    samples: tuple[Sample, ...]
    url: str

    @property
    def first_429(self) -> Sample | None:
        return next((s for s in self.samples if s.status == 429), None)


def _epoch(value: str | None) -> float | None:
    try:
        when = parsedate_to_datetime(value or "")
    except (TypeError, ValueError):
        return None
    # An HTTP-date is always GMT; a zone-less one must not be read as local time.
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()


def _date(headers: Mapping[str, str]) -> float | None:
    return _epoch(headers.get("date"))


def retry_after_s(value: str | None, *, now_epoch: float | None = None) -> float | None:
    """Seconds from a ``Retry-After`` value (delta-seconds or HTTP-date); None if invalid.

    An HTTP-date counts from ``now_epoch`` (the response's ``Date``), else from this clock.
    """
    value = (value or "").strip()
    if _DIGITS.fullmatch(value):
        return float(value)
    when = _epoch(value)
    if when is None:
        return None
    return max(0.0, when - (time.time() if now_epoch is None else now_epoch))


# --- Advertised quotas: IETF RateLimit-Policy/RateLimit, RateLimit-*, X-RateLimit-* -------

_DIGITS = re.compile(r"[0-9]+")
_LEADING_INT = re.compile(r"\s*([0-9]+)")
_WINDOW = re.compile(r";\s*w=([0-9]+)")
_DICT_MEMBER = re.compile(r"(?:^|,)\s*(limit|remaining|reset)=([0-9]+)")
# An epoch (``X-RateLimit-Reset: 1717171717``, GitHub style) rather than seconds to wait.
_EPOCH_FROM = 1_000_000_000


def _sf_list(value: str) -> list[SfItem]:
    """Members of a structured-field List (RFC 8941 §4.2.1); invalid members are left out."""
    members, start, quoted, escaped = [], 0, False, False
    for i, char in enumerate(value):
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            members.append(value[start:i])
            start = i + 1
    members.append(value[start:])
    return [item for m in members if (item := parse_sf_item(m.strip(" \t"))) is not None]


def _integer(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _reset(value: int | None, now_epoch: float | None) -> float | None:
    if value is None or value < _EPOCH_FROM:
        return None if value is None else float(value)
    return None if now_epoch is None else max(0.0, value - now_epoch)


def _leading(text: str | None) -> int | None:
    match = _LEADING_INT.match(text or "")
    return int(match.group(1)) if match else None


def _policies(value: str) -> dict[tuple[str, int | None], Quota]:
    """``RateLimit-Policy``, keyed by policy name (-08+) or by limit (-07, unnamed)."""
    quotas: dict[tuple[str, int | None], Quota] = {}
    for item in _sf_list(value):
        window = _integer(item.params.get("w"))
        if isinstance(item.value, str):
            quota = Quota("RateLimit-Policy", item.value, _integer(item.params.get("q")), window)
            quotas.setdefault((item.value, None), quota)
        elif (limit := _integer(item.value)) is not None:
            quotas.setdefault(("", limit), Quota("RateLimit-Policy", limit=limit, window_s=window))
    return quotas


def _current(value: str, now: float | None) -> dict[tuple[str, int | None], Quota]:
    """``RateLimit``: a -07 Dictionary (``limit=5, remaining=0, reset=54``) or a -08+ List."""
    if members := {name: int(n) for name, n in _DICT_MEMBER.findall(value)}:
        limit = members.get("limit")
        reset = _reset(members.get("reset"), now)
        quota = Quota("RateLimit", None, limit, None, members.get("remaining"), reset)
        return {("", limit): quota}
    return {
        (item.value, None): Quota(
            "RateLimit",
            item.value,
            remaining=_integer(item.params.get("r")),
            reset_s=_reset(_integer(item.params.get("t")), now),
        )
        for item in _sf_list(value)
        if isinstance(item.value, str)
    }


def _fields(headers: Mapping[str, str], prefix: str, source: str, now: float | None) -> Quota:
    """``RateLimit-Limit``/``-Remaining``/``-Reset`` or ``X-RateLimit-*``: leading integers."""
    limit = headers.get(prefix + "limit") or ""
    window = _WINDOW.search(limit)
    return Quota(
        source,
        limit=_leading(limit.split(",")[0]),
        window_s=int(window.group(1)) if window else None,
        remaining=_leading(headers.get(prefix + "remaining")),
        reset_s=_reset(_leading(headers.get(prefix + "reset")), now),
    )


def advertised_quotas(
    headers: Mapping[str, str], *, now_epoch: float | None = None
) -> tuple[Quota, ...]:
    """Every quota the headers advertise, in each syntax the IETF drafts and the field use:

    - ``RateLimit-Policy: "default";q=5;w=60`` with ``RateLimit: "default";r=0;t=54``
      (draft-ietf-httpapi-ratelimit-headers-08 and later: structured-field Lists joined by
      policy name; ``q`` quota, ``w`` window, ``r`` remaining, ``t`` reset seconds);
    - ``RateLimit-Policy: 5;w=60`` with ``RateLimit: limit=5, remaining=0, reset=54`` (-07);
    - ``RateLimit-Limit``/``-Remaining``/``-Reset`` (up to -06) and ``X-RateLimit-*``,
      whose ``-Reset`` may be an epoch, counted from ``now_epoch`` or the ``Date`` header.
    """
    headers = {k.lower(): v for k, v in headers.items()}
    now = now_epoch if now_epoch is not None else _date(headers)
    quotas = _policies(headers.get("ratelimit-policy", ""))
    for key, found in _current(headers.get("ratelimit", ""), now).items():
        known = quotas.get(key)
        quotas[key] = (
            found
            if known is None
            else replace(known, remaining=found.remaining, reset_s=found.reset_s)
        )
    for prefix, source in (("ratelimit-", "RateLimit-Limit"), ("x-ratelimit-", "X-RateLimit-*")):
        if any(prefix + name in headers for name in ("limit", "remaining", "reset")):
            quotas[(source, None)] = _fields(headers, prefix, source, now)
    return tuple(quotas.values())


def advertised_limit(headers: Mapping[str, str]) -> int | None:
    """The first limit the headers advertise (see :func:`advertised_quotas`), if any."""
    return next((q.limit for q in advertised_quotas(headers) if q.limit is not None), None)


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
    first = burst.first_429
    if first is None:
        findings.append(NOT_ENFORCED(f"{measured} (statuses: {_statuses(burst)})", url=url))
        return findings
    accepted = first.index - 1
    if accepted < spec.limit:
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
