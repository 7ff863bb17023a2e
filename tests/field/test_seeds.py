"""The seeds' literal configurations through the pure checks, with the verdict both ways.

The seeds are five deployment checklists users follow by hand (/work/shared/seeds/); the
vectors are in :mod:`tests.field.seed_vectors`, each value cited by file and line. A vector
passes when its check returns exactly the failing ids (LOW and above) and the advice ids (INFO)
it names: a correct configuration names none, a broken one the id that must fire, and a seed
the tool deliberately disagrees with the id the documentation's "Where a checklist and the tool
disagree" section tells teams how to accept.

Where the tool is wrong about a seed, the vector states today's verdict and a strict xfail
states the right one: fixing the check turns the xfail into a failure that asks for the vector
to be updated.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import httpx
import pytest

from pytest_prodready.checks import caching, cookies, cors, csp, headers, health, pages, ratelimit
from pytest_prodready.checks import redirect as redirect_check
from pytest_prodready.checks.pagefacts import csp_headers, is_api
from pytest_prodready.checks.ratelimit import Burst, Sample
from pytest_prodready.core.catalogue import catalogue
from pytest_prodready.core.findings import Finding, Severity, format_findings
from tests.field.seed_vectors import (
    LITERALS,
    SB_COOKIE,
    SEEDS,
    VECTORS,
    Cors,
    Guarded,
    Health,
    Limiter,
    Page,
    Probe,
    Protected,
    Redirect,
    Vector,
)

ROOT = Path(__file__).resolve().parents[2]
SEEDS_DIR = Path(os.environ.get("PRODREADY_SEEDS", "/work/shared/seeds"))
# Time between two requests of a burst: any small figure, the checks only order them.
STEP_S = 0.05


class Gap(NamedTuple):
    """A broken state of a seed the tool misses: the ids a fixed check would return."""

    ids: frozenset[str]
    why: str


# Vectors whose correct configuration gets a failing finding that is the tool's fault; the
# vector asserts today's verdict, test_tool_defect_fixed the right one (strict xfail). None
# today: a limiter the probe cannot see (seeds 001 and 003) is a documented disagreement.
TOOL_DEFECTS: dict[str, str] = {}
# Vectors of a broken state the tool passes; the vector asserts today's (empty) verdict.
TOOL_GAPS: dict[str, Gap] = {}


def ids_by_weight(findings: list[Finding]) -> tuple[frozenset[str], frozenset[str]]:
    """(failing ids: LOW and above, advice ids: INFO)."""
    failing = frozenset(f.id for f in findings if f.severity >= Severity.LOW)
    return failing, frozenset(f.id for f in findings if f.severity < Severity.LOW)


# --- From plain facts to the checks' inputs, as the suites gather them -------------------------


def response(page: Page) -> httpx.Response:
    request_headers = {"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.e30.c2ln"}
    request = httpx.Request("GET", page.url, headers=request_headers if page.authorization else {})
    return httpx.Response(
        200,
        headers=[("Content-Type", page.content_type), *page.headers],
        text=page.body,
        request=request,
    )


def burst(limiter: Limiter) -> Burst:
    """What probes.ratelimit.burst records: requests until the first 429 or the cap."""
    spec = limiter.spec
    samples: list[Sample] = []
    for index in range(1, spec.cap + 1):
        if index <= limiter.allows:
            samples.append(Sample(index, limiter.accepted, index * STEP_S))
        else:
            samples.append(Sample(index, 429, index * STEP_S, dict(limiter.on_429)))
            break
    return Burst(spec, tuple(samples), limiter.url)


def judge_page(check: str, page: Page) -> list[Finding]:
    answer = response(page)
    if check == "headers":
        return headers.evaluate(answer, api=is_api(answer))
    if check == "csp":
        enforced, report_only = csp_headers(answer)
        return csp.evaluate_response(
            enforced,
            report_only,
            page_url=page.url,
            api=is_api(answer),
            x_frame_options=answer.headers.get("x-frame-options"),
        )
    if check == "cookies":
        return cookies.evaluate(answer)
    if check == "caching":
        return caching.evaluate(answer)
    raise ValueError(f"no page check {check!r}")


def judge_health(facts: Health) -> list[Finding]:
    extra = [] if facts.cache_control is None else [("Cache-Control", facts.cache_control)]
    answer = httpx.Response(
        200,
        headers=[("Content-Type", "application/json"), *extra],
        content=facts.body.encode(),
        request=httpx.Request("GET", facts.url),
    )
    return health.evaluate(facts.spec, [answer], [STEP_S])


def judge_rate_limit(limiter: Limiter) -> list[Finding]:
    """The suite's two tests on one burst: enforcement, then the reset (or why not)."""
    measured = burst(limiter)
    findings = ratelimit.evaluate(measured)
    first = measured.first_429
    if first is None:
        return findings
    wait = ratelimit.reset_wait_s(first, limiter.spec)
    if wait > limiter.spec.max_reset_wait_s:
        return findings + ratelimit.reset_unverified(measured, wait)
    after = Sample(len(measured.samples) + 1, limiter.after_wait, 0.0)
    return findings + ratelimit.evaluate_reset(measured, wait, after)


def judge_probe(probe: Probe) -> list[Finding]:
    samples: list[Sample] = []
    for index in range(1, probe.requests + 1):
        status = 200 if index <= probe.allows else 429
        samples.append(Sample(index, status, index * probe.within_s / (probe.requests + 1)))
        if status == 429:
            break
    return ratelimit.none_observed(samples, probe.url, probe.within_s)


def judge_cors(policy: Cors) -> list[Finding]:
    """probes.cors.probe's eight requests: each hostile origin, as a GET and a preflight."""
    probes = []
    for origin in cors.hostile_origins(policy.host):
        allowed = policy.mode == "fixed" or origin in policy.origins
        acao = policy.origins[0] if policy.mode == "fixed" else origin
        for preflight in (False, True):
            sent: list[tuple[str, str]] = []
            if allowed:
                sent.append(("Access-Control-Allow-Origin", acao))
                if policy.credentials:
                    sent.append(("Access-Control-Allow-Credentials", "true"))
            if preflight:
                sent += policy.extra
            request = httpx.Request(
                "OPTIONS" if preflight else "GET",
                f"https://{policy.host}/api/",
                headers={"Origin": origin},
            )
            answer = httpx.Response(204 if preflight else 200, headers=sent, request=request)
            probes.append(cors.CorsProbe(origin, answer, preflight))
    return cors.evaluate(probes, allowed_origins=policy.declared)


def judge_protected(facts: Protected) -> list[Finding]:
    sent = {} if facts.location is None else {"Location": facts.location}
    answer = httpx.Response(facts.status, headers=sent, request=httpx.Request("GET", facts.url))
    return pages.evaluate_protected(answer, login_path=facts.login_path)


def judge_guarded(facts: Guarded) -> list[Finding]:
    answer = httpx.Response(facts.status, request=httpx.Request(facts.spec.method, facts.url))
    return pages.evaluate_guarded(facts.spec, answer)


def judge_redirect(facts: Redirect) -> list[Finding]:
    return redirect_check.evaluate(list(facts.hops), https_url=facts.https_url)


JUDGES: dict[type, Callable[..., list[Finding]]] = {
    Health: judge_health,
    Limiter: judge_rate_limit,
    Probe: judge_probe,
    Cors: judge_cors,
    Protected: judge_protected,
    Guarded: judge_guarded,
    Redirect: judge_redirect,
}
# Which check each kind of facts feeds (a Page feeds four).
CHECKS: dict[type, frozenset[str]] = {
    Page: frozenset({"headers", "csp", "cookies", "caching"}),
    Health: frozenset({"health"}),
    Limiter: frozenset({"ratelimit"}),
    Probe: frozenset({"ratelimit-probe"}),
    Cors: frozenset({"cors"}),
    Protected: frozenset({"protected"}),
    Guarded: frozenset({"guarded"}),
    Redirect: frozenset({"redirect"}),
}


def judge(vector: Vector) -> list[Finding]:
    if isinstance(vector.facts, Page):
        return judge_page(vector.check, vector.facts)
    return JUDGES[type(vector.facts)](vector.facts)


BY_ID = {v.id: v for v in VECTORS}


def params(ids: list[str] | None = None) -> list[object]:
    chosen = VECTORS if ids is None else [BY_ID[i] for i in ids]
    return [pytest.param(v, id=v.id) for v in chosen]


# --- The verdicts ------------------------------------------------------------------------------


@pytest.mark.parametrize("vector", params())
def test_seed_vector(vector: Vector) -> None:
    findings = judge(vector)
    assert ids_by_weight(findings) == (vector.fails, vector.advice), format_findings(findings)


def _disagreements() -> str:
    """The findings page's "Where a checklist and the tool disagree" paragraph and its bullets."""
    readme = (ROOT / "docs" / "findings.md").read_text(encoding="utf-8")
    start = readme.index("**Where a checklist and the tool disagree.**")
    return readme[start : readme.index("\n## ", start)]


@pytest.mark.parametrize("vector", params([v.id for v in VECTORS if v.readme]))
def test_readme_names_the_disagreement(vector: Vector) -> None:
    """The tool's verdict on the seed is the one the docs state, with its severity, and a
    failing one comes with the accept entry a team that weighed it writes."""
    assert vector.readme is not None
    finding = next(f for f in judge(vector) if f.id == vector.readme)
    section = _disagreements()
    assert f"`{finding.id}` ({finding.severity})" in section
    if finding.severity >= Severity.LOW:
        assert re.search(rf'^\s*id = "{re.escape(finding.id)}"$', section, re.MULTILINE)


@pytest.mark.parametrize(
    "vector",
    [
        pytest.param(BY_ID[i], id=i, marks=pytest.mark.xfail(strict=True, reason=why))
        for i, why in TOOL_DEFECTS.items()
    ],
)
def test_tool_defect_fixed(vector: Vector) -> None:
    """The right verdict on a correct seed configuration: nothing failing."""
    failing, _ = ids_by_weight(judge(vector))
    assert not failing


@pytest.mark.parametrize(
    "vector",
    [
        pytest.param(BY_ID[i], id=i, marks=pytest.mark.xfail(strict=True, reason=gap.why))
        for i, gap in TOOL_GAPS.items()
    ],
)
def test_tool_gap_fixed(vector: Vector) -> None:
    """The right verdict on a broken seed state the tool misses today."""
    failing, _ = ids_by_weight(judge(vector))
    assert TOOL_GAPS[vector.id].ids <= failing


# --- The vectors themselves --------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_literals_are_verbatim(seed: str) -> None:
    """Every value cited from ``seed`` still stands on the cited lines."""
    path = SEEDS_DIR / seed
    if not path.is_file():
        pytest.skip(f"{path} is not here (set PRODREADY_SEEDS to the seeds' directory)")
    lines = path.read_text(encoding="utf-8").split("\n")
    cited = [lit for lit in LITERALS if lit.seed == seed]
    assert cited, f"nothing cited from {seed}"
    missing = [
        f"{seed}:{lit.first}-{lit.last}: {quote!r}"
        for lit in cited
        for quote in lit.quotes
        if quote not in "\n".join(lines[lit.first - 1 : lit.last])
    ]
    assert not missing, "\n".join(missing)


def test_vectors_are_well_formed() -> None:
    ids = [v.id for v in VECTORS]
    assert len(ids) == len(set(ids)), "duplicate vector ids"
    assert all(re.fullmatch(r"seed00[0-4]-[a-z0-9]+(-[a-z0-9]+)*", i) for i in ids)
    known = catalogue()
    for v in VECTORS:
        assert v.check in CHECKS[type(v.facts)], f"{v.id}: {v.check} does not read these facts"
        unknown = (v.fails | v.advice) - set(known)
        assert not unknown, f"{v.id}: not in the catalogue: {sorted(unknown)}"
        assert all(known[i].severity >= Severity.LOW or i in v.advice for i in v.fails | v.advice)
    assert set(TOOL_DEFECTS) <= set(ids)
    assert set(TOOL_GAPS) <= set(ids)


@pytest.mark.parametrize(
    "name",
    [
        "auth-token",  # 001:547, the middleware's session cookie
        SB_COOKIE.split("=", 1)[0],  # @supabase/ssr's session cookie (000:1140, 004:131)
        SB_COOKIE.split("=", 1)[0] + ".0",  # its first chunk, past 3180 bytes
    ],
)
def test_seed_session_cookies_are_recognised(name: str) -> None:
    """Session checks apply to the seeds' cookies by name alone (no session_cookies setting)."""
    assert cookies.is_session_cookie(name)
