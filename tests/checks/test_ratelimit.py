"""Rate-limit findings on plain bursts: every id both ways, the header grammars, the figure,
and the burst's bounds (``limit + margin``, never more than ``limit + 10``)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import httpx
import pytest

from pytest_prodready.checks import ratelimit
from pytest_prodready.checks.ratelimit import Burst, Quota, Sample
from pytest_prodready.config import RateLimitSpec
from pytest_prodready.core.findings import CATALOGUE, Finding, Rule
from pytest_prodready.probes.ratelimit import burst as send_burst

IDS = {
    "ratelimit.not-enforced",
    "ratelimit.too-early",
    "ratelimit.too-late",
    "ratelimit.no-retry-after",
    "ratelimit.headers-inconsistent",
    "ratelimit.error-status",
    "ratelimit.no-reset",
    "ratelimit.inconclusive",
    "ratelimit.reset-unverified",
    "ratelimit.none-observed",
}
URL = "https://app.test/api/auth/login"
SPEC = RateLimitSpec("login", "/api/auth/login", limit=5, window_s=60)
DATE = "Wed, 21 Oct 2015 07:27:06 GMT"
DATE_PLUS_54 = "Wed, 21 Oct 2015 07:28:00 GMT"

Headers = Callable[[int, int], Mapping[str, str]]


def statuses(first_429: int | None, *, total: int = 8, accepted: int = 401) -> list[int]:
    """``accepted`` until ``first_429`` (1-based), then that 429 and nothing after it."""
    if first_429 is None:
        return [accepted] * total
    return [accepted] * (first_429 - 1) + [429]


def make(
    codes: Sequence[int], headers: Headers | None = None, *, spec: RateLimitSpec = SPEC
) -> Burst:
    samples = tuple(
        Sample(i, code, i * 0.01, headers(i, code) if headers else {})
        for i, code in enumerate(codes, 1)
    )
    return Burst(spec, samples, URL)


def on_429(**fields: str) -> Headers:
    """Headers (``Retry_After`` for ``Retry-After``) on the 429 only."""
    named = {k.replace("_", "-"): v for k, v in fields.items()}
    return lambda i, code: named if code == 429 else {}


def retry_54(i: int, code: int) -> Mapping[str, str]:
    return {"Retry-After": "54"} if code == 429 else {}


def ietf(
    *, q: int = 5, w: int = 60, remaining: Callable[[int], int] = lambda i: max(5 - i, 0)
) -> Headers:
    """draft-ietf-httpapi-ratelimit-headers-08+: structured RateLimit-Policy and RateLimit."""

    def headers(i: int, code: int) -> Mapping[str, str]:
        return {
            "RateLimit-Policy": f'"default";q={q};w={w}',
            "RateLimit": f'"default";r={remaining(i)};t=54',
        }

    return headers


def draft_07(i: int, code: int) -> Mapping[str, str]:
    """What the demo sends: -07's RateLimit-Policy item and RateLimit dictionary."""
    return {
        "ratelimit-policy": "5;w=60",
        "ratelimit": f"limit=5, remaining={max(5 - i, 0)}, reset=54",
    }


def x_ratelimit(limit: int = 5) -> Headers:
    return lambda i, code: {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(max(limit - i, 0)),
        "X-RateLimit-Reset": "54",
    }


def legacy(i: int, code: int) -> Mapping[str, str]:
    return {
        "RateLimit-Limit": "5, 5;w=60",
        "RateLimit-Remaining": str(max(5 - i, 0)),
        "RateLimit-Reset": "54",
    }


def both(*parts: Headers) -> Headers:
    return lambda i, code: {k: v for part in parts for k, v in part(i, code).items()}


def judge(burst: Burst, after: int | None = None) -> list[Finding]:
    """``evaluate``, or with ``after`` the reset check's status once Retry-After has passed
    (-1: the wait the 429 asks for, judged against the policy's max_reset_wait_s; -2: a
    burst of safe reads judged for any sign of a limiter)."""
    if after == -1:
        first = burst.first_429
        assert first is not None
        wait = ratelimit.reset_wait_s(first, burst.spec)
        over = wait > burst.spec.max_reset_wait_s
        return ratelimit.reset_unverified(burst, wait) if over else []
    if after == -2:
        return ratelimit.none_observed(list(burst.samples), burst.url, 10)
    if after is None:
        return ratelimit.evaluate(burst)
    return ratelimit.evaluate_reset(burst, 54.0, Sample(len(burst.samples) + 1, after, 0.0))


def spent(budget: int) -> Headers:
    """X-RateLimit headers of a limiter whose budget earlier traffic partly spent."""
    return lambda i, code: {
        "X-RateLimit-Limit": "5",
        "X-RateLimit-Remaining": str(max(budget - i, 0)),
        "Retry-After": "54",
    }


def lockout(i: int, code: int) -> Mapping[str, str]:
    """A seed's login policy: a 15-minute block after the limit."""
    return {"Retry-After": "900"} if code == 429 else {}


def ids(findings: list[Finding]) -> set[str]:
    return {f.id for f in findings}


def test_every_id_is_declared_in_the_catalogue() -> None:
    declared = {v.id: v for v in vars(ratelimit).values() if isinstance(v, Rule)}
    assert set(declared) == IDS
    assert all(CATALOGUE[id_] is declared_rule for id_, declared_rule in declared.items())


NOT_ENFORCED = "ratelimit.not-enforced"
TOO_EARLY = "ratelimit.too-early"
TOO_LATE = "ratelimit.too-late"
NO_RETRY = "ratelimit.no-retry-after"
INCONSISTENT = "ratelimit.headers-inconsistent"
ERROR = "ratelimit.error-status"
NO_RESET = "ratelimit.no-reset"
INCONCLUSIVE = "ratelimit.inconclusive"
RESET_UNVERIFIED = "ratelimit.reset-unverified"
NONE_OBSERVED = "ratelimit.none-observed"
TOLERANT = replace(SPEC, tolerance=1)
PARALLEL = replace(SPEC, concurrency=2)

# (burst, the reset check's status or None, id, expected present)
CASES: list[Any] = [
    pytest.param(make(statuses(None)), None, NOT_ENFORCED, True, id="401s-only"),
    pytest.param(make(statuses(None, accepted=200)), None, NOT_ENFORCED, True, id="200s-only"),
    pytest.param(make(statuses(6), retry_54), None, NOT_ENFORCED, False, id="429-at-6"),
    pytest.param(make(statuses(3), retry_54), None, TOO_EARLY, True, id="429-at-3"),
    pytest.param(make(statuses(1), retry_54), None, TOO_EARLY, True, id="429-at-once"),
    pytest.param(make(statuses(6), retry_54), None, TOO_EARLY, False, id="exactly-limit"),
    pytest.param(make(statuses(7), retry_54), None, TOO_LATE, True, id="one-over"),
    pytest.param(
        make(statuses(7), retry_54, spec=TOLERANT), None, TOO_LATE, False, id="within-tolerance"
    ),
    pytest.param(
        make(statuses(8), retry_54, spec=TOLERANT), None, TOO_LATE, True, id="past-tolerance"
    ),
    pytest.param(make(statuses(6), retry_54), None, TOO_LATE, False, id="on-time"),
    pytest.param(make(statuses(6)), None, NO_RETRY, True, id="bare-429"),
    pytest.param(
        make(statuses(6), on_429(Retry_After="soon")), None, NO_RETRY, True, id="invalid-retry"
    ),
    pytest.param(
        make(statuses(6), on_429(Retry_After="-1")), None, NO_RETRY, True, id="negative-retry"
    ),
    pytest.param(make(statuses(6), on_429(Retry_After="")), None, NO_RETRY, True, id="empty"),
    pytest.param(make(statuses(6), retry_54), None, NO_RETRY, False, id="retry-seconds"),
    pytest.param(
        make(statuses(6), on_429(Retry_After=DATE_PLUS_54, Date=DATE)),
        None,
        NO_RETRY,
        False,
        id="retry-http-date",
    ),
    pytest.param(
        make(statuses(6), on_429(Retry_After=DATE_PLUS_54)),
        None,
        NO_RETRY,
        False,
        id="retry-past-http-date",
    ),
    pytest.param(make(statuses(6), ietf()), None, NO_RETRY, False, id="ietf-structured"),
    pytest.param(
        make(statuses(6), on_429(RateLimit_Policy='"default";q=5;w=60')),
        None,
        NO_RETRY,
        False,
        id="ietf-policy-only",
    ),
    pytest.param(make(statuses(6), draft_07), None, NO_RETRY, False, id="ietf-draft-07"),
    pytest.param(make(statuses(6), x_ratelimit()), None, NO_RETRY, False, id="x-ratelimit"),
    pytest.param(
        make(statuses(6), on_429(X_RateLimit_Reset="54")), None, NO_RETRY, False, id="x-reset"
    ),
    pytest.param(make(statuses(6), legacy), None, NO_RETRY, False, id="ratelimit-limit"),
    pytest.param(make(statuses(6), ietf()), None, INCONSISTENT, False, id="ietf-counts-down"),
    pytest.param(make(statuses(6), draft_07), None, INCONSISTENT, False, id="draft-07-agrees"),
    pytest.param(make(statuses(6), x_ratelimit()), None, INCONSISTENT, False, id="x-agrees"),
    pytest.param(make(statuses(6), legacy), None, INCONSISTENT, False, id="legacy-agrees"),
    pytest.param(
        make(
            statuses(6),
            lambda i, code: {
                "RateLimit-Policy": '"burst";q=5;w=60, "daily";q=1000;w=86400',
                "RateLimit": f'"burst";r={max(5 - i, 0)};t=54, "daily";r={1000 - i};t=9000',
            },
        ),
        None,
        INCONSISTENT,
        False,
        id="two-policies",
    ),
    pytest.param(
        make(statuses(6), both(ietf(), x_ratelimit(1000))),
        None,
        INCONSISTENT,
        False,
        id="gateway-limit-beside-ietf",
    ),
    pytest.param(
        make(statuses(6), ietf(q=10, remaining=lambda i: max(5 - i, 0))),
        None,
        INCONSISTENT,
        True,
        id="ietf-quota-differs",
    ),
    pytest.param(make(statuses(6), ietf(w=3600)), None, INCONSISTENT, True, id="window-differs"),
    pytest.param(
        make(statuses(6), both(retry_54, x_ratelimit(100))),
        None,
        INCONSISTENT,
        True,
        id="x-limit-differs",
    ),
    pytest.param(
        make(statuses(6), ietf(remaining=lambda i: 4)), None, INCONSISTENT, True, id="stuck"
    ),
    pytest.param(
        make(statuses(6), ietf(remaining=lambda i: 7 - i)),
        None,
        INCONSISTENT,
        True,
        id="429-after-remaining-2",
    ),
    pytest.param(
        make(statuses(6), ietf(remaining=lambda i: 3 if i == 6 else max(5 - i, 0))),
        None,
        INCONSISTENT,
        True,
        id="429-says-remaining-3",
    ),
    pytest.param(
        make(
            statuses(6), ietf(remaining=lambda i: {1: 3, 2: 4}.get(i, max(5 - i, 0))), spec=PARALLEL
        ),
        None,
        INCONSISTENT,
        False,
        id="parallel-out-of-order",
    ),
    pytest.param(
        Burst(
            replace(SPEC, window_s=1),
            (
                Sample(
                    1,
                    200,
                    0.1,
                    {
                        "x-ratelimit-limit": "5",
                        "x-ratelimit-remaining": "4",
                        "x-ratelimit-reset": "1",
                    },
                ),
                Sample(
                    2,
                    200,
                    1.2,
                    {
                        "x-ratelimit-limit": "5",
                        "x-ratelimit-remaining": "4",
                        "x-ratelimit-reset": "1",
                    },
                ),
            ),
            URL,
        ),
        None,
        INCONSISTENT,
        False,
        id="window-rolled-over",
    ),
    pytest.param(
        make([401, 401, 503, 401, 401, 429], retry_54), None, ERROR, True, id="503-mid-burst"
    ),
    pytest.param(make(statuses(None, accepted=500)), None, ERROR, True, id="500s-only"),
    pytest.param(make(statuses(6), retry_54), None, ERROR, False, id="401s-then-429"),
    pytest.param(make(statuses(6), retry_54), 429, NO_RESET, True, id="still-429"),
    pytest.param(make(statuses(6), retry_54), 401, NO_RESET, False, id="accepted-again"),
    pytest.param(make(statuses(6), retry_54), 200, NO_RESET, False, id="ok-again"),
    # A budget earlier traffic spent: the limiter kept to what it advertised (defect 6).
    pytest.param(make(statuses(3), spent(2)), None, INCONCLUSIVE, True, id="spent-kept"),
    pytest.param(make(statuses(3), spent(2)), None, TOO_EARLY, False, id="spent-not-early"),
    pytest.param(make(statuses(2), spent(4)), None, TOO_EARLY, True, id="early-even-so"),
    pytest.param(make(statuses(6), spent(5)), None, INCONCLUSIVE, False, id="full-budget"),
    pytest.param(
        replace(make([429], retry_54), spent_wait_s=900.0), None, INCONCLUSIVE, True, id="locked"
    ),
    # A lockout longer than the wait allowed is reported as unverified, not broken (defect 7).
    pytest.param(make(statuses(6), lockout), -1, RESET_UNVERIFIED, True, id="lockout-900"),
    pytest.param(make(statuses(6), retry_54), -1, RESET_UNVERIFIED, False, id="retry-54"),
    # No policy declared: a burst of a safe read shows whether any limiter is there (8).
    pytest.param(make([200] * 60), -2, NONE_OBSERVED, True, id="nothing-limits"),
    pytest.param(make([200] * 60, x_ratelimit(100)), -2, NONE_OBSERVED, False, id="headers"),
    pytest.param(make([200] * 30 + [429]), -2, NONE_OBSERVED, False, id="a-429"),
]


@pytest.mark.parametrize(("burst", "after", "rule_id", "expected"), CASES)
def test_rule(burst: Burst, after: int | None, rule_id: str, expected: bool) -> None:
    findings = judge(burst, after)
    assert (rule_id in ids(findings)) is expected, findings


def test_every_id_is_tested_both_ways() -> None:
    tested = {(case.values[2], case.values[3]) for case in CASES}
    for rule_id in IDS:
        assert (rule_id, True) in tested, rule_id
        assert (rule_id, False) in tested, rule_id


def test_a_healthy_limiter_has_no_findings() -> None:
    for headers in (retry_54, ietf(), draft_07, x_ratelimit(), legacy):
        assert judge(make(statuses(6), both(retry_54, headers))) == []


# --- The figure and the evidence ----------------------------------------------------------


@pytest.mark.parametrize(
    ("burst", "expected"),
    [
        pytest.param(
            make(statuses(6), retry_54),
            "login: declared 5/60s, first 429 at request 6, Retry-After 54 s",
            id="seconds",
        ),
        pytest.param(
            make(statuses(6), on_429(Retry_After=DATE_PLUS_54, Date=DATE)),
            "login: declared 5/60s, first 429 at request 6, Retry-After 54 s",
            id="http-date-from-the-response-date",
        ),
        pytest.param(
            make(statuses(6), lambda i, code: {"RateLimit": '"default";r=0;t=54'}),
            "login: declared 5/60s, first 429 at request 6, no Retry-After (advertised reset 54 s)",
            id="ietf-reset-only",
        ),
        pytest.param(
            make(statuses(4)),
            "login: declared 5/60s, first 429 at request 4, no Retry-After",
            id="nothing-advertised",
        ),
        pytest.param(
            make(statuses(None)), "login: declared 5/60s, no 429 in 8 requests", id="no-429"
        ),
        pytest.param(
            make(statuses(3), retry_54, spec=replace(SPEC, limit=2, window_s=2.5)),
            "login: declared 2/2.5s, first 429 at request 3, Retry-After 54 s",
            id="fractional-window",
        ),
    ],
)
def test_figure(burst: Burst, expected: str) -> None:
    assert ratelimit.figure(burst) == expected


def evidence(burst: Burst, rule_id: str) -> str:
    (finding,) = [f for f in judge(burst) if f.id == rule_id]
    assert finding.url == URL
    return finding.evidence


FIGURE_6 = "login: declared 5/60s, first 429 at request 6"


def test_not_enforced_evidence_counts_statuses() -> None:
    assert evidence(make([401] * 6 + [200] * 2), NOT_ENFORCED) == (
        "login: declared 5/60s, no 429 in 8 requests (statuses: 401 x6, 200 x2)"
    )


def test_too_early_and_too_late_evidence() -> None:
    assert evidence(make(statuses(3), retry_54), TOO_EARLY).endswith(": only 2 accepted")
    assert evidence(make(statuses(8), retry_54, spec=TOLERANT), TOO_LATE) == (
        "login: declared 5/60s, first 429 at request 8, Retry-After 54 s: 7 accepted (tolerance 1)"
    )


def test_no_retry_after_evidence_names_what_was_wrong() -> None:
    text = evidence(make(statuses(6), on_429(Retry_After="soon")), NO_RETRY)
    assert text.startswith(
        f"{FIGURE_6}, no Retry-After; Retry-After 'soon' is neither seconds nor an HTTP-date "
        "and none of ratelimit, ratelimit-policy, "
    )
    assert evidence(make(statuses(6)), NO_RETRY).startswith(
        f"{FIGURE_6}, no Retry-After; no Retry-After and none of ratelimit,"
    )


@pytest.mark.parametrize(
    ("headers", "problem"),
    [
        pytest.param(
            ietf(q=10),
            "request 1 advertises 10/60s (RateLimit-Policy 'default')",
            id="quota",
        ),
        pytest.param(
            lambda i, code: {"X-RateLimit-Limit": "100"},
            "request 1 advertises 100 (X-RateLimit-*)",
            id="x-limit",
        ),
        pytest.param(
            ietf(remaining=lambda i: 4),
            "remaining does not count down (4 at #1, 4 at #2); "
            "the 429 at #6 advertises 4 remaining",
            id="stuck",
        ),
        pytest.param(
            ietf(remaining=lambda i: 7 - i),
            "request 5 advertised 2 remaining, then a 429; the 429 at #6 advertises 1 remaining",
            id="early-429",
        ),
    ],
)
def test_inconsistent_evidence(headers: Headers, problem: str) -> None:
    text = evidence(make(statuses(6), both(retry_54, headers)), INCONSISTENT)
    assert text == f"{FIGURE_6}, Retry-After 54 s; {problem}"


def test_error_status_evidence_lists_the_5xx() -> None:
    burst = make([401, 401, 503, 401, 502, 429], retry_54)
    assert evidence(burst, ERROR) == f"{FIGURE_6}, Retry-After 54 s; 5xx at #3: 503, #5: 502"


def test_no_reset_evidence_says_how_long_it_waited() -> None:
    (finding,) = judge(make(statuses(6), retry_54), after=429)
    assert finding.evidence == f"{FIGURE_6}, Retry-After 54 s; still 429 after waiting 54 s"


# --- Header grammars ------------------------------------------------------------------------

NOW = 1445412426.0  # DATE as an epoch


@pytest.mark.parametrize(
    ("value", "now", "expected"),
    [
        ("54", None, 54.0),
        (" 54 ", None, 54.0),
        ("0", None, 0.0),
        (DATE_PLUS_54, NOW, 54.0),
        ("Wed, 21 Oct 2015 07:28:00", NOW, 54.0),  # zone-less: still GMT, not local time
        ("Wednesday, 21-Oct-15 07:28:00 GMT", NOW, 54.0),  # RFC 850, obsolete but valid
        ("Wed, 21 Oct 2015 07:20:00 GMT", NOW, 0.0),  # already past
        ("-1", None, None),
        ("5.5", None, None),
        ("\u0665", None, None),  # a digit, but not an ASCII one
        ("soon", None, None),
        ("", None, None),
        (None, None, None),
    ],
)
def test_retry_after_s(value: str | None, now: float | None, expected: float | None) -> None:
    assert ratelimit.retry_after_s(value, now_epoch=now) == expected


def test_sample_reads_an_http_date_from_its_own_date_header() -> None:
    sample = Sample(6, 429, 0.1, {"Retry-After": DATE_PLUS_54, "Date": DATE})
    assert sample.headers == {"retry-after": DATE_PLUS_54, "date": DATE}
    assert sample.retry_after() == 54.0


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        pytest.param(
            {"RateLimit-Policy": '"default";q=5;w=60', "RateLimit": '"default";r=0;t=54'},
            [Quota("RateLimit-Policy", "default", 5, 60, 0, 54)],
            id="structured",
        ),
        pytest.param(
            {"RateLimit-Policy": "default;q=5;w=60"},
            [Quota("RateLimit-Policy", "default", 5, 60)],
            id="token-name",
        ),
        pytest.param(
            {"RateLimit-Policy": '"default";q=5;qu="requests";w=60;pk=:cHJvYmU=:'},
            [Quota("RateLimit-Policy", "default", 5, 60)],
            id="unit-and-partition-key",
        ),
        pytest.param(
            {"RateLimit-Policy": '"a,b";q=5;w=60'},
            [Quota("RateLimit-Policy", "a,b", 5, 60)],
            id="comma-in-name",
        ),
        pytest.param(
            {
                "RateLimit-Policy": '"burst";q=5;w=60, "daily";q=1000;w=86400',
                "RateLimit": '"burst";r=2;t=30',
            },
            [
                Quota("RateLimit-Policy", "burst", 5, 60, 2, 30),
                Quota("RateLimit-Policy", "daily", 1000, 86400),
            ],
            id="two-policies",
        ),
        pytest.param(
            {"RateLimit": '"default";r=0;t=54'},
            [Quota("RateLimit", "default", remaining=0, reset_s=54)],
            id="current-without-policy",
        ),
        pytest.param(
            {"RateLimit-Policy": "5;w=60", "RateLimit": "limit=5, remaining=0, reset=54"},
            [Quota("RateLimit-Policy", None, 5, 60, 0, 54)],
            id="draft-07",
        ),
        pytest.param(
            {
                "RateLimit-Policy": "100;w=60, 10000;w=86400",
                "RateLimit": "limit=100, remaining=50, reset=30",
            },
            [
                Quota("RateLimit-Policy", None, 100, 60, 50, 30),
                Quota("RateLimit-Policy", None, 10000, 86400),
            ],
            id="draft-07-two-policies",
        ),
        pytest.param(
            {"RateLimit-Limit": "5, 5;w=60", "RateLimit-Remaining": "0", "RateLimit-Reset": "54"},
            [Quota("RateLimit-Limit", None, 5, 60, 0, 54)],
            id="ratelimit-limit",
        ),
        pytest.param(
            {"X-RateLimit-Limit": "5", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "54"},
            [Quota("X-RateLimit-*", None, 5, None, 0, 54)],
            id="x-ratelimit",
        ),
        pytest.param(
            {"X-RateLimit-Limit": "60", "X-RateLimit-Reset": "1445412480", "Date": DATE},
            [Quota("X-RateLimit-*", None, 60, None, None, 54)],
            id="x-reset-epoch",
        ),
        pytest.param(
            {"X-RateLimit-Reset": "1445412480"},
            [Quota("X-RateLimit-*")],
            id="x-reset-epoch-without-date",
        ),
        pytest.param({"RateLimit-Policy": '"default";q=5 junk'}, [], id="not-structured"),
        pytest.param(
            {"RateLimit-Policy": '"default";q=5.5;w=60'},
            [Quota("RateLimit-Policy", "default", None, 60)],
            id="decimal-quota",
        ),
        pytest.param({"Retry-After": "54"}, [], id="none"),
    ],
)
def test_advertised_quotas(headers: dict[str, str], expected: list[Quota]) -> None:
    assert list(ratelimit.advertised_quotas(headers)) == expected


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"RateLimit-Policy": '"default";q=5;w=60'}, 5),
        ({"RateLimit-Policy": "5;w=60"}, 5),
        ({"RateLimit": "limit=5, remaining=0, reset=54"}, 5),
        ({"RateLimit-Limit": "5"}, 5),
        ({"x-ratelimit-limit": "5"}, 5),
        ({"RateLimit": '"default";r=0;t=54'}, None),
        ({}, None),
    ],
)
def test_advertised_limit(headers: dict[str, str], expected: int | None) -> None:
    assert ratelimit.advertised_limit(headers) == expected


# --- The burst's bounds ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("margin", "tolerance", "cap"),
    [(3, 0, 8), (1, 0, 6), (3, 2, 10), (10, 0, 15), (8, 5, 15), (10, 9, 15)],
)
def test_cap_is_limit_plus_margin_and_never_more_than_limit_plus_10(
    margin: int, tolerance: int, cap: int
) -> None:
    assert replace(SPEC, margin=margin, tolerance=tolerance).cap == cap


class Limiter:
    """A MockTransport handler refusing from request ``refuse_from`` on; counts what it got."""

    def __init__(self, refuse_from: int | None) -> None:
        self.refuse_from = refuse_from
        self.seen = 0
        self._lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.seen += 1
            n = self.seen
        if self.refuse_from is not None and n >= self.refuse_from:
            return httpx.Response(429, headers={"Retry-After": "54", "Date": DATE, "X-Other": "1"})
        return httpx.Response(401, headers={"RateLimit-Policy": '"default";q=5;w=60'})


def probe(limiter: Limiter, spec: RateLimitSpec) -> Burst:
    transport = httpx.MockTransport(limiter)
    with httpx.Client(transport=transport, base_url="https://app.test") as client:
        return send_burst(client, spec)


@pytest.mark.parametrize(
    ("spec", "refuse_from", "sent"),
    [
        pytest.param(SPEC, None, 8, id="no-429-stops-at-limit-plus-margin"),
        pytest.param(replace(SPEC, margin=10, tolerance=9), None, 15, id="hard-cap"),
        pytest.param(SPEC, 6, 6, id="stops-at-the-first-429"),
        pytest.param(replace(SPEC, concurrency=4), 6, 8, id="a-wave-in-flight-finishes"),
        pytest.param(replace(SPEC, concurrency=3, margin=2), None, 7, id="last-wave-capped"),
    ],
)
def test_probe_is_bounded(spec: RateLimitSpec, refuse_from: int | None, sent: int) -> None:
    limiter = Limiter(refuse_from)
    result = probe(limiter, spec)
    assert limiter.seen == sent
    assert [s.index for s in result.samples] == list(range(1, sent + 1))
    assert result.url == URL


def test_probe_keeps_the_rate_limit_headers_and_the_date() -> None:
    result = probe(Limiter(6), SPEC)
    first = result.first_429
    assert first is not None
    assert first.headers == {"retry-after": "54", "date": DATE}
    assert result.samples[0].headers == {"ratelimit-policy": '"default";q=5;w=60'}
    assert ratelimit.figure(result) == (
        "login: declared 5/60s, first 429 at request 6, Retry-After 54 s"
    )


class SpentLimiter:
    """A MockTransport limiter whose budget earlier traffic spent: 429 with Retry-After
    ``wait`` for the first ``spent`` requests, then a fresh window of 5."""

    def __init__(self, spent: int, wait: str) -> None:
        self.spent, self.wait, self.seen = spent, wait, 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen += 1
        if self.seen <= self.spent or self.seen > self.spent + 5:
            return httpx.Response(429, headers={"Retry-After": self.wait})
        return httpx.Response(401)


def test_probe_waits_out_a_spent_budget_once_then_bursts() -> None:
    limiter, slept = SpentLimiter(1, "2"), []
    transport = httpx.MockTransport(limiter)
    with httpx.Client(transport=transport, base_url="https://app.test") as client:
        result = send_burst(client, SPEC, sleep=slept.append)
    assert slept == [2.5]
    assert result.waited_s == 2
    assert [s.status for s in result.samples] == [401] * 5 + [429]
    assert ratelimit.evaluate(result) == []


def test_probe_does_not_wait_past_the_cap_and_says_so() -> None:
    limiter, slept = SpentLimiter(1, "900"), []
    transport = httpx.MockTransport(limiter)
    with httpx.Client(transport=transport, base_url="https://app.test") as client:
        result = send_burst(client, SPEC, sleep=slept.append)
    assert slept == []
    assert limiter.seen == 1
    assert result.spent_wait_s == 900
    [finding] = ratelimit.evaluate(result)
    assert finding.id == "ratelimit.inconclusive"
    assert "asking to wait 900 s, more than max_reset_wait_s 120 s" in finding.evidence
