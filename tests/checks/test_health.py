"""Health, release, pages and guarded-endpoint checks on plain responses."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from pytest_prodready.checks import health, pages
from pytest_prodready.config import GuardedEndpoint, HealthEndpoint, PageSpec, ReleaseSpec
from pytest_prodready.core.findings import Finding

URL = "https://app.test/api/health"


def response(
    status: int = 200,
    body: Any = None,
    *,
    text: str | None = None,
    headers: dict[str, str] | None = None,
    url: str = URL,
) -> httpx.Response:
    base = {"content-type": "application/json", "cache-control": "no-store"}
    content = text.encode() if text is not None else json.dumps(body).encode()
    return httpx.Response(
        status,
        headers={**base, **(headers or {})},
        content=content,
        request=httpx.Request("GET", url),
    )


def ids(findings: list[Finding]) -> list[str]:
    return sorted(f.id for f in findings)


HEALTHY = {"status": "ok", "components": {"db": "operational", "redis": {"status": "ok"}}}


def test_healthy_endpoint_has_no_findings() -> None:
    spec = HealthEndpoint(json={"status": "ok"}, max_latency_ms=500)
    assert health.evaluate(spec, [response(body=HEALTHY)], [0.01, 0.02, 0.03]) == []


@pytest.mark.parametrize(
    ("spec", "resp", "latencies", "expected"),
    [
        (HealthEndpoint(), response(503, {"status": "down"}), [], ["health.status"]),
        (
            HealthEndpoint(),
            response(text="OK", headers={"content-type": "text/plain"}),
            [],
            ["health.not-json"],
        ),
        (
            HealthEndpoint(),
            response(body={"status": "ok"}, headers={"content-type": "text/html"}),
            [],
            ["health.not-json"],
        ),
        (
            HealthEndpoint(json={"db": True}),
            response(body={"db": False}),
            [],
            ["health.body-mismatch"],
        ),
        (
            HealthEndpoint(),
            response(body={"status": "degraded"}),
            [],
            ["health.component-unhealthy"],
        ),
        (
            HealthEndpoint(components_ok=("operational",)),
            response(body={"components": [{"name": "redis", "status": "degraded"}]}),
            [],
            ["health.component-unhealthy"],
        ),
        (
            HealthEndpoint(max_latency_ms=100),
            response(body=HEALTHY),
            [0.05, 0.3, 0.4],
            ["health.slow"],
        ),
        (
            HealthEndpoint(),
            response(body=HEALTHY, headers={"cache-control": "max-age=60"}),
            [],
            ["health.cacheable"],
        ),
    ],
)
def test_each_health_finding(
    spec: HealthEndpoint, resp: httpx.Response, latencies: list[float], expected: list[str]
) -> None:
    assert ids(health.evaluate(spec, [resp], latencies)) == expected


def test_degraded_component_is_named() -> None:
    body = {"components": {"database": "operational", "redis": "degraded"}}
    [finding] = health.evaluate(HealthEndpoint(), [response(body=body)], [])
    assert "redis: 'degraded'" in finding.evidence


def test_latency_uses_the_median_not_the_worst_sample() -> None:
    spec = HealthEndpoint(max_latency_ms=100)
    assert health.evaluate(spec, [response(body=HEALTHY)], [0.05, 0.06, 2.0]) == []


VERSION = ReleaseSpec()


@pytest.mark.parametrize(
    ("resp", "expected", "found"),
    [
        (response(body={"version": "abc"}), "abc", []),
        (response(body={"version": "abc"}), None, []),
        (response(body={"version": "old"}), "abc", ["release.mismatch"]),
        (response(404, {"detail": "nope"}), None, ["release.unreadable"]),
        (response(body={"commit": "abc"}), "abc", ["release.unreadable"]),
        (response(text="<html>"), "abc", ["release.unreadable"]),
    ],
)
def test_release(resp: httpx.Response, expected: str | None, found: list[str]) -> None:
    assert ids(health.evaluate_release(VERSION, resp, expected=expected)) == found


def test_release_mismatch_prints_both_values() -> None:
    [finding] = health.evaluate_release(
        VERSION, response(body={"version": "1.4.1"}), expected="1.4.2"
    )
    assert finding.evidence == "expected '1.4.2', deployed '1.4.1'"


def page(status: int = 200, text: str = "<h1>Pricing</h1>", **headers: str) -> httpx.Response:
    return httpx.Response(
        status, headers=headers, text=text, request=httpx.Request("GET", "https://app.test/p")
    )


@pytest.mark.parametrize(
    ("spec", "resp", "ttfb", "found"),
    [
        (PageSpec("/p", contains="Pricing", max_ttfb_ms=800), page(), 0.2, []),
        (PageSpec("/p"), page(500), None, ["page.status"]),
        (PageSpec("/p"), page(302, location="/login"), None, ["page.status"]),
        (PageSpec("/p", contains="Checkout"), page(), None, ["page.marker-missing"]),
        (PageSpec("/p", max_ttfb_ms=100), page(), 0.25, ["page.slow"]),
    ],
)
def test_pages(spec: PageSpec, resp: httpx.Response, ttfb: float | None, found: list[str]) -> None:
    assert ids(pages.evaluate_page(spec, resp, ttfb)) == found


@pytest.mark.parametrize(
    ("resp", "found"),
    [
        (page(302, location="/login?next=/dashboard"), []),
        (page(303, location="https://auth.app.test/signin"), []),
        (page(401), []),
        (page(403), []),
        (page(200), ["page.protected-exposed"]),
        (page(302, location="/"), ["page.protected-bad-redirect"]),
        (page(500), ["page.status"]),
    ],
)
def test_protected_pages(resp: httpx.Response, found: list[str]) -> None:
    assert ids(pages.evaluate_protected(resp, login_path="/login")) == found


@pytest.mark.parametrize(
    ("status", "found"),
    [
        (400, []),
        (401, []),
        (403, []),
        (200, ["endpoint.unguarded"]),
        (204, ["endpoint.unguarded"]),
        (500, ["endpoint.unexpected-status"]),
        (404, ["endpoint.unexpected-status"]),
    ],
)
def test_guarded_endpoints(status: int, found: list[str]) -> None:
    spec = GuardedEndpoint("/api/webhooks/stripe")
    assert ids(pages.evaluate_guarded(spec, page(status))) == found


def test_json_nested_past_the_stack_is_not_json() -> None:
    deep = "[" * 100_000 + "]" * 100_000
    findings = health.evaluate(HealthEndpoint("/api/health"), [response(text=deep)], [0.01])
    assert ids(findings) == ["health.not-json"]
    release = health.evaluate_release(ReleaseSpec(), response(text=deep), expected=None)
    assert ids(release) == ["release.unreadable"]


def test_evidence_escapes_control_characters_and_says_when_the_body_was_cut() -> None:
    hostile = response(text="\x1b[2J\x1b]0;owned\x07 <html>", headers={"content-type": "text/html"})
    hostile.extensions["prodready_truncated"] = True
    (finding,) = [
        f
        for f in health.evaluate(HealthEndpoint("/api/health"), [hostile], [])
        if f.id == "health.not-json"
    ]
    assert "\x1b" not in finding.evidence
    assert "\\x1b[2J" in finding.evidence
    assert "cut at max_body_mb" in finding.evidence
    assert (
        "cut at"
        not in health.evaluate(HealthEndpoint("/api/health"), [response(text="<html>")], [])[
            0
        ].evidence
    )


def test_protected_page_redirecting_to_an_unparsable_location_is_named() -> None:
    redirect = response(
        302, text="", headers={"location": "http://[::1/login"}, url="https://app.test/dashboard"
    )
    (finding,) = pages.evaluate_protected(redirect, login_path="/login")
    assert finding.id == "page.protected-bad-redirect"
    assert "http://[::1/login" in finding.evidence


# Detailed health in the shapes real apps use (issue 14, defect 9). Each pair: the same shape
# healthy, then with one dependency down; the down one must be named, the healthy one silent.
SHAPES = {
    # The seeds' documented body (shared/seeds/004): flat string values beside metadata.
    "flat": (
        {
            "status": "operational",
            "database": "operational",
            "stripe": "operational",
            "version": "1.4.2",
            "timestamp": "2026-12-05T10:00:00Z",
            "uptime": "3d",
            "commit": "abc123",
        },
        {"status": "operational", "database": "down", "stripe": "operational"},
        "database",
    ),
    # Spring Boot Actuator /actuator/health.
    "actuator": (
        {"status": "UP", "components": {"db": {"status": "UP"}, "redis": {"status": "UP"}}},
        {"status": "UP", "components": {"db": {"status": "DOWN"}, "redis": {"status": "UP"}}},
        "db",
    ),
    # The health-check draft (application/health+json): checks map to lists of objects.
    "health+json": (
        {"status": "pass", "checks": {"postgres:connections": [{"status": "pass"}]}},
        {"status": "pass", "checks": {"postgres:connections": [{"status": "fail"}]}},
        "postgres:connections",
    ),
    # MicroProfile Health: a checks array.
    "microprofile": (
        {"status": "UP", "checks": [{"name": "database", "status": "UP"}]},
        {"status": "UP", "checks": [{"name": "database", "status": "DOWN"}]},
        "database",
    ),
    "services map": (
        {"status": "ok", "services": {"queue": "healthy", "email": {"state": "ok"}}},
        {"status": "ok", "services": {"queue": "unhealthy", "email": {"state": "ok"}}},
        "queue",
    ),
    "dependencies booleans": (
        {"status": "ok", "dependencies": {"redis": True}},
        {"status": "ok", "dependencies": {"redis": False}},
        "redis",
    ),
}


@pytest.mark.parametrize("shape", SHAPES)
def test_a_down_dependency_is_named_in_every_common_shape(shape: str) -> None:
    good, bad, name = SHAPES[shape]
    assert health.evaluate(HealthEndpoint(), [response(body=good)], []) == []
    found = health.evaluate(HealthEndpoint(), [response(body=bad)], [])
    assert ids(found) == ["health.component-unhealthy"]
    assert found[0].evidence.startswith(f"{name}: ")


@pytest.mark.parametrize(
    "body",
    [
        {"status": "ok", "message": "all good", "region": "eu-west-1", "env": "production"},
        {"status": "ok", "maintenance": False, "connections": 3, "build": "down-2024"},
        {"status": "warn", "checks": {"disk": [{"status": "warn"}]}},  # draft: warn is up
        {"status": "UP", "components": {"diskSpace": {"status": "UP", "details": {"free": 1}}}},
    ],
)
def test_metadata_and_warnings_are_not_dependencies(body: dict[str, Any]) -> None:
    assert health.evaluate(HealthEndpoint(), [response(body=body)], []) == []


def test_the_overall_status_of_a_draft_body_counts() -> None:
    found = health.evaluate(HealthEndpoint(), [response(body={"status": "fail"})], [])
    assert ids(found) == ["health.component-unhealthy"]


@pytest.mark.parametrize(
    ("cache_control", "cacheable"),
    [
        ("no-store", False),
        ("no-cache", False),  # forces revalidation: a cache may not reuse it unasked
        ("no-cache, no-store, must-revalidate", False),
        ("max-age=0, must-revalidate", False),
        ("private, max-age=0", False),
        ("public, max-age=60", True),
        ("max-age=0, stale-while-revalidate=30", True),
        ("s-maxage=30, max-age=0", True),
        ('no-cache="set-cookie", max-age=60', True),  # only that field must be revalidated
        (None, True),
    ],
)
def test_health_cacheable_means_reusable_without_revalidation(
    cache_control: str | None, cacheable: bool
) -> None:
    headers = {"cache-control": cache_control} if cache_control is not None else {}
    resp = response(body={"status": "ok"})
    if cache_control is None:
        del resp.headers["cache-control"]
    else:
        resp.headers.update(headers)
    found = ids(health.evaluate(HealthEndpoint(), [resp], []))
    assert found == (["health.cacheable"] if cacheable else [])
